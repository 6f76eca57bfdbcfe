//! A failed POST in one line for the delivery log: the policy's refusal as it is, or the
//! transport error with its causes.

use crate::egress as target;

/// A transport failure in one line, with its cause (reqwest's top level says little); a
/// refusal by the policy's resolver is that refusal alone.
pub(super) fn transport_error(e: &reqwest::Error) -> String {
    if let Some(refused) = target::refusal_in(e) {
        return refused.to_string();
    }
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
