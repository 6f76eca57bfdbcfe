//! The data dir and the database file are the service user's alone: created 0700 and 0600
//! (SQLite gives its `-wal` and `-shm` files the database file's mode), and checked when a
//! command opens the store, so a file left readable by others (an older payorch created it
//! 0644, or a copy was restored with a umask) is reported with the `chmod` that fixes it.
//! No effect on platforms without Unix modes.

use std::io;
use std::path::{Path, PathBuf};

/// Creates `dir` and its missing parents, the new ones 0700.
pub(super) fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the database file 0600 if it does not exist yet (an existing one is left as it is).
pub(super) fn create_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

/// One file or dir that others than its owner may read (or enter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoosePermission {
    pub path: PathBuf,
    /// The mode found, e.g. `0o644`.
    pub mode: u32,
    /// The mode it should have: `0o700` for the dir, `0o600` for files.
    pub wanted: u32,
}

impl std::fmt::Display for LoosePermission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is mode {:o}: others on this machine can read payorch's data (webhook \
             signing secrets are encrypted, but charges and customers are not); fix it with \
             `chmod {:o} {}`",
            self.path.display(),
            self.mode,
            self.wanted,
            self.path.display()
        )
    }
}

/// The database's dir, the database and its `-wal`/`-shm` files that group or others may
/// access (the files that exist; none on platforms without Unix modes).
pub fn loose_permissions(db: &Path) -> Vec<LoosePermission> {
    let mut found = Vec::new();
    let dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let mut shm = db.as_os_str().to_owned();
    shm.push("-shm");
    let checks = [
        (dir.to_path_buf(), 0o700),
        (db.to_path_buf(), 0o600),
        (PathBuf::from(wal), 0o600),
        (PathBuf::from(shm), 0o600),
    ];
    for (path, wanted) in checks {
        if let Some(mode) = mode_of(&path)
            && mode & 0o077 != 0
        {
            found.push(LoosePermission { path, mode, wanted });
        }
    }
    found
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode_of(_path: &Path) -> Option<u32> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_store_is_created_private_and_wider_modes_are_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a").join("data");
        let db = dir.join("payorch.db");
        let store = SqliteStore::open(&db).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
        let wal = dir.join("payorch.db-wal");
        assert!(wal.exists(), "WAL mode makes a -wal file");
        assert_eq!(mode(&wal), 0o600);
        assert_eq!(loose_permissions(&db), vec![]);
        drop(store);

        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let loose = loose_permissions(&db);
        assert_eq!(
            loose.iter().map(|l| (l.mode, l.wanted)).collect::<Vec<_>>(),
            vec![(0o755, 0o700), (0o644, 0o600)]
        );
        let text = loose[1].to_string();
        assert!(
            text.contains(&format!("chmod 600 {}", db.display())),
            "{text}"
        );
        // Opening again leaves an existing file's mode alone (the operator's choice, reported).
        drop(SqliteStore::open(&db).unwrap());
        assert_eq!(mode(&db), 0o644);
    }
}
