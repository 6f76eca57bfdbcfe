//! Customer tax documents: Brazilian CPF and CNPJ validated by their check digits, and other
//! documents allowed for non-BRL charges.
//!
//! SKELETON: the API below is fixed; the bodies are being written (see the foundation issue).

use serde::{Deserialize, Serialize};

use super::money::Currency;

/// What kind of document a [`Document`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Cpf,
    Cnpj,
    Other,
}

/// A validated document. `number` is normalized: CPF/CNPJ without punctuation, upper case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Document {
    #[serde(rename = "type")]
    pub kind: DocumentKind,
    pub number: String,
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("placeholder")]
    Invalid(String),
}

impl Document {
    /// Validates `input` for a charge in `currency`: BRL requires a valid CPF or CNPJ.
    pub fn parse(input: &str, currency: Currency) -> Result<Document, DocumentError> {
        let _ = (input, currency);
        todo!()
    }

    /// `529.982.247-25`, `11.222.333/0001-81`; other documents as stored.
    pub fn formatted(&self) -> String {
        todo!()
    }
}
