//! BR Code vectors from the Banco Central's manuals (each CRC verified independently), and
//! the parser's and builder's refusals.

use super::*;
use proptest::prelude::*;

// Known-good payloads. Each was checked by recomputing its CRC16-CCITT-FALSE independently
// (a separate Python implementation) before being used here; the tests below check it again.

/// Banco Central, "Manual de Padrões para Iniciação do Pix", §2.6.3: the static example
/// (random key, no amount, txid `***`).
const BCB_STATIC: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

/// Same manual, §2.7.2: the dynamic example (location URL, point of initiation 12).
const BCB_DYNAMIC: &str = "00020101021226700014br.gov.bcb.pix2548pix.example.com/8b3da2f39a4140d1a91abd93113bd4415204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***630464E4";

/// Same manual, §2.8.5: a static key with amount 100.50 and a Pix Automático template in
/// unreserved field 80 (whose GUI is also `br.gov.bcb.pix`, and which must not count).
const BCB_COMPOSITE: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865406100.505802BR5913Fulano de Tal6008BRASILIA62070503***80740014br.gov.bcb.pix2552pix.example.com/rec/2353c790eefb11eaadc10242ac12000263042875";

/// Banco Central, "Manual do BR Code": the multi-arrangement example. Capital GUI, a card
/// network field 04, another arrangement in 27, postal code 61, amount 123.45, a txid with a
/// hyphen, and an unreserved template 80.
const BCB_BRCODE_MANUAL: &str = "00020104141234567890123426580014BR.GOV.BCB.PIX0136123e4567-e12b-12d1-a456-42665544000027300012BR.COM.OUTRO011001234567895204000053039865406123.455802BR5917NOME DO RECEBEDOR6008BRASILIA61087007490062190515RP12345678-201980390012BR.COM.OUTRO01190123.ABCD.3456.WXYZ6304AD38";

/// GitHub saskenuba/pix-toolbelt, test `generated_sample`: a code made by a real generator,
/// with additional info (26.02) `[Pix.ae]` and amount 50.00.
const GENERATED_WITH_INFO: &str = "00020126530014br.gov.bcb.pix0119saskenuba@gmail.com0208[Pix.ae]520400005303986540550.005802BR5903Pix6003Pix62070503***63048287";

/// A published test fixture that added an amount to the §2.6.3 example but kept its old CRC:
/// exactly the mistake the CRC exists to catch.
const STALE_CRC: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000520400005303986540515.005802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

/// `body` (everything before field 63) with a correct CRC field appended.
fn with_crc(body: &str) -> String {
    let signed = format!("{body}6304");
    let crc = Crc(crc16_ccitt_false(signed.as_bytes()));
    format!("{signed}{crc}")
}

/// The static example's fields before 63, with `edit` applied.
fn static_body_with(edit: impl Fn(&str) -> String) -> String {
    let body = BCB_STATIC.strip_suffix("63041D3D").unwrap_or_default();
    edit(body)
}

fn invalid_field(err: &BrCodeError) -> Option<&str> {
    match err {
        BrCodeError::Invalid { field, .. } => Some(field),
        _ => None,
    }
}

#[test]
fn crc_matches_the_standard_check_value() {
    assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    assert_eq!(Crc(0x29B1).to_string(), "29B1");
    assert_eq!(Crc(0x00AB).to_string(), "00AB");
}

#[test]
fn known_good_payloads_carry_their_crc() {
    for payload in [
        BCB_STATIC,
        BCB_DYNAMIC,
        BCB_COMPOSITE,
        BCB_BRCODE_MANUAL,
        GENERATED_WITH_INFO,
    ] {
        let (signed, stated) = crc_tail(payload).expect("ends with a CRC field");
        let computed = Crc(crc16_ccitt_false(signed.as_bytes())).to_string();
        assert_eq!(stated, computed, "{payload}");
    }
}

