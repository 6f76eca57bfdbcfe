//! The OS keyring as a [`CredentialStore`]: which platform store is used (on Linux the
//! Secret Service where a D-Bus session has one, else the kernel keyutils store; Keychain on
//! macOS; Credential Manager on Windows), and its failures turned into messages an operator
//! can act on. No message ever shows a stored value.

use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;

use super::{CredentialError, CredentialStore, FieldSpec, account, env_var};
use crate::env::Env;
use crate::model::{GatewayId, TenantId};
use crate::secret::Secret;

/// Which OS credential store holds the secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyringKind {
    /// The Linux kernel's key retention service (keyctl): headless servers and CI.
    Keyutils,
    /// The freedesktop Secret Service over D-Bus (GNOME Keyring, KWallet): desktops.
    SecretService,
    /// macOS Keychain.
    Keychain,
    /// Windows Credential Manager.
    CredentialManager,
    /// No supported store on this platform.
    Unsupported,
}

impl fmt::Display for KeyringKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyringKind::Keyutils => "kernel keyutils keyring",
            KeyringKind::SecretService => "Secret Service keyring",
            KeyringKind::Keychain => "macOS Keychain",
            KeyringKind::CredentialManager => "Windows Credential Manager",
            KeyringKind::Unsupported => "keyring",
        })
    }
}

/// Why one platform-store operation failed, before it is tied to a field.
pub(super) enum Failure {
    /// There is no usable keyring at all; the text says why.
    Unavailable(String),
    /// The keyring exists but refused access (e.g. locked).
    Locked(String),
    /// The stored value is not text.
    Corrupt,
    Other(String),
}

/// A platform store, addressed by account name under the `payorch` service.
pub(super) trait Backend: Send + Sync {
    fn get(&self, account: &str) -> Result<Option<String>, Failure>;
    fn set(&self, account: &str, value: &str) -> Result<(), Failure>;
    /// `false` if there was nothing to delete.
    fn delete(&self, account: &str) -> Result<bool, Failure>;
}

/// The chosen platform store, or why there is none.
type Opened = (KeyringKind, Result<Box<dyn Backend>, String>);

/// The OS keyring: service [`KEYRING_SERVICE`](super::KEYRING_SERVICE), account
/// [`account`] (`<tenant>/<gateway>/<field>`).
///
/// On Linux, the Secret Service when a D-Bus session exists (`DBUS_SESSION_BUS_ADDRESS` set and
/// a Secret Service answering on it); otherwise the kernel keyutils store (see
/// `keyutils.rs`: the user keyring, shared by every process of the user, gone after a
/// reboot). On macOS the Keychain, on Windows the Credential Manager. The store is opened on
/// first use: a command whose credentials all come from environment variables never touches it.
pub struct OsKeyring {
    dbus_session: bool,
    opened: OnceLock<Opened>,
}

impl OsKeyring {
    /// `env` tells whether a D-Bus session exists (`DBUS_SESSION_BUS_ADDRESS`).
    pub fn new(env: &dyn Env) -> Self {
        OsKeyring {
            dbus_session: env.var("DBUS_SESSION_BUS_ADDRESS").is_some(),
            opened: OnceLock::new(),
        }
    }

    /// Which store this is (choosing it if needed).
    pub fn kind(&self) -> KeyringKind {
        self.opened().0
    }

    fn opened(&self) -> &Opened {
        self.opened
            .get_or_init(|| open_platform_store(self.dbus_session))
    }

    /// Runs `op` on the platform store for one field, turning failures into errors that name
    /// the keyring entry and the environment variable that can replace it.
    fn with<T>(
        &self,
        op: &'static str,
        tenant: &TenantId,
        gateway: GatewayId,
        field: &'static FieldSpec,
        run: impl FnOnce(&dyn Backend, &str) -> Result<T, Failure>,
    ) -> Result<T, CredentialError> {
        let (kind, backend) = self.opened();
        let kind = *kind;
        let account = account(tenant, gateway, field);
        let failure = match backend {
            Ok(backend) => match run(backend.as_ref(), &account) {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            },
            Err(reason) => Failure::Unavailable(reason.clone()),
        };
        Err(match failure {
            Failure::Unavailable(reason) => CredentialError::NoKeyring {
                reason,
                env_var: env_var(gateway, field),
            },
            Failure::Locked(reason) => CredentialError::Locked {
                keyring: kind,
                account,
                reason,
                env_var: env_var(gateway, field),
            },
            Failure::Corrupt => CredentialError::Corrupt {
                keyring: kind,
                account,
                gateway,
                field: field.name,
            },
            Failure::Other(reason) => CredentialError::Keyring {
                keyring: kind,
                op,
                account,
                reason,
            },
        })
    }
}

/// Entries that are not gateway credentials (the data key, `crate::datakey`), addressed by
/// their account name alone. Errors are sentences naming the keyring and the entry, never a
/// value.
impl OsKeyring {
    pub fn get_entry(&self, account: &str) -> Result<Option<String>, String> {
        self.entry_op("read", account, |b| b.get(account))
    }

    pub fn set_entry(&self, account: &str, value: &str) -> Result<(), String> {
        self.entry_op("store", account, |b| b.set(account, value))
    }

    pub fn delete_entry(&self, account: &str) -> Result<bool, String> {
        self.entry_op("delete", account, |b| b.delete(account))
    }

