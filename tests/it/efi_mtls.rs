//! The Efí adapter over mTLS: a CA, a server certificate and a client certificate generated
//! here with rcgen, a local TLS server that requires the client certificate, and the adapter
//! trusting the test CA through `extra_roots`. The client certificate is given as PEM and as a
//! `.p12` built here with p12-keystore (empty password, modern and legacy encryption).

use std::sync::Arc;

use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
    PrivateKeyChain,
};
use payorch::config::EfiSettings;
use payorch::gateway::Gateway;
use payorch::gateway::efi::{EfiCredentials, EfiGateway, EfiOptions};
use payorch::model::{AttemptOutcome, ChargeStatus};
use payorch::secret::Secret;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::common::scripted::{Reply, Scripted};

struct Pki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
    client_cert_der: Vec<u8>,
    client_cert_pem: String,
    client_key_der: Vec<u8>,
    client_key_pem: String,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "payorch test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);

    let server_key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
    client
        .distinguished_name
        .push(DnType::CommonName, "payorch efi client");
    client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client.signed_by(&client_key, &issuer).unwrap();

    Pki {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().clone(),
        server_chain: vec![server_cert.der().clone()],
        server_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        client_cert_der: client_cert.der().to_vec(),
        client_cert_pem: client_cert.pem(),
        client_key_der: client_key.serialize_der(),
        client_key_pem: client_key.serialize_pem(),
    }
}

/// The shared scripted server over TLS on localhost, requiring a client certificate from the
/// test CA: `/oauth/token` gets a token and anything else an ATIVA cob. Returns its port.
async fn tls_server(pki: &Pki) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .unwrap();
    let server = Scripted::answering_over_tls(config, |s| {
        Some(if s.path == "/oauth/token" {
            Reply::json(
                200,
                r#"{"access_token":"tok-mtls","token_type":"Bearer","expires_in":3600}"#,
            )
        } else {
            let txid = s.path.rsplit('/').next().unwrap_or("");
            Reply::json(
                200,
                format!(
                    r#"{{"txid":"{txid}","status":"ATIVA","revisao":0,"valor":{{"original":"10.00"}},"chave":"k"}}"#
                ),
            )
        })
    })
    .await;
    server.addr.port()
}

fn adapter(
    port: u16,
    certificate: Option<&std::path::Path>,
    pki: &Pki,
) -> Result<EfiGateway, payorch::gateway::GatewayError> {
    let settings = EfiSettings {
        base_url: format!("https://localhost:{port}"),
        certificate: certificate.map(|p| p.to_path_buf()),
        pix_key: Some("k".into()),
        ..EfiSettings::default()
    };
    let credentials = EfiCredentials {
        client_id: Secret::new("id"),
        client_secret: Secret::new("secret"),
        webhook_hmac: None,
    };
    let options = EfiOptions {
        extra_roots: vec![reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap()],
        ..EfiOptions::default()
    };
    EfiGateway::with_options(&settings, credentials, options)
}

const TXID: &str = "payorch01JD0000000000000000000000";

fn p12(pki: &Pki, password: &str, encryption: EncryptionAlgorithm, mac: MacAlgorithm) -> Vec<u8> {
    let chain = PrivateKeyChain::new(
        b"efi-key-1".to_vec(),
        PrivateKey::from_der(&pki.client_key_der).unwrap(),
        vec![Certificate::from_der(&pki.client_cert_der).unwrap()],
    );
    let mut store = KeyStore::new();
    store.add_entry("efi", KeyStoreEntry::PrivateKeyChain(chain));
    store
        .writer(password)
        .encryption_algorithm(encryption)
        .mac_algorithm(mac)
        .write()
        .unwrap()
}

#[tokio::test]
async fn the_client_certificate_opens_the_connection_as_pem_and_as_p12() {
    let pki = pki();
    let port = tls_server(&pki).await;
    let dir = tempfile::tempdir().unwrap();

    let pem = dir.path().join("efi.pem");
    std::fs::write(
        &pem,
        format!("{}{}", pki.client_key_pem, pki.client_cert_pem),
    )
    .unwrap();
    let mut files = vec![pem];
    // Modern PBES2/AES with a SHA-256 MAC, and how OpenSSL's legacy export (and older Efí
    // certificates) encrypt: PBE-SHA1-3DES with a SHA-1 MAC.
    for (name, encryption, mac) in [
        (
            "efi-modern.p12",
            EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
            MacAlgorithm::HmacSha256,
        ),
        (
            "efi-legacy.p12",
            EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
            MacAlgorithm::HmacSha1,
        ),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, p12(&pki, "", encryption, mac)).unwrap();
        files.push(file);
    }

    for file in &files {
        let efi = adapter(port, Some(file), &pki).unwrap();
        let got = efi
            .get_charge(TXID)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(got.status, ChargeStatus::RequiresAction);
    }
}

#[tokio::test]
async fn a_certificate_the_server_does_not_trust_is_refused_before_sending() {
    let pki = pki();
    let port = tls_server(&pki).await;
    // Over https the adapter refuses to start without a certificate.
    let err = adapter(port, None, &pki).err().unwrap();
    assert!(err.message.contains("certificate"), "{err}");

    // A certificate the server's CA did not issue (self-signed) is refused in the handshake.
    let stranger = rcgen::generate_simple_self_signed(vec!["stranger".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stranger.pem");
    std::fs::write(
        &file,
        format!(
            "{}{}",
            stranger.signing_key.serialize_pem(),
            stranger.cert.pem()
        ),
    )
    .unwrap();
    let efi = adapter(port, Some(&file), &pki).unwrap();
    let err = efi.get_charge(TXID).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableNotSent, "{err}");
}

#[tokio::test]
async fn a_p12_with_a_password_is_refused_with_a_clear_error() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("efi-with-password.p12");
    std::fs::write(
        &file,
        p12(
            &pki,
            "s3cret",
            EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
            MacAlgorithm::HmacSha256,
        ),
    )
    .unwrap();
    let err = adapter(1, Some(&file), &pki).err().unwrap();
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
    assert!(err.message.contains("efi-with-password.p12"), "{err}");
    assert!(err.message.contains("password"), "{err}");
}

#[tokio::test]
async fn a_client_without_any_certificate_is_refused_before_sending() {
    // The adapter never builds an https client without a certificate, so send through a plain
    // client (no identity) and classify its failure the adapter's way.
    let pki = pki();
    let port = tls_server(&pki).await;
    payorch::gateway::http::install_crypto_provider();
    let client = reqwest::Client::builder()
        .tls_backend_rustls()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let e = client
        .post(format!("https://localhost:{port}/oauth/token"))
        .body(r#"{"grant_type":"client_credentials"}"#)
        .send()
        .await
        .unwrap_err();
    let err = payorch::gateway::efi::classify_transport(&e);
    assert_eq!(err.outcome, AttemptOutcome::UnavailableNotSent, "{err}");
    assert!(err.message.contains("client certificate"), "{err}");
}
