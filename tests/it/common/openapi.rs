//! Checks a JSON value against a named schema of an OpenAPI document (`components.schemas`),
//! for the sandbox's conformance tests: the BCB's Pix API (`specs/bcb-pix-api-v2.9.0.yaml`)
//! for Efí and the schemas written from Asaas's published document.
//!
//! Also payorch's own `openapi.yaml` (3.1), for the webhook payloads `tests/it/contract.rs` checks.
//!
//! The subset of OpenAPI 3 schemas those documents use: `$ref` (local), `allOf`, `oneOf` /
//! `anyOf` (one must pass), `type` (a name or a list of them), `const`, `required`,
//! `properties`, `additionalProperties`, `items`, `enum`, `pattern`, `minLength` /
//! `maxLength`, `minimum` / `maximum`, `nullable`. Patterns are matched whole
//! (the BCB writes `[a-zA-Z0-9]{26,35}` meaning the whole value, and some JavaScript-style,
//! `/^\d{11}$/`). `format` is not checked (the BCB's `location` is a `uri` without a scheme).

use std::path::Path;

use serde_json::Value;

pub struct OpenApi {
    root: Value,
}

impl OpenApi {
    /// Reads a YAML or JSON document.
    pub fn load(path: &Path) -> Self {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let root: Value = serde_yaml_ng::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not YAML/JSON: {e}", path.display()));
        OpenApi { root }
    }

    pub fn from_value(root: Value) -> Self {
        OpenApi { root }
    }

    /// Panics, naming every violation, unless `value` matches `components.schemas.{name}`.
    pub fn assert_valid(&self, name: &str, value: &Value) {
        let errors = self.errors(name, value);
        assert!(
            errors.is_empty(),
            "not a valid {name}:\n  {}\nvalue: {value:#}",
            errors.join("\n  ")
        );
    }

    /// Every violation of `components.schemas.{name}` by `value`, empty when it is valid.
    pub fn errors(&self, name: &str, value: &Value) -> Vec<String> {
        let schema = self.schema(name);
        let mut errors = Vec::new();
        self.check(schema, value, "$", &mut errors);
        errors
    }

    fn schema(&self, name: &str) -> &Value {
        let s = &self.root["components"]["schemas"][name];
        assert!(
            !s.is_null(),
            "the document has no components.schemas.{name}"
        );
        s
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r
                    .strip_prefix("#/components/schemas/")
                    .unwrap_or_else(|| panic!("unsupported $ref {r}"));
                self.resolve(self.schema(name))
            }
            None => schema,
        }
    }

    fn check(&self, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if v.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        for part in schema["allOf"].as_array().into_iter().flatten() {
            self.check(part, v, at, errors);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(options) = schema[key].as_array() {
                let passes = options.iter().any(|o| {
                    let mut e = Vec::new();
                    self.check(o, v, at, &mut e);
                    e.is_empty()
                });
                if !passes {
                    errors.push(format!("{at}: matches none of its {key} options"));
                }
            }
        }
        // `type`: one name, or (OpenAPI 3.1) a list of them, `["string", "null"]`.
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.is_empty() {
            let ok = types.iter().any(|t| match *t {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "boolean" => v.is_boolean(),
                "null" => v.is_null(),
                _ => true,
            });
            if !ok {
                errors.push(format!("{at}: expected {}, got {v}", types.join(" or ")));
                return;
            }
        }
        if let Some(allowed) = schema["enum"].as_array()
            && !allowed.contains(v)
        {
            errors.push(format!("{at}: {v} is not one of {allowed:?}"));
        }
        if let Some(c) = schema.get("const")
            && c != v
        {
            errors.push(format!("{at}: {v} is not {c}"));
        }
        if let Some(s) = v.as_str() {
            let len = s.chars().count() as u64;
            if schema["maxLength"].as_u64().is_some_and(|m| len > m) {
                errors.push(format!("{at}: longer than maxLength"));
            }
            if schema["minLength"].as_u64().is_some_and(|m| len < m) {
                errors.push(format!("{at}: shorter than minLength"));
            }
            if let Some(p) = schema["pattern"].as_str()
                && !whole_match(p).is_match(s)
            {
                errors.push(format!("{at}: {s:?} does not match {p}"));
            }
        }
        if let Some(n) = v.as_f64() {
            if schema["minimum"].as_f64().is_some_and(|m| n < m) {
                errors.push(format!("{at}: below minimum"));
            }
            if schema["maximum"].as_f64().is_some_and(|m| n > m) {
                errors.push(format!("{at}: above maximum"));
            }
        }
        if let Some(obj) = v.as_object() {
            for field in schema["required"].as_array().into_iter().flatten() {
                let field = field.as_str().unwrap_or_default();
                if !obj.contains_key(field) {
                    errors.push(format!("{at}: missing required `{field}`"));
                }
            }
            let props = schema["properties"].as_object();
            for (k, sub) in props.into_iter().flatten() {
                if let Some(val) = obj.get(k) {
                    self.check(sub, val, &format!("{at}.{k}"), errors);
                }
            }
            // `additionalProperties`: `false` refuses a field `properties` does not name; a
            // schema checks each such field.
            let extra = obj
                .iter()
                .filter(|(k, _)| !props.is_some_and(|p| p.contains_key(k.as_str())));
            match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    for (k, _) in extra {
                        errors.push(format!("{at}: `{k}` is not a documented field"));
                    }
                }
                Some(sub @ Value::Object(_)) => {
                    for (k, val) in extra {
                        self.check(sub, val, &format!("{at}.{k}"), errors);
                    }
                }
                _ => {}
            }
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
            for (i, item) in arr.iter().enumerate() {
                self.check(items, item, &format!("{at}[{i}]"), errors);
            }
        }
    }
}

/// A pattern as a whole-value regex: `/^…$/` and `^…$` unwrapped, then anchored.
fn whole_match(pattern: &str) -> regex::Regex {
    let bare = pattern
        .strip_prefix('/')
        .and_then(|r| r.strip_suffix('/'))
        .unwrap_or(pattern);
    let bare = bare.trim_start_matches('^').trim_end_matches('$');
    regex::Regex::new(&format!("^(?:{bare})$")).unwrap_or_else(|e| panic!("pattern {pattern}: {e}"))
}
