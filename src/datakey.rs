//! The data key: the 256-bit AES-GCM key that encrypts secrets payorch must keep in its store
//! (today the webhook endpoints' signing secrets), where it comes from, and how it rotates.
//! Not what is encrypted or when: that is the owner of each secret (`webhook::endpoint`).
//!
//! **Where the key lives.** `PAYORCH_DATA_KEY` (base64 of 32 bytes) wins: for containers and
//! fleets, where every instance needs the same key; `PAYORCH_DATA_KEY_PREVIOUS` (comma-separated)
//! adds older keys that still decrypt during a rotation. Otherwise the OS keyring, the store of
//! the gateway credentials, entry `payorch:data-key` (account overridable with
//! `PAYORCH_DATA_KEY_ACCOUNT`, so tests or two installations on one user do not share it),
//! created on first need. The entry holds the keys one per line, the current one first.
//! On a headless Linux that keyring is the kernel *user* keyring, which does not survive a
//! reboot: back the key up (`payorch datakey show --reveal`) and bring it back with
//! `payorch datakey import`, or run `serve` with `PAYORCH_DATA_KEY`.
//!
//! **Format.** `enc:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`, with a fresh 96-bit
//! random nonce per value and the owner's context (e.g. the tenant) as associated data, so a
//! value copied to another tenant's document does not decrypt. The key id is the first 8 hex
//! digits of SHA-256 of the key: it names the key without revealing it, whatever its source.
//! A value without the `enc:` prefix is a secret written in clear by an older payorch: it is
//! read as is and encrypted at the next write (or by `payorch datakey rotate`).

use std::sync::Mutex;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::credentials::OsKeyring;
use crate::env::Env;
use crate::secret::Secret;

/// The data key itself (base64), winning over the keyring.
pub const ENV_KEY: &str = "PAYORCH_DATA_KEY";
/// Older keys (base64, comma-separated) that still decrypt, while a rotation runs.
pub const ENV_PREVIOUS: &str = "PAYORCH_DATA_KEY_PREVIOUS";
/// The keyring account of the data key entry (default [`DEFAULT_ACCOUNT`]).
pub const ENV_ACCOUNT: &str = "PAYORCH_DATA_KEY_ACCOUNT";
/// The keyring account of the data key entry: `payorch:data-key`. Gateway credentials are
/// `<tenant>/<gateway>/<field>`, so the names cannot collide.
pub const DEFAULT_ACCOUNT: &str = "data-key";
/// The prefix of every encrypted value, with its format version.
const SEALED_PREFIX: &str = "enc:v1:";
const NONCE_BYTES: usize = 12;
const KEY_BYTES: usize = 32;

/// Why a secret could not be encrypted or decrypted. No message contains a key or a secret.
#[derive(Debug, thiserror::Error)]
pub enum DataKeyError {
    #[error(
        "a stored secret is encrypted with data key `{key_id}`, which {looked}. Provide that key: \
         set {ENV_KEY} to its base64 (from your backup of `payorch datakey show --reveal`), or \
         put it back in the keyring with `payorch datakey import`. If the key is lost, give the \
         endpoint a new signing secret with `payorch webhook secret rotate --overlap 0s` (the \
         merchant must then take the new secret); deliveries wait, unsigned ones are never sent"
    )]
    Missing { key_id: String, looked: String },
    #[error("{var}: {problem}")]
    BadEnv { var: &'static str, problem: String },
    #[error("the keyring entry `{account}` is not a list of base64 data keys: {problem}")]
    BadEntry { account: String, problem: String },
    /// The keyring could not be used (none on this machine, locked, refused).
    #[error("{0}; or give the data key in {ENV_KEY} instead of the keyring")]
    Keyring(String),
    #[error(
        "a stored secret does not decrypt with data key `{key_id}`: it was altered or copied from elsewhere"
    )]
    Tampered { key_id: String },
    #[error("a stored secret is not in a known format (expected `{SEALED_PREFIX}…`)")]
    Malformed,
    #[error("cannot draw random bytes for a data key or nonce: {0}")]
    Random(String),
    #[error(
        "the data key comes from {ENV_KEY}: rotate it by setting {ENV_KEY} to a new key (`payorch datakey generate`) and {ENV_PREVIOUS} to the old one, then run `payorch datakey rotate` again"
    )]
    EnvManaged,
}

