//! Tidy checks on the source tree itself (rust-analyzer's tidy tests are the model):
//!
//! - **Layers**: `docs/ARCHITECTURE.md` writes the library's top-level modules in layers, lowest
//!   first (the fenced `layers` block). A module may name (`use crate::…`, `crate::…::f()`) only
//!   modules on lower lines. Directions that still break the rule are listed in [`KNOWN`] with
//!   their reason; the list may only shrink: an entry that no longer occurs fails too.
//! - **Doc paths**: every file path written in backticks in a Markdown file or a Rust comment
//!   names a file or folder that exists (resolved from the repository root, from the writing
//!   file's folder, or from one of the source roots).
//! - **Module style**: a module with submodules is a folder with a `mod.rs`; a file foo.rs beside a
//!   foo/ folder (the other style) fails, so the tree reads one way.
//!
//! A test binary of its own, not a module of `tests/it/`: it reads the tree as files and uses
//! nothing of the crate, so it builds in seconds and runs without the integration tests.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use regex::Regex;

/// Forbidden directions not yet removed: (from, to, why it is still there).
const KNOWN: &[(&str, &str, &str)] = &[];

/// Where relative paths in docs and comments may be rooted.
const SOURCE_ROOTS: &[&str] = &[
    "src",
    "commands",
    "tui",
    "tests",
    "src/store",
    "src/gateway",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file and folder of the repository (relative, `/`-separated), without build output,
/// hidden folders and virtual environments.
fn tree() -> (BTreeSet<String>, BTreeSet<String>) {
    fn walk(dir: &Path, rel: &str, files: &mut BTreeSet<String>, dirs: &mut BTreeSet<String>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.expect("directory entry"))
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "target" || name == "node_modules" {
                continue;
            }
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                dirs.insert(path.clone());
                walk(&entry.path(), &path, files, dirs);
            } else {
                files.insert(path);
            }
        }
    }
    let (mut files, mut dirs) = (BTreeSet::new(), BTreeSet::new());
    walk(root(), "", &mut files, &mut dirs);
    (files, dirs)
}

fn read(rel: &str) -> String {
    fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// `a/b/../c` -> `a/c`; `./x` -> `x`. `None` if it climbs above the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The layers block of docs/ARCHITECTURE.md: module -> its line number (0 = lowest).
fn layers() -> BTreeMap<String, usize> {
    let doc = read("docs/ARCHITECTURE.md");
    let block = doc
        .split("```layers\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/ARCHITECTURE.md has a ```layers block");
    let mut layers = BTreeMap::new();
    for (rank, line) in block.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        for module in line.split_whitespace() {
            let before = layers.insert(module.to_string(), rank);
            assert!(
                before.is_none(),
                "{module} is on two lines of the layers block"
            );
        }
    }
    layers
}

/// The library's top-level modules, from the files under `src/`.
fn top_modules(files: &BTreeSet<String>) -> BTreeSet<String> {
    files
        .iter()
        .filter_map(|f| f.strip_prefix("src/"))
        .filter_map(|f| match f.split_once('/') {
            Some((dir, _)) => Some(dir.to_string()),
            None => f.strip_suffix(".rs").map(str::to_string),
        })
        .filter(|m| m != "lib" && m != "main")
        .collect()
}

/// The code of a Rust file with its comment lines blanked (a doc comment naming a module is
/// no dependency).
fn code_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            if l.trim_start().starts_with("//") {
                String::new()
            } else {
                l.to_string()
            }
        })
        .collect()
}

