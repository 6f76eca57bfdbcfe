//! Personal data in text payorch keeps for diagnosis (raw inbound gateway webhook bodies):
//! [`redact_body`] removes payers' documents, names, e-mails, phones and addresses before the
//! text is stored. Only for copies kept for people to read: nothing parses a redacted body
//! back (dedupe uses the gateway's event id, kept apart; a redelivery is parsed afresh).

use serde_json::Value;

/// What replaces a redacted value.
pub(crate) const REDACTED: &str = "[redacted]";

/// Keys (lower case, without `_` and `-`) whose value is personal data whatever it holds: the
/// gateways' payer fields (Stripe `billing_details`, Efí `devedor`/`infoPagador`, Asaas
/// `cpfCnpj`) and the obvious ones. A key ending in `email` or `name` counts too.
const PERSONAL_KEYS: &[&str] = &[
    "name",
    "nome",
    "cpf",
    "cnpj",
    "cpfcnpj",
    "document",
    "documento",
    "taxid",
    "phone",
    "mobilephone",
    "telefone",
    "address",
    "endereco",
    "infopagador",
];

fn is_personal(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .collect::<String>()
        .to_lowercase();
    PERSONAL_KEYS.contains(&k.as_str()) || k.ends_with("email") || k.ends_with("name")
}

/// `body` without personal data: in JSON, the values of personal keys become
/// [`REDACTED`] and every other string is scrubbed of CPF/CNPJ-shaped numbers and e-mail
/// addresses; text that is not JSON is scrubbed the same way.
pub(crate) fn redact_body(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(mut value) => {
            redact_value(&mut value);
            value.to_string()
        }
        Err(_) => scrub_text(body),
    }
}

fn redact_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if is_personal(key) && !v.is_null() {
                    *v = Value::String(REDACTED.into());
                } else {
                    redact_value(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        Value::String(s) => *s = scrub_text(s),
        _ => {}
    }
}

/// Masks e-mail addresses and runs of digits and `.-/` holding exactly 11 (CPF) or 14 (CNPJ)
/// digits, in free text.
fn scrub_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let end = (i..chars.len())
                .find(|&j| !(chars[j].is_ascii_digit() || matches!(chars[j], '.' | '-' | '/')))
                .unwrap_or(chars.len());
            let run = &chars[i..end];
            let digits = run.iter().filter(|c| c.is_ascii_digit()).count();
            let glued = i > 0 && chars[i - 1].is_ascii_alphanumeric()
                || end < chars.len() && chars[end].is_ascii_alphanumeric();
            if (digits == 11 || digits == 14) && !glued {
                out.extend(
                    run.iter()
                        .map(|c| if c.is_ascii_digit() { '*' } else { *c }),
                );
            } else {
                out.extend(run);
            }
            i = end;
        } else if c == '@' {
            let local = |c: &char| c.is_ascii_alphanumeric() || "._%+-".contains(*c);
            let domain = |c: &char| c.is_ascii_alphanumeric() || ".-".contains(*c);
            let start = out
                .char_indices()
                .rev()
                .take_while(|(_, c)| local(c))
                .last()
                .map(|(at, _)| at);
            let end = (i + 1..chars.len())
                .find(|&j| !domain(&chars[j]))
                .unwrap_or(chars.len());
            let host: String = chars[i + 1..end].iter().collect();
            match start {
                Some(at) if host.contains('.') => {
                    out.truncate(at);
                    out.push_str("[email]");
                    i = end;
                }
                _ => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gateway_bodies_lose_documents_names_and_emails_and_keep_the_rest() {
        let efi = json!({"pix": [{"endToEndId": "E18236120202012032010s0133872GJ",
            "txid": "7978c0c97ea847e78e8849634473c1f1", "valor": "19.90",
            "devedor": {"cpf": "52998224725", "nome": "Maria Silva"},
            "infoPagador": "pedido 1234 de maria@example.com, CPF 529.982.247-25"}]});
        let stripe = json!({"id": "evt_1", "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_1", "amount": 1990, "receipt_email": "maria@example.com",
            "metadata": {"payorch_charge_id": "ch_01J"},
            "description": "Order for CNPJ 11.222.333/0001-81, call 11987654321",
            "billing_details": {"name": "Maria Silva", "email": "m@x.io",
                "address": {"line1": "Rua A, 1"}, "phone": null}}}});
        for body in [efi, stripe] {
            let out = redact_body(&body.to_string());
            for pii in [
                "52998224725",
                "529.982.247-25",
                "Maria",
                "maria@example.com",
                "m@x.io",
                "11.222.333/0001-81",
                "Rua A",
                "11987654321",
            ] {
                assert!(!out.contains(pii), "{pii} in {out}");
            }
            let v: Value = serde_json::from_str(&out).unwrap();
            // What dedupe, matching and diagnosis need stays.
            for kept in [
                "E18236120202012032010s0133872GJ",
                "7978c0c97ea847e78e8849634473c1f1",
                "evt_1",
                "pi_1",
                "ch_01J",
                "payment_intent.succeeded",
                "19.90",
            ] {
                if body_has(&body, kept) {
                    assert!(out.contains(kept), "{kept} lost: {out}");
                }
            }
            assert!(v.is_object());
        }
        // Not JSON: scrubbed as text.
        assert_eq!(
            redact_body("cpf=529.982.247-25&email=a.b@c.com.br&t=1700000000"),
            "cpf=***.***.***-**&email=[email]&t=1700000000"
        );
        // Digits inside identifiers stay.
        assert_eq!(
            scrub_text("E18236120202012032010s0133872GJ"),
            "E18236120202012032010s0133872GJ"
        );
    }

    fn body_has(body: &Value, s: &str) -> bool {
        body.to_string().contains(s)
    }
}