#[test]
fn bcb_static_example_parses() {
    let code = parse(BCB_STATIC).expect("valid");
    assert_eq!(code.pix_key(), Some("123e4567-e12b-12d1-a456-426655440000"));
    assert_eq!(code.url(), None);
    assert_eq!(code.amount_cents(), None);
    assert_eq!(code.txid(), None);
    assert_eq!(code.info(), None);
    assert_eq!(code.merchant_name(), "Fulano de Tal");
    assert_eq!(code.merchant_city(), "BRASILIA");
    assert!(!code.is_dynamic());
}

#[test]
fn bcb_dynamic_example_parses() {
    let code = parse(BCB_DYNAMIC).expect("valid");
    assert_eq!(
        code.url(),
        Some("pix.example.com/8b3da2f39a4140d1a91abd93113bd441")
    );
    assert_eq!(code.pix_key(), None);
    assert!(code.is_dynamic());
    assert_eq!(code.amount_cents(), None);
    assert_eq!(code.merchant_name(), "Fulano de Tal");
}

#[test]
fn bcb_composite_example_parses_amount_and_keeps_template_80() {
    let code = parse(BCB_COMPOSITE).expect("valid");
    assert_eq!(code.pix_key(), Some("123e4567-e12b-12d1-a456-426655440000"));
    assert_eq!(code.amount_cents(), Some(10_050));
    assert!(!code.is_dynamic());
    let kept: Vec<_> = code.unreserved_templates().collect();
    assert_eq!(
        kept,
        [(
            "80",
            "0014br.gov.bcb.pix2552pix.example.com/rec/2353c790eefb11eaadc10242ac120002"
        )]
    );
}

#[test]
fn brcode_manual_example_parses_with_capital_gui_and_other_arrangements() {
    let code = parse(BCB_BRCODE_MANUAL).expect("valid");
    assert_eq!(code.pix_key(), Some("123e4567-e12b-12d1-a456-426655440000"));
    assert_eq!(code.amount_cents(), Some(12_345));
    assert_eq!(code.txid(), Some("RP12345678-2019"));
    assert_eq!(code.merchant_name(), "NOME DO RECEBEDOR");
    assert_eq!(code.merchant_city(), "BRASILIA");
    assert_eq!(code.unreserved_templates().count(), 1);
}

#[test]
fn generated_payload_with_info_parses() {
    let code = parse(GENERATED_WITH_INFO).expect("valid");
    assert_eq!(code.pix_key(), Some("saskenuba@gmail.com"));
    assert_eq!(code.info(), Some("[Pix.ae]"));
    assert_eq!(code.amount_cents(), Some(5_000));
    assert_eq!(code.merchant_name(), "Pix");
    assert_eq!(code.merchant_city(), "Pix");
}

#[test]
fn builder_reproduces_the_bcb_examples_exactly() {
    let built = BrCode::builder_static(
        "123e4567-e12b-12d1-a456-426655440000",
        "Fulano de Tal",
        "BRASILIA",
    )
    .build();
    assert_eq!(built.as_deref(), Ok(BCB_STATIC));
    let built = BrCode::builder_dynamic(
        "pix.example.com/8b3da2f39a4140d1a91abd93113bd441",
        "Fulano de Tal",
        "BRASILIA",
    )
    .build();
    assert_eq!(built.as_deref(), Ok(BCB_DYNAMIC));
}

#[test]
fn stale_crc_is_a_mismatch_naming_both_values() {
    let err = parse(STALE_CRC).expect_err("stale CRC");
    assert_eq!(
        err.to_string(),
        "CRC mismatch: payload says 1D3D, computed E536"
    );
}

#[test]
fn a_flipped_character_anywhere_fails() {
    let crc_id_at = BCB_STATIC.len() - 8;
    for (i, original) in BCB_STATIC.char_indices() {
        let flipped = if original == 'A' { 'B' } else { 'A' };
        let mut payload = BCB_STATIC.to_owned();
        payload.replace_range(i..i + 1, &flipped.to_string());
        let result = parse(&payload);
        if (crc_id_at..crc_id_at + 4).contains(&i) {
            // The `6304` itself: the CRC field is then no longer recognisable as one.
            assert!(result.is_err(), "flip at {i} accepted");
        } else {
            assert!(
                matches!(result, Err(BrCodeError::CrcMismatch { .. })),
                "flip at {i}: {result:?}"
            );
        }
    }
}

