//! The Linux kernel keyutils store (keyctl), for headless servers and CI: each credential is
//! a `user` key described `payorch:<tenant>/<gateway>/<field>` in the user keyring (`@u`).
//!
//! Why the user keyring, and not the session keyring the keyring crate's keyutils store uses:
//! a process with no session keyring (a container, CI, a systemd service) gets a fresh
//! anonymous one per process, so what one `payorch` stored the next could not find. The user
//! keyring is one per user: every process of the user shares it, whatever its session; since
//! Linux 5.3 it lives until reboot. The key is also linked into the user's persistent keyring
//! (best effort), which keeps it on older kernels while the user has no process running, for
//! `/proc/sys/kernel/keys/persistent_keyring_expiry` seconds (3 days by default) after the
//! last use. Nothing survives a reboot. Keys grant the owning user (not only the "possessor")
//! read/search/write, so access does not depend on how a process's keyrings were set up; the
//! user keyring itself already grants that user everything, so this widens nothing.

use linux_keyutils::{KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};

use super::KEYRING_SERVICE;
use super::os_keyring::{Backend, Failure};

/// The user keyring store.
pub(super) struct UserKeyring {
    /// Why a better store was not used ("no D-Bus session"), for "no keyring" messages.
    skipped: String,
}

impl UserKeyring {
    pub(super) fn new(skipped: String) -> Self {
        UserKeyring { skipped }
    }

    fn keyring(&self) -> Result<KeyRing, Failure> {
        KeyRing::from_special_id(KeyRingIdentifier::User, true).map_err(|e| {
            Failure::Unavailable(format!(
                "{} and the kernel keyutils store is unavailable ({})",
                self.skipped,
                describe(e)
            ))
        })
    }

    fn fail(&self, err: KeyError) -> Failure {
        match err {
            // Seccomp filters (e.g. Docker's default profile) answer EPERM or ENOSYS.
            KeyError::PermissionDenied | KeyError::Unknown(libc::ENOSYS) => {
                Failure::Unavailable(format!(
                    "{} and the kernel keyutils store is unavailable ({})",
                    self.skipped,
                    describe(err)
                ))
            }
            KeyError::AccessDenied => Failure::Locked(describe(err)),
            other => Failure::Other(describe(other)),
        }
    }
}

/// The key's description: `payorch:<account>`.
fn description(account: &str) -> String {
    format!("{KEYRING_SERVICE}:{account}")
}

impl Backend for UserKeyring {
    fn get(&self, account: &str) -> Result<Option<String>, Failure> {
        let keyring = self.keyring()?;
        // A deleted key is invalidated, and the kernel unlinks it from the keyrings only when
        // its garbage collector runs: until then a search or a read of it says "revoked". It
        // is gone either way (a `credentials show` right after a `delete` hit this window).
        let key = match keyring.search(&description(account)) {
            Ok(key) => key,
            Err(KeyError::KeyDoesNotExist | KeyError::KeyRevoked) => return Ok(None),
            Err(e) => return Err(self.fail(e)),
        };
        let bytes = match key.read_to_vec() {
            Ok(bytes) => bytes,
            Err(KeyError::KeyRevoked) => return Ok(None),
            Err(e) => return Err(self.fail(e)),
        };
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Failure::Corrupt)
    }

    fn set(&self, account: &str, value: &str) -> Result<(), Failure> {
        let keyring = self.keyring()?;
        // Replaces the payload of an existing key with the same description in place.
        let key = keyring
            .add_key(&description(account), value)
            .map_err(|e| self.fail(e))?;
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .user(Permission::ALL)
            .build();
        key.set_perms(perms).map_err(|e| self.fail(e))?;
        if let Ok(persistent) = KeyRing::get_persistent(KeyRingIdentifier::User) {
            // Best effort: the user keyring already holds the key.
            let _ = persistent.link_key(key);
        }
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<bool, Failure> {
        let keyring = self.keyring()?;
        match keyring.search(&description(account)) {
            // Invalidation removes the key from every keyring it is linked into.
            Ok(key) => key.invalidate().map(|()| true).map_err(|e| self.fail(e)),
            // Already deleted, not yet collected (see `get`).
            Err(KeyError::KeyDoesNotExist | KeyError::KeyRevoked) => Ok(false),
            Err(e) => Err(self.fail(e)),
        }
    }
}

/// A keyutils error in words.
fn describe(err: KeyError) -> String {
    match err {
        KeyError::PermissionDenied => "the keyctl system call is not permitted here (EPERM)".into(),
        KeyError::Unknown(libc::ENOSYS) => "the kernel has no keyctl system call (ENOSYS)".into(),
        KeyError::AccessDenied => "access denied (EACCES)".into(),
        KeyError::QuotaExceeded => {
            "the user's key quota is full (see /proc/sys/kernel/keys/maxkeys and maxbytes)".into()
        }
        KeyError::OutOfMemory => "the kernel is out of memory for keys".into(),
        KeyError::KeyExpired => "the key has expired".into(),
        KeyError::KeyRevoked => "the key was revoked".into(),
        other => format!("{other:?}"),
    }
}
