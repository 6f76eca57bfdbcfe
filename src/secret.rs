//! `Secret`: a string that never shows itself (rule 6). `Debug`, `Display` and `Serialize`
//! print `***`; only [`Secret::expose`] gives the value, so every leak is a visible call.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a masked secret looks like everywhere it is printed.
pub const MASK: &str = "***";

/// A credential, API key or signing secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call only where it goes on the wire or into a hash.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `po_sk_1a2b…` style hint: the first `n` characters and an ellipsis, for recognising a
    /// secret without revealing it. Never more than a third of it.
    pub fn hint(&self, n: usize) -> String {
        let n = n.min(self.0.chars().count() / 3);
        let head: String = self.0.chars().take(n).collect();
        format!("{head}…")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(MASK)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_itself() {
        let s = Secret::new("sk_test_very_secret_value");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", Some(&s)), "Some(***)");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"***\"");
        assert_eq!(s.expose(), "sk_test_very_secret_value");
        assert_eq!(s.hint(8), "sk_test_…");
        assert_eq!(Secret::new("abc").hint(8), "a…");
    }
}