#[test]
fn every_truncation_fails() {
    for end in 1..BCB_STATIC.len() {
        assert!(
            parse(&BCB_STATIC[..end]).is_err(),
            "prefix of {end} accepted"
        );
    }
    assert_eq!(parse(""), Err(BrCodeError::Empty));
}

#[test]
fn truncation_names_the_field_and_offset() {
    let err = parse(&BCB_STATIC[..50]).expect_err("truncated");
    assert_eq!(
        err.to_string(),
        "truncated field 26 at offset 6: its length says 58 characters, only 40 remain"
    );
    let err = parse(&BCB_STATIC[..8]).expect_err("cut in a header");
    assert!(
        matches!(err, BrCodeError::MalformedHeader { offset: 6, .. }),
        "{err}"
    );
}

#[test]
fn truncated_sub_field_is_named_with_its_template() {
    // Template 26 claims a 37-character key inside a 58-character template.
    let payload = with_crc(&static_body_with(|b| b.replace("0136123e", "0137123e")));
    let err = parse(&payload).expect_err("truncated key");
    assert!(
        matches!(&err, BrCodeError::Truncated { field, offset: 28, .. } if field == "26.01"),
        "{err}"
    );
}

#[test]
fn gui_is_case_insensitive() {
    let payload = with_crc(&static_body_with(|b| {
        b.replace("br.gov.bcb.pix", "BR.GOV.BCB.PIX")
    }));
    let code = parse(&payload).expect("valid");
    assert_eq!(code.pix_key(), Some("123e4567-e12b-12d1-a456-426655440000"));
}

#[test]
fn wrong_gui_is_not_pix() {
    let payload = with_crc(&static_body_with(|b| {
        b.replace("br.gov.bcb.pix", "br.gov.bcb.pax")
    }));
    assert_eq!(parse(&payload), Err(BrCodeError::NotPix));
}

#[test]
fn lowercase_crc_is_accepted() {
    let payload = BCB_DYNAMIC.replace("630464E4", "630464e4");
    assert!(parse(&payload).is_ok());
}

#[test]
fn crc_that_is_not_hex_is_rejected() {
    let payload = BCB_STATIC.replace("63041D3D", "63041D3G");
    let err = parse(&payload).expect_err("not hex");
    assert_eq!(invalid_field(&err), Some("63"), "{err}");
}

#[test]
fn missing_mandatory_fields_are_named() {
    let cases = [
        ("5913Fulano de Tal", "missing field 59 (merchant name)"),
        ("6008BRASILIA", "missing field 60 (merchant city)"),
        ("52040000", "missing field 52 (merchant category code)"),
        ("5303986", "missing field 53 (currency)"),
        ("5802BR", "missing field 58 (country)"),
    ];
    for (removed, message) in cases {
        let payload = with_crc(&static_body_with(|b| b.replace(removed, "")));
        let err = parse(&payload).expect_err(removed);
        assert_eq!(err.to_string(), message);
    }
    let without_crc = static_body_with(str::to_owned);
    assert_eq!(
        parse(&without_crc).map_err(|e| e.to_string()),
        Err("missing field 63 (CRC)".to_owned())
    );
    let without_pix = with_crc(&static_body_with(|b| {
        b.replace(
            "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000",
            "",
        )
    }));
    assert_eq!(parse(&without_pix), Err(BrCodeError::NotPix));
}

#[test]
fn format_indicator_must_come_first() {
    let payload = with_crc(&static_body_with(|b| {
        let rest = b.strip_prefix("000201").unwrap_or_default();
        rest.replacen("52040000", "52040000000201", 1)
    }));
    let err = parse(&payload).expect_err("00 not first");
    assert_eq!(
        err,
        BrCodeError::FormatIndicatorNotFirst {
            found: "26".to_owned()
        }
    );
    let payload = with_crc(&static_body_with(|b| b.replacen("000201", "000202", 1)));
    assert_eq!(
        invalid_field(&parse(&payload).expect_err("00 = 02")),
        Some("00")
    );
}