/// One 256-bit data key. `Debug` shows its id only.
#[derive(Clone)]
pub struct DataKey {
    id: String,
    bytes: [u8; KEY_BYTES],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey({})", self.id)
    }
}

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Result<DataKey, DataKeyError> {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| DataKeyError::Random(e.to_string()))?;
        Ok(DataKey::from_bytes(bytes))
    }

    fn from_bytes(bytes: [u8; KEY_BYTES]) -> DataKey {
        let digest = Sha256::digest(bytes);
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        DataKey { id, bytes }
    }

    /// A key written as base64 (standard alphabet, padding optional); the problem otherwise.
    pub fn from_base64(text: &str) -> Result<DataKey, String> {
        let text = text.trim();
        let decoded = STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .map_err(|_| "is not base64".to_string())?;
        let bytes: [u8; KEY_BYTES] = decoded.try_into().map_err(|v: Vec<u8>| {
            format!("is {} bytes, but a data key is {KEY_BYTES} bytes", v.len())
        })?;
        Ok(DataKey::from_bytes(bytes))
    }

    /// The key id: 8 hex digits of its SHA-256.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key as base64, for a backup.
    pub fn to_base64(&self) -> Secret {
        Secret::new(STANDARD.encode(self.bytes))
    }

    fn cipher(&self) -> Aes256Gcm {
        // A 32-byte slice always makes an AES-256 key.
        Aes256Gcm::new(&self.bytes.into())
    }

    fn seal(&self, plain: &str, aad: &str) -> Result<String, DataKeyError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| DataKeyError::Random(e.to_string()))?;
        let sealed = self
            .cipher()
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| DataKeyError::Random("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{SEALED_PREFIX}{}:{}",
            self.id,
            URL_SAFE_NO_PAD.encode(out)
        ))
    }

    fn open(&self, body: &str, aad: &str) -> Result<Secret, DataKeyError> {
        let tampered = || DataKeyError::Tampered {
            key_id: self.id.clone(),
        };
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| tampered())?;
        if bytes.len() < NONCE_BYTES {
            return Err(tampered());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| tampered())?;
        let plain = self
            .cipher()
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| tampered())?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| tampered())
    }
}

/// The key id a stored value was encrypted with; `None` for a value in clear.
pub fn key_id_of(stored: &str) -> Option<&str> {
    stored
        .strip_prefix(SEALED_PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .map(|(id, _)| id)
}

/// Where the data keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `PAYORCH_DATA_KEY` (and `PAYORCH_DATA_KEY_PREVIOUS`).
    Env,
    /// The OS keyring entry `payorch:<account>`.
    Keyring { keyring: String, account: String },
    /// Given in memory (`payorch demo`, tests).
    Memory,
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Env => write!(f, "env {ENV_KEY}"),
            KeySource::Keyring { keyring, account } => {
                write!(f, "{keyring}, entry `payorch:{account}`")
            }
            KeySource::Memory => f.write_str("memory"),
        }
    }
}

enum Origin {
    /// Fixed for the life of the process: env or memory.
    Fixed(KeySource),
    Keyring {
        keyring: OsKeyring,
        account: String,
    },
}

/// The data keys of this process: the current one (encrypts) and older ones (decrypt only),
/// loaded on first need and kept; a keyring entry is created on the first encryption, and read
/// again when a value names a key not loaded yet (another process rotated).
pub struct DataKeys {
    origin: Origin,
    /// Current first. Empty until loaded.
    loaded: Mutex<Vec<DataKey>>,
}

