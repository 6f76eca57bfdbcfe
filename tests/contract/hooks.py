"""Schemathesis hooks of payorch's contract test (tests/it/contract.rs sets SCHEMATHESIS_HOOKS).

Generators for the formats openapi.yaml names and schemathesis does not know, so that a charge
valid by the schema is often valid for payorch too (a CPF with the right check digits, a
currency payorch charges in): the stateful chains (create, then get, then refund) then reach
real charges instead of stopping at a 400.
"""

import re
import uuid

from hypothesis import strategies as st

import schemathesis


def _check_digit(digits, weights):
    rest = sum(d * w for d, w in zip(digits, weights)) % 11
    return 0 if rest < 2 else 11 - rest


def _cpf(base):
    digits = list(base)
    digits.append(_check_digit(digits, range(10, 1, -1)))
    digits.append(_check_digit(digits, range(11, 1, -1)))
    return "".join(map(str, digits))


def _cnpj(base):
    digits = list(base)
    digits.append(_check_digit(digits, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    digits.append(_check_digit(digits, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]))
    return "".join(map(str, digits))


def _punctuated_cpf(d):
    return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"


def _punctuated_cnpj(d):
    return f"{d[:2]}.{d[2:5]}.{d[5:8]}/{d[8:12]}-{d[12:]}"


_digits = lambda n: st.lists(st.integers(0, 9), min_size=n, max_size=n).filter(
    lambda ds: len(set(ds)) > 1
)
_cpfs = _digits(9).map(_cpf)
_cnpjs = _digits(12).map(_cnpj)

schemathesis.openapi.format(
    "cpf-cnpj",
    st.one_of(
        _cpfs,
        _cpfs.map(_punctuated_cpf),
        _cnpjs,
        _cnpjs.map(_punctuated_cnpj),
    ),
)

# Mostly BRL (Pix and boleto take nothing else), in either case.
schemathesis.openapi.format(
    "iso4217",
    st.sampled_from(["BRL", "BRL", "BRL", "brl", "USD", "EUR", "JPY", "MXN"]),
)


_VALID_KEY = re.compile(r"[!-~]([ -~]*[!-~])?")


@schemathesis.hook
def before_call(context, case, kwargs):
    """A valid `Idempotency-Key` becomes a fresh one. Generated keys repeat (`0`, the
    document's example) with other bodies, and most requests would end as 422
    `idempotency_key_reused` before reaching the charge or refund they are about. A key the
    schema refuses is sent as generated."""
    headers = case.headers or {}
    for name in list(headers):
        value = headers[name]
        if (
            name.lower() == "idempotency-key"
            and isinstance(value, str)
            and len(value) <= 255
            and _VALID_KEY.fullmatch(value)
        ):
            headers[name] = f"contract-{uuid.uuid4()}"