    fn entry_op<T>(
        &self,
        op: &str,
        account: &str,
        run: impl FnOnce(&dyn Backend) -> Result<T, Failure>,
    ) -> Result<T, String> {
        let (kind, backend) = self.opened();
        let backend = backend
            .as_ref()
            .map_err(|reason| format!("no keyring available: {reason}"))?;
        run(backend.as_ref()).map_err(|failure| {
            let why = match failure {
                Failure::Unavailable(reason) => return format!("no keyring available: {reason}"),
                Failure::Locked(reason) => format!("access refused ({reason}): unlock it"),
                Failure::Corrupt => "the stored value is not text".into(),
                Failure::Other(reason) => reason,
            };
            format!("the {kind} could not {op} `{account}`: {why}")
        })
    }
}

impl CredentialStore for OsKeyring {
    fn get(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        field: &'static FieldSpec,
    ) -> Result<Option<Secret>, CredentialError> {
        self.with("read", tenant, gateway, field, |b, account| {
            b.get(account).map(|v| v.map(Secret::new))
        })
    }

    fn set(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        field: &'static FieldSpec,
        value: &Secret,
    ) -> Result<(), CredentialError> {
        // The one place a credential leaves its `Secret`: into the keyring.
        self.with("store", tenant, gateway, field, |b, account| {
            b.set(account, value.expose())
        })
    }

    fn delete(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        field: &'static FieldSpec,
    ) -> Result<bool, CredentialError> {
        self.with("delete", tenant, gateway, field, |b, account| {
            b.delete(account)
        })
    }
}

/// A keyring-core store (Secret Service, Keychain, Credential Manager).
#[cfg(any(unix, windows))]
struct CoreStore(std::sync::Arc<keyring_core::CredentialStore>);

#[cfg(any(unix, windows))]
impl CoreStore {
    fn entry(&self, account: &str) -> Result<keyring_core::Entry, Failure> {
        self.0
            .build(super::KEYRING_SERVICE, account, None)
            .map_err(core_failure)
    }
}

#[cfg(any(unix, windows))]
impl Backend for CoreStore {
    fn get(&self, account: &str) -> Result<Option<String>, Failure> {
        match self.entry(account)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(core_failure(e)),
        }
    }

    fn set(&self, account: &str, value: &str) -> Result<(), Failure> {
        self.entry(account)?
            .set_password(value)
            .map_err(core_failure)
    }

    fn delete(&self, account: &str) -> Result<bool, Failure> {
        match self.entry(account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(core_failure(e)),
        }
    }
}

/// A keyring-core error as a [`Failure`]. The variants that carry the stored bytes are
/// described, never printed.
#[cfg(any(unix, windows))]
fn core_failure(err: keyring_core::Error) -> Failure {
    use keyring_core::Error as E;
    match err {
        E::NoStorageAccess(e) => Failure::Locked(e.to_string()),
        E::NoDefaultStore => Failure::Unavailable("no keyring store is configured".into()),
        E::BadEncoding(_) | E::BadDataFormat(..) => Failure::Corrupt,
        E::PlatformFailure(e) => Failure::Other(e.to_string()),
        E::Ambiguous(items) => Failure::Other(format!(
            "{} entries match; delete them and set it again",
            items.len()
        )),
        other => Failure::Other(other.to_string()),
    }
}

#[cfg(target_os = "linux")]
fn open_platform_store(dbus_session: bool) -> Opened {
    let mut skipped = String::from("no D-Bus session");
    if dbus_session {
        match zbus_secret_service_keyring_store::Store::new() {
            Ok(store) => {
                return (KeyringKind::SecretService, Ok(Box::new(CoreStore(store))));
            }
            Err(e) => {
                tracing::info!(
                    "no Secret Service on the D-Bus session ({e}); using the kernel keyutils keyring"
                );
                skipped = format!("no Secret Service on the D-Bus session ({e})");
            }
        }
    }
    (
        KeyringKind::Keyutils,
        Ok(Box::new(super::keyutils::UserKeyring::new(skipped))),
    )
}

#[cfg(all(
    unix,
    not(any(
        target_os = "linux",
        target_os = "macos",
        target_os = "ios",
        target_os = "android"
    ))
))]
fn open_platform_store(_dbus_session: bool) -> Opened {
    let store = zbus_secret_service_keyring_store::Store::new()
        .map(|s| Box::new(CoreStore(s)) as Box<dyn Backend>)
        .map_err(|e| format!("no Secret Service on the D-Bus session ({e})"));
    (KeyringKind::SecretService, store)
}

#[cfg(target_os = "macos")]
fn open_platform_store(_dbus_session: bool) -> Opened {
    let store = apple_native_keyring_store::keychain::Store::new()
        .map(|s| Box::new(CoreStore(s)) as Box<dyn Backend>)
        .map_err(|e| format!("the macOS Keychain is unavailable ({e})"));
    (KeyringKind::Keychain, store)
}

#[cfg(windows)]
fn open_platform_store(_dbus_session: bool) -> Opened {
    let store = windows_native_keyring_store::Store::new()
        .map(|s| Box::new(CoreStore(s)) as Box<dyn Backend>)
        .map_err(|e| format!("the Windows Credential Manager is unavailable ({e})"));
    (KeyringKind::CredentialManager, store)
}

#[cfg(not(any(unix, windows)))]
fn open_platform_store(_dbus_session: bool) -> Opened {
    (
        KeyringKind::Unsupported,
        Err("this platform has no supported keyring".into()),
    )
}
