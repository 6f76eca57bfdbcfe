"""The SDK's types against the contract: every `TypedDict` in `payorch.types.SCHEMAS` has
exactly the properties of its OpenAPI schema, the same ones required, compatible JSON types,
and nested types that are the schemas the document references there; and every operation the
SDK calls is documented, with the query parameters, request body and headers the SDK uses.
The document is `openapi.yaml` at the repository's root (`$PAYORCH_OPENAPI` to read another);
a copy is never kept here, so a change to the contract that the SDK does not follow fails this
test."""

import dataclasses
import os
import typing
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple, Union

import pytest
import yaml

from payorch import _core, types

HERE = Path(__file__).resolve().parent
DOC_PATH = Path(os.environ.get("PAYORCH_OPENAPI", HERE.parent.parent.parent / "openapi.yaml"))
REF = "#/components/schemas/"


@pytest.fixture(scope="module")
def doc() -> Dict[str, Any]:
    if not DOC_PATH.is_file():
        pytest.fail(f"the OpenAPI document is not at {DOC_PATH} (set PAYORCH_OPENAPI)")
    with DOC_PATH.open() as f:
        loaded: Dict[str, Any] = yaml.safe_load(f)
    return loaded


def named(doc: Dict[str, Any], name: str) -> Dict[str, Any]:
    """The schema `Name` or, for one defined inline, `Name/property/…`."""
    head, *rest = name.split("/")
    schema = doc["components"]["schemas"][head]
    for prop in rest:
        schema = schema["properties"][prop]
    return typing.cast(Dict[str, Any], schema)


def target(doc: Dict[str, Any], schema: Dict[str, Any], here: str) -> Tuple[str, Dict[str, Any]]:
    """The schema a property stands for, with the name `SCHEMAS` would give it: through a
    `$ref`, a `oneOf` with `null`, and an array's `items`."""
    if "$ref" in schema:
        name = schema["$ref"][len(REF):]
        return name, named(doc, name)
    alternatives = [s for s in schema.get("oneOf", []) if s.get("type") != "null"]
    if len(alternatives) == 1:
        return target(doc, alternatives[0], here)
    if schema.get("type") == "array" or (isinstance(schema.get("type"), list)
                                         and "array" in schema["type"]):
        return target(doc, schema["items"], here)
    return here, schema


def json_types(doc: Dict[str, Any], schema: Dict[str, Any]) -> Set[str]:
    """The JSON types a schema allows, `null` left out (empty: unconstrained)."""
    if "$ref" in schema:
        return json_types(doc, named(doc, schema["$ref"][len(REF):]))
    if "oneOf" in schema:
        return set().union(*(json_types(doc, s) for s in schema["oneOf"]))
    kind = schema.get("type")
    if kind is None:
        return set()
    kinds = set(kind) if isinstance(kind, list) else {kind}
    return kinds - {"null"}


def is_typeddict(t: Any) -> bool:
    # `typing.is_typeddict` is Python 3.10+.
    return isinstance(t, type) and hasattr(t, "__required_keys__")


def python_type(hint: Any) -> Tuple[str, Any]:
    """A field's JSON type as the SDK declares it, and its element type (a list's item, or
    the field's TypedDict)."""
    origin = typing.get_origin(hint)
    if origin is Union:  # Optional[X]
        [inner] = [a for a in typing.get_args(hint) if a is not type(None)]
        return python_type(inner)
    if origin in (list, List):
        return "array", typing.get_args(hint)[0]
    if origin in (dict, Dict):
        return "object", None
    if is_typeddict(hint):
        return "object", hint
    return {int: "integer", str: "string", bool: "boolean", float: "number"}[hint], None