/// Every top-level module a file names through `crate::`, with the line (1-based).
fn crate_references(text: &str) -> Vec<(String, usize)> {
    let lines = code_lines(text);
    let code = lines.join("\n");
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    let mut found = Vec::new();
    let path = Regex::new(r"\bcrate::([a-z_][a-z0-9_]*)").expect("regex");
    for m in path.captures_iter(&code) {
        let name = m.get(1).expect("group");
        found.push((name.as_str().to_string(), line_of(name.start())));
    }
    // `crate::{a, b::c, d::{e, f}}`: the names at the first level of the braces.
    for (start, _) in code.match_indices("crate::{") {
        let mut depth = 0;
        let mut item_start = start + "crate::{".len();
        for (i, c) in code[start..].char_indices() {
            let at = start + i;
            match c {
                '{' => depth += 1,
                '}' | ',' if depth == 1 => {
                    let item = code[item_start..at].trim();
                    let name: String = item
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() && name != "self" {
                        found.push((name, line_of(item_start)));
                    }
                    item_start = at + 1;
                    if c == '}' {
                        break;
                    }
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
    }
    found
}

#[test]
fn modules_use_only_lower_layers() {
    let (files, _) = tree();
    let layers = layers();
    let modules = top_modules(&files);
    let mut problems = Vec::new();
    for module in &modules {
        if !layers.contains_key(module) {
            problems.push(format!(
                "src/{module}: a top-level module missing from the layers block of docs/ARCHITECTURE.md"
            ));
        }
    }
    for module in layers.keys() {
        if !modules.contains(module) {
            problems.push(format!(
                "the layers block names `{module}`, which is not a module under src/"
            ));
        }
    }
    let mut seen_known = BTreeSet::new();
    for file in files
        .iter()
        .filter(|f| f.starts_with("src/") && f.ends_with(".rs"))
    {
        let rel = &file["src/".len()..];
        let from = rel.split('/').next().expect("a component");
        let from = from.strip_suffix(".rs").unwrap_or(from);
        let Some(&from_rank) = layers.get(from) else {
            continue;
        };
        for (to, line) in crate_references(&read(file)) {
            if to == from || !modules.contains(&to) {
                continue;
            }
            let Some(&to_rank) = layers.get(&to) else {
                continue;
            };
            if to_rank < from_rank {
                continue;
            }
            if KNOWN.iter().any(|(f, t, _)| *f == from && *t == to) {
                seen_known.insert((from.to_string(), to.clone()));
                continue;
            }
            let how = if to_rank == from_rank {
                "a peer on the same line"
            } else {
                "a higher layer"
            };
            problems.push(format!("{file}:{line}: `{from}` uses `{to}`, {how}"));
        }
    }
    for (from, to, why) in KNOWN {
        if !seen_known.contains(&(from.to_string(), to.to_string())) {
            problems.push(format!(
                "`{from}` no longer uses `{to}` ({why}): remove it from KNOWN in tests/tidy.rs"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "layer rules (docs/ARCHITECTURE.md, \"Layers\") broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn paths_named_in_docs_exist() {
    let (files, dirs) = tree();
    let exists = |p: &str| files.contains(p) || dirs.contains(p);
    let names: BTreeSet<&str> = files
        .iter()
        .map(|f| f.rsplit('/').next().expect("a name"))
        .collect();
    let reference = Regex::new(
        r"`([A-Za-z0-9_.\-/]+\.(?:rs|md|toml|yaml|sh|py)|(?:src|commands|tui|tests|docs|scripts|specs|benches)/[A-Za-z0-9_.\-/]*)`",
    )
    .expect("regex");
    let mut missing = Vec::new();
    for file in files
        .iter()
        .filter(|f| f.ends_with(".md") || f.ends_with(".rs"))
    {
        let rust = file.ends_with(".rs");
        for (n, line) in read(file).lines().enumerate() {
            if rust && !line.trim_start().starts_with("//") {
                continue;
            }
            for capture in reference.captures_iter(line) {
                let named = capture[1].trim_end_matches('/');
                let here = format!("{}/{named}", parent(file));
                let mut candidates: Vec<String> = vec![named.to_string()];
                candidates.extend(normalize(&here));
                candidates.extend(SOURCE_ROOTS.iter().map(|r| format!("{r}/{named}")));
                let found = candidates.iter().any(|c| exists(c))
                    // A bare file name: some file of that name (`mod.rs`, `payorch.toml`).
                    || (!named.contains('/') && names.contains(named))
                    // A partial path: some file or folder ending with it (`stripe/wire.rs`).
                    || (named.contains('/')
                        && files.iter().chain(dirs.iter()).any(|f| f.ends_with(&format!("/{named}"))));
                if !found {
                    missing.push(format!("{file}:{}: `{named}`", n + 1));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "these docs name files that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn modules_with_submodules_are_folders_with_mod_rs() {
    let (files, dirs) = tree();
    let mixed: Vec<String> = dirs
        .iter()
        .filter(|d| SOURCE_ROOTS.iter().any(|r| d.starts_with(&format!("{r}/"))))
        .filter(|d| files.contains(&format!("{d}.rs")))
        .map(|d| format!("{d}.rs beside {d}/: move it to {d}/mod.rs"))
        .collect();
    assert!(
        mixed.is_empty(),
        "one module style (folder + mod.rs), but:\n{}",
        mixed.join("\n")
    );
}

#[test]
fn the_crate_reference_reader_sees_every_form() {
    let text = "use crate::model::Charge;\n\
                // use crate::server::Nope;\n\
                use crate::{\n    clock::Clock,\n    store::{Store, StoreError},\n    id,\n};\n\
                fn f() { crate::qr::png(); }\n";
    let mut names: Vec<String> = crate_references(text).into_iter().map(|(n, _)| n).collect();
    names.sort();
    assert_eq!(names, ["clock", "id", "model", "qr", "store"]);
}