#[test]
fn crc_must_come_last() {
    // Field 63 moved before field 62 (the CRC value itself is irrelevant then).
    let payload = BCB_STATIC.replace("62070503***63041D3D", "63041D3D62070503***");
    let err = parse(&payload).expect_err("63 not last");
    assert_eq!(
        err.to_string(),
        "field 63 (CRC) must be the last field, but field 62 follows it at offset 126"
    );
}

#[test]
fn amount_with_three_decimals_or_a_comma_is_rejected() {
    let cases = [
        ("5405", "1.234", "has more than 2 decimal places"),
        ("5405", "12,50", "is not a decimal amount"),
        ("5405", "-1.00", "is negative"),
        ("5400", "", "is empty"),
        ("5402", ".5", "is not a decimal amount"),
        ("5403", "10.", "is not a decimal amount"),
        ("5405", "+1.00", "is not a decimal amount"),
        ("5414", "99999999999.99", "is longer than 13 characters"),
    ];
    for (header, amount, problem) in cases {
        let field = format!("{header}{amount}");
        let payload = with_crc(&static_body_with(|b| {
            b.replace("5802BR", &format!("{field}5802BR"))
        }));
        let err = parse(&payload).expect_err(amount);
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("field 54 (amount) `{amount}` {problem}")),
            "{message}"
        );
    }
}

#[test]
fn amounts_are_read_as_exact_centavos() {
    let cases = [
        ("0.01", 1),
        ("10", 1_000),
        ("10.5", 1_050),
        ("10.50", 1_050),
        ("123.45", 12_345),
        ("0.00", 0),
        ("9999999999.99", MAX_AMOUNT_CENTS),
    ];
    for (text, cents) in cases {
        assert_eq!(parse_amount(text), Ok(cents), "{text}");
    }
}

#[test]
fn builder_writes_exactly_two_decimals() {
    for (cents, text) in [
        (1, "54040.01"),
        (1_000, "540510.00"),
        (12_345, "5406123.45"),
    ] {
        let payload = BrCode::builder_static("a@b.com", "Loja", "Recife")
            .amount_cents(cents)
            .build()
            .expect("valid");
        assert!(payload.contains(text), "{payload}");
        assert_eq!(parse(&payload).map(|c| c.amount_cents()), Ok(Some(cents)));
    }
}

#[test]
fn key_and_url_are_exclusive() {
    let both = with_crc(&static_body_with(|b| {
        b.replace(
            "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000",
            "26450014br.gov.bcb.pix0107a@b.com2512pix.test/abc",
        )
    }));
    let err = parse(&both).expect_err("both");
    assert!(
        err.to_string()
            .contains("has both a Pix key (01) and a URL (25)"),
        "{err}"
    );
    let neither = with_crc(&static_body_with(|b| {
        b.replace(
            "26580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000",
            "26180014br.gov.bcb.pix",
        )
    }));
    let err = parse(&neither).expect_err("neither");
    assert!(err.to_string().contains("has neither a Pix key"), "{err}");
}

#[test]
fn wrong_currency_country_and_lengths_are_rejected() {
    let edits: [(&str, &str, &str); 4] = [
        ("5303986", "5303840", "53"),
        ("5802BR", "5802US", "58"),
        ("6008BRASILIA", "6016BRASILIA DF 7000", "60"),
        ("5913Fulano de Tal", "5926Fulano de Tal da Silva Jr.", "59"),
    ];
    for (from, to, field) in edits {
        let payload = with_crc(&static_body_with(|b| b.replace(from, to)));
        let err = parse(&payload).expect_err(to);
        assert_eq!(invalid_field(&err), Some(field), "{err}");
    }
}

#[test]
fn duplicate_fields_are_rejected() {
    let payload = with_crc(&static_body_with(|b| b.replace("5802BR", "5802BR5802BR")));
    let err = parse(&payload).expect_err("duplicate");
    assert_eq!(err.to_string(), "field 58 (country) appears more than once");
}

#[test]
fn non_ascii_is_rejected_without_panicking() {
    let payload = BCB_STATIC.replace("BRASILIA", "BRASÍLIA");
    assert_eq!(
        parse(&payload),
        Err(BrCodeError::NotAscii {
            offset: 114,
            ch: 'Í'
        })
    );
    let err = BrCode::builder_static("a@b.com", "Loja", "São Paulo")
        .build()
        .expect_err("accent");
    assert!(
        err.to_string()
            .starts_with("field 60 (merchant city) `São Paulo` has the character `ã`"),
        "{err}"
    );
}