impl DataKeys {
    /// The keys of this process's environment: `PAYORCH_DATA_KEY` (checked now), else the OS
    /// keyring (opened on first need).
    pub fn from_env(env: &dyn Env) -> Result<DataKeys, DataKeyError> {
        if let Some(current) = env.var(ENV_KEY) {
            let mut keys =
                vec![
                    DataKey::from_base64(&current).map_err(|problem| DataKeyError::BadEnv {
                        var: ENV_KEY,
                        problem,
                    })?,
                ];
            for old in env
                .var(ENV_PREVIOUS)
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.trim().is_empty())
            {
                keys.push(
                    DataKey::from_base64(old).map_err(|problem| DataKeyError::BadEnv {
                        var: ENV_PREVIOUS,
                        problem: format!("a key {problem}"),
                    })?,
                );
            }
            return Ok(DataKeys {
                origin: Origin::Fixed(KeySource::Env),
                loaded: Mutex::new(keys),
            });
        }
        let account = env
            .var(ENV_ACCOUNT)
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| DEFAULT_ACCOUNT.to_string());
        Ok(DataKeys {
            origin: Origin::Keyring {
                keyring: OsKeyring::new(env),
                account,
            },
            loaded: Mutex::new(Vec::new()),
        })
    }

    /// Fixed keys in memory, the first current (`payorch demo`, tests).
    pub fn in_memory(keys: Vec<DataKey>) -> DataKeys {
        DataKeys {
            origin: Origin::Fixed(KeySource::Memory),
            loaded: Mutex::new(keys),
        }
    }

    /// Where the keys come from.
    pub fn source(&self) -> KeySource {
        match &self.origin {
            Origin::Fixed(source) => source.clone(),
            Origin::Keyring { keyring, account } => KeySource::Keyring {
                keyring: keyring.kind().to_string(),
                account: account.clone(),
            },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<DataKey>> {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The keyring entry's keys (empty when there is none).
    fn read_entry(keyring: &OsKeyring, account: &str) -> Result<Vec<DataKey>, DataKeyError> {
        let Some(text) = keyring.get_entry(account).map_err(DataKeyError::Keyring)? else {
            return Ok(Vec::new());
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                DataKey::from_base64(l).map_err(|problem| DataKeyError::BadEntry {
                    account: account.to_string(),
                    problem: format!("a line {problem}"),
                })
            })
            .collect()
    }

    fn write_entry(
        keyring: &OsKeyring,
        account: &str,
        keys: &[DataKey],
    ) -> Result<(), DataKeyError> {
        let text: Vec<String> = keys
            .iter()
            .map(|k| k.to_base64().expose().to_string())
            .collect();
        keyring
            .set_entry(account, &text.join("\n"))
            .map_err(DataKeyError::Keyring)
    }

    /// The loaded keys, reading the keyring when nothing is loaded yet or `refresh`.
    fn keys(&self, refresh: bool) -> Result<Vec<DataKey>, DataKeyError> {
        let mut loaded = self.lock();
        if let Origin::Keyring { keyring, account } = &self.origin
            && (loaded.is_empty() || refresh)
        {
            *loaded = Self::read_entry(keyring, account)?;
        }
        Ok(loaded.clone())
    }

    /// The current key, if there is one (none is created).
    pub fn current(&self) -> Result<Option<DataKey>, DataKeyError> {
        Ok(self.keys(false)?.into_iter().next())
    }

    /// Every key known, current first (none is created).
    pub fn all(&self) -> Result<Vec<DataKey>, DataKeyError> {
        self.keys(false)
    }

    /// The current key, creating it in the keyring if there is none yet.
    fn current_or_create(&self) -> Result<DataKey, DataKeyError> {
        if let Some(key) = self.current()? {
            return Ok(key);
        }
        let Origin::Keyring { keyring, account } = &self.origin else {
            // A fixed set always has a current key (the constructors ensure it).
            return Err(DataKeyError::Missing {
                key_id: "(none)".into(),
                looked: "was never given".into(),
            });
        };
        let key = DataKey::generate()?;
        Self::write_entry(keyring, account, std::slice::from_ref(&key))?;
        tracing::info!(key_id = %key.id, keyring = %keyring.kind(), "created the data key; back it up with `payorch datakey show --reveal`");
        // Another process may have created one at the same moment: use what the keyring holds.
        let stored = self.keys(true)?;
        stored.into_iter().next().ok_or_else(|| {
            DataKeyError::Keyring(format!(
                "the {} did not keep the data key entry `{account}`",
                keyring.kind()
            ))
        })
    }

    /// Encrypts `plain` under the current key, bound to `aad` (the owner's context).
    pub fn seal(&self, plain: &Secret, aad: &str) -> Result<String, DataKeyError> {
        self.current_or_create()?.seal(plain.expose(), aad)
    }

    /// Decrypts a stored value (a value in clear, from an older payorch, is returned as is).
    pub fn open(&self, stored: &str, aad: &str) -> Result<Secret, DataKeyError> {
        let Some(rest) = stored.strip_prefix(SEALED_PREFIX) else {
            if stored.starts_with("enc:") {
                return Err(DataKeyError::Malformed);
            }
            return Ok(Secret::new(stored));
        };
        let (id, body) = rest.split_once(':').ok_or(DataKeyError::Malformed)?;
        let find = |keys: Vec<DataKey>| keys.into_iter().find(|k| k.id == id);
        let key = match find(self.keys(false)?) {
            Some(key) => key,
            None => find(self.keys(true)?).ok_or_else(|| DataKeyError::Missing {
                key_id: id.to_string(),
                looked: self.where_looked(),
            })?,
        };
        key.open(body, aad)
    }

    /// `stored` under the current key: as is when it already is, else decrypted and
    /// encrypted again (a value in clear is encrypted).
    pub fn reseal(&self, stored: &str, aad: &str) -> Result<String, DataKeyError> {
        let current = self.current_or_create()?;
        if key_id_of(stored) == Some(current.id()) {
            return Ok(stored.to_string());
        }
        current.seal(self.open(stored, aad)?.expose(), aad)
    }

    fn where_looked(&self) -> String {
        match &self.origin {
            Origin::Fixed(KeySource::Env) => {
                format!("is neither {ENV_KEY} nor one of {ENV_PREVIOUS}")
            }
            Origin::Fixed(_) => "this process was not given".into(),
            Origin::Keyring { keyring, account } => format!(
                "is not in the {} entry `payorch:{account}` (the kernel keyutils keyring of a \
                 headless Linux does not survive a reboot) and {ENV_KEY} is not set",
                keyring.kind()
            ),
        }
    }

    /// Step 1 of a rotation: a new current key, the old ones kept (they still decrypt).
    /// Only for keys in the keyring (with env keys the operator changes the variables).
    pub fn begin_rotation(&self) -> Result<DataKey, DataKeyError> {
        let Origin::Keyring { keyring, account } = &self.origin else {
            return Err(DataKeyError::EnvManaged);
        };
        let mut keys = self.keys(true)?;
        let fresh = DataKey::generate()?;
        keys.insert(0, fresh.clone());
        Self::write_entry(keyring, account, &keys)?;
        *self.lock() = keys;
        Ok(fresh)
    }

    /// Step 2, once every stored value is under the current key: forget the older keys.
    /// Returns the ids dropped.
    pub fn finish_rotation(&self) -> Result<Vec<String>, DataKeyError> {
        let mut keys = self.keys(true)?;
        let dropped = keys.iter().skip(1).map(|k| k.id.clone()).collect();
        keys.truncate(1);
        match &self.origin {
            Origin::Keyring { keyring, account } => Self::write_entry(keyring, account, &keys)?,
            Origin::Fixed(_) => {}
        }
        *self.lock() = keys;
        Ok(dropped)
    }

    /// Adds `key` as the current key in the keyring (a restored backup), keeping any others.
    pub fn import(&self, key: DataKey) -> Result<(), DataKeyError> {
        let Origin::Keyring { keyring, account } = &self.origin else {
            return Err(DataKeyError::EnvManaged);
        };
        let mut keys = self.keys(true)?;
        keys.retain(|k| k.id != key.id);
        keys.insert(0, key);
        Self::write_entry(keyring, account, &keys)?;
        *self.lock() = keys;
        Ok(())
    }

    /// Removes this process's keyring entry (tests clean up with it).
    pub fn delete_entry(&self) -> Result<bool, DataKeyError> {
        match &self.origin {
            Origin::Keyring { keyring, account } => {
                keyring.delete_entry(account).map_err(DataKeyError::Keyring)
            }
            Origin::Fixed(_) => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret {
        Secret::new(s)
    }

    #[test]
    fn seal_open_reseal_and_the_errors_that_say_what_to_do() {
        let old = DataKey::generate().unwrap();
        let new = DataKey::generate().unwrap();
        assert_ne!(old.id(), new.id());
        let keys = DataKeys::in_memory(vec![old.clone()]);
        let sealed = keys.seal(&secret("whsec_abc"), "tenant:acme").unwrap();
        assert!(
            sealed.starts_with(&format!("enc:v1:{}:", old.id())),
            "{sealed}"
        );
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(key_id_of(&sealed), Some(old.id()));
        assert_eq!(
            keys.open(&sealed, "tenant:acme").unwrap().expose(),
            "whsec_abc"
        );
        // Two seals of one secret differ (fresh nonce).
        assert_ne!(
            sealed,
            keys.seal(&secret("whsec_abc"), "tenant:acme").unwrap()
        );
        // Bound to its context, and to its bytes.
        assert!(matches!(
            keys.open(&sealed, "tenant:other"),
            Err(DataKeyError::Tampered { .. })
        ));
        let mut flipped = sealed.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        assert!(
            keys.open(&String::from_utf8(flipped).unwrap(), "tenant:acme")
                .is_err()
        );
        // A value in clear (an older payorch) reads as is; a broken prefix does not.
        assert_eq!(keys.open("whsec_old", "x").unwrap().expose(), "whsec_old");
        assert!(matches!(
            keys.open("enc:v9:zz", "x"),
            Err(DataKeyError::Malformed)
        ));

        // A process with only the new key cannot read it, and says which key and what to do.
        let only_new = DataKeys::in_memory(vec![new.clone()]);
        let err = only_new
            .open(&sealed, "tenant:acme")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(old.id()) && err.contains("PAYORCH_DATA_KEY"),
            "{err}"
        );
        assert!(err.contains("payorch webhook secret rotate"), "{err}");
        assert!(!err.contains(old.to_base64().expose()));

        // Reseal moves a value to the current key, and leaves one already there alone.
        let both = DataKeys::in_memory(vec![new.clone(), old.clone()]);
        let moved = both.reseal(&sealed, "tenant:acme").unwrap();
        assert_eq!(key_id_of(&moved), Some(new.id()));
        assert_eq!(
            only_new.open(&moved, "tenant:acme").unwrap().expose(),
            "whsec_abc"
        );
        assert_eq!(both.reseal(&moved, "tenant:acme").unwrap(), moved);
        let from_clear = both.reseal("whsec_old", "t").unwrap();
        assert_eq!(key_id_of(&from_clear), Some(new.id()));
    }

    #[test]
    fn keys_from_the_environment_are_checked() {
        let k = DataKey::generate().unwrap();
        let b64 = k.to_base64().expose().to_string();
        let keys = DataKeys::from_env(&[(ENV_KEY, b64.as_str())]).unwrap();
        assert_eq!(keys.source(), KeySource::Env);
        assert_eq!(keys.current().unwrap().unwrap().id(), k.id());
        assert_eq!(DataKey::from_base64(&b64).unwrap().id(), k.id());
        let cases: [(&dyn Env, &str); 3] = [
            (
                &[(ENV_KEY, "not base64!")],
                "PAYORCH_DATA_KEY: is not base64",
            ),
            (&[(ENV_KEY, "AAAA")], "PAYORCH_DATA_KEY: is 3 bytes"),
            (
                &[(ENV_KEY, b64.as_str()), (ENV_PREVIOUS, "AAAA")],
                "PAYORCH_DATA_KEY_PREVIOUS: a key is 3 bytes",
            ),
        ];
        for (vars, wanted) in cases {
            let err = DataKeys::from_env(vars).err().unwrap().to_string();
            assert!(err.starts_with(wanted), "{err}");
        }
        assert!(matches!(
            keys.begin_rotation(),
            Err(DataKeyError::EnvManaged)
        ));
        assert!(!format!("{k:?}").contains(k.to_base64().expose()));
    }
}