@pytest.mark.parametrize("name", sorted(types.SCHEMAS))
def test_each_type_matches_its_schema(doc: Dict[str, Any], name: str) -> None:
    td = types.SCHEMAS[name]
    schema = named(doc, name)
    properties: Dict[str, Any] = schema.get("properties", {})
    declared = set(td.__required_keys__) | set(td.__optional_keys__)
    assert declared == set(properties), (
        f"{td.__name__} vs schema {name}: only in the SDK {sorted(declared - set(properties))}, "
        f"only in the document {sorted(set(properties) - declared)}")
    assert set(td.__required_keys__) == set(schema.get("required", [])), (
        f"{td.__name__}'s required keys differ from schema {name}'s `required`")
    hints = typing.get_type_hints(td)
    by_type = {t: n for n, t in types.SCHEMAS.items()}
    for prop, prop_schema in properties.items():
        kind, element = python_type(hints[prop])
        allowed = json_types(doc, prop_schema)
        assert not allowed or kind in allowed, (
            f"{td.__name__}.{prop} is {kind} in the SDK, {sorted(allowed)} in schema {name}")
        if kind == "array":
            kind, element = python_type(element)
        if element is not None and is_typeddict(element):
            ref_name, _ = target(doc, prop_schema, f"{name}/{prop}")
            assert by_type.get(element) == ref_name, (
                f"{td.__name__}.{prop} is {element.__name__}, the document says {ref_name}")


def test_every_public_type_is_checked() -> None:
    public = {
        n for n, v in vars(types).items()
        if not n.startswith("_") and isinstance(v, type) and is_typeddict(v)
    }
    assert public == {t.__name__ for t in types.SCHEMAS.values()}


def test_the_error_types_are_the_documents(doc: Dict[str, Any]) -> None:
    from payorch.errors import ERROR_TYPES

    assert set(ERROR_TYPES) == set(doc["components"]["schemas"]["ErrorType"]["enum"])


# --- the operations the SDK calls ----------------------------------------------------------

SDK_OPERATIONS: Dict[Tuple[str, str], "_core.Operation[Any]"] = {
    ("post", "/v1/charges"): _core.create_charge(
        {"amount": 1, "currency": "BRL", "method": "pix", "customer": {"name": "x"}}, None),
    ("get", "/v1/charges"): _core.list_charges(_core.ListParams()),
    ("get", "/v1/charges/{id}"): _core.retrieve_charge("ID", None),
    ("post", "/v1/charges/{id}/refunds"): _core.refund_charge("ID", None, None, None),
}
BODIES = {"/v1/charges": "ChargeCreateRequest", "/v1/charges/{id}/refunds": "RefundCreateRequest"}


def parameters(doc: Dict[str, Any], method: str, path: str) -> Dict[str, Dict[str, Any]]:
    """An operation's parameters by name, `$ref`s resolved."""
    out = {}
    for p in doc["paths"][path][method].get("parameters", []):
        if "$ref" in p:
            p = doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        out[p["name"]] = p
    return out


@pytest.mark.parametrize("method, path", sorted(SDK_OPERATIONS))
def test_each_sdk_operation_is_in_the_document(doc: Dict[str, Any], method: str,
                                               path: str) -> None:
    op = SDK_OPERATIONS[(method, path)]
    assert method in doc["paths"].get(path, {}), f"{method.upper()} {path} is not documented"
    assert (op.method.lower(), op.path) == (method, path.replace("{id}", "ID"))
    params = parameters(doc, method, path)
    if method == "post":
        assert params["Idempotency-Key"]["in"] == "header"
        schema = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert schema["$ref"] == REF + BODIES[path]


def test_the_list_filters_are_the_documents(doc: Dict[str, Any]) -> None:
    query = {n for n, p in parameters(doc, "get", "/v1/charges").items() if p["in"] == "query"}
    assert query == {f.name for f in dataclasses.fields(_core.ListParams)}


def test_expand_is_the_documents(doc: Dict[str, Any]) -> None:
    params = parameters(doc, "get", "/v1/charges/{id}")
    assert params["expand[]"]["in"] == "query"
    assert dict(_core.retrieve_charge("ID", ["pix.qr_code_png"]).query) == {
        "expand[]": "pix.qr_code_png"}


def test_the_replay_and_request_id_headers_are_the_documents(doc: Dict[str, Any]) -> None:
    created = doc["paths"]["/v1/charges"]["post"]["responses"]["201"]
    assert {"Idempotent-Replayed", "X-Request-Id"} <= set(created.get("headers", {}))