#[test]
fn builder_rejects_what_a_payload_cannot_carry() {
    let base = || BrCode::builder_static("a@b.com", "Loja", "Recife");
    let cases: Vec<(BrCodeBuilder, &str)> = vec![
        (
            BrCode::builder_static("a@b.com", &"N".repeat(26), "Recife"),
            "59",
        ),
        (
            BrCode::builder_static("a@b.com", "Loja", &"C".repeat(16)),
            "60",
        ),
        (BrCode::builder_static("a@b.com", "", "Recife"), "59"),
        (BrCode::builder_static("", "Loja", "Recife"), "26.01"),
        (
            BrCode::builder_static(&"k".repeat(78), "Loja", "Recife"),
            "26.01",
        ),
        (base().txid("PEDIDO-42"), "62.05"),
        (base().txid(&"T".repeat(26)), "62.05"),
        (base().txid(""), "62.05"),
        (base().amount_cents(0), "54"),
        (base().amount_cents(-100), "54"),
        (base().amount_cents(MAX_AMOUNT_CENTS + 1), "54"),
        (base().info(&"i".repeat(80)), "26"),
        (
            BrCode::builder_dynamic("https://pix.example.com/x", "Loja", "Recife"),
            "26.25",
        ),
    ];
    for (builder, field) in cases {
        let err = builder.build().expect_err(field);
        assert_eq!(invalid_field(&err), Some(field), "{err}");
    }
    assert!(base().txid("***").build().is_ok());
    assert!(base().amount_cents(MAX_AMOUNT_CENTS).build().is_ok());
}

fn printable(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[ -~]{{1,{max}}}")).expect("valid regex")
}

proptest! {
    #[test]
    fn built_codes_round_trip(
        location in prop_oneof![
            "[A-Za-z0-9@.+-]{1,55}".prop_map(Location::Key),
            "[a-z0-9.]{1,20}/[A-Za-z0-9/-]{1,30}".prop_map(Location::Url),
        ],
        name in printable(MAX_NAME_LEN),
        city in printable(MAX_CITY_LEN),
        amount in proptest::option::of(1i64..=99_999_999_999),
        txid in proptest::option::of("[A-Za-z0-9]{1,25}"),
        info in proptest::option::of("[ -~]{1,15}"),
    ) {
        let mut builder = match &location {
            Location::Key(key) => BrCode::builder_static(key, &name, &city),
            Location::Url(url) => BrCode::builder_dynamic(url, &name, &city),
        };
        if let Some(cents) = amount { builder = builder.amount_cents(cents); }
        if let Some(txid) = &txid { builder = builder.txid(txid); }
        if let Some(info) = &info { builder = builder.info(info); }
        let payload = builder.build().expect("valid input builds");
        let code = parse(&payload).expect("built payload parses");
        let (key, url) = match &location {
            Location::Key(key) => (Some(key.as_str()), None),
            Location::Url(url) => (None, Some(url.as_str())),
        };
        prop_assert_eq!(code.pix_key(), key);
        prop_assert_eq!(code.url(), url);
        prop_assert_eq!(code.is_dynamic(), url.is_some());
        prop_assert_eq!(code.amount_cents(), amount);
        prop_assert_eq!(code.txid(), txid.as_deref());
        prop_assert_eq!(code.info(), info.as_deref());
        prop_assert_eq!(code.merchant_name(), name.as_str());
        prop_assert_eq!(code.merchant_city(), city.as_str());
    }

    #[test]
    fn parse_never_panics(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_damaged_payloads(
        at in 0..BCB_COMPOSITE.len(),
        cut in 0..BCB_COMPOSITE.len(),
        insert in any::<char>(),
    ) {
        let mut text = BCB_COMPOSITE.to_owned();
        text.insert(at, insert);
        if text.is_char_boundary(cut) {
            text.truncate(cut);
        }
        let _ = parse(&text);
    }
}
