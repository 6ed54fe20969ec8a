//! Reading users' files from disk: mapping files and the files they import. Names are
//! kept as the user would write them (relative paths, cleaned), so that diagnostics
//! point at files the user recognises.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::SourceFile;
use crate::mapping::ImportResolver;

/// Reads a file as UTF-8 text, with its path as the display name.
pub fn read_source(path: &Path) -> Result<Arc<SourceFile>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    Ok(SourceFile::new(clean(path).display().to_string(), text))
}

/// Resolves `import "x.map"` relative to the importing file's folder, then in each of
/// the library folders (such as `stdlib/mappings`), in order.
#[derive(Debug, Default, Clone)]
pub struct FsImports {
    pub library: Vec<PathBuf>,
}

impl ImportResolver for FsImports {
    fn resolve(&self, from: &SourceFile, path: &str) -> Result<Arc<SourceFile>, String> {
        let base = Path::new(&from.name).parent().unwrap_or(Path::new(""));
        let candidates =
            std::iter::once(base.join(path)).chain(self.library.iter().map(|dir| dir.join(path)));
        let mut tried = Vec::new();
        for candidate in candidates {
            if candidate.is_file() {
                return read_source(&candidate);
            }
            tried.push(clean(&candidate).display().to_string());
        }
        Err(format!(
            "cannot find `{path}` (looked for {})",
            tried.join(", ")
        ))
    }
}

/// Removes `.` components and folds `dir/..` without touching the file system.
pub fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_folds_dots() {
        assert_eq!(clean(Path::new("./a/b/../c.map")), PathBuf::from("a/c.map"));
        assert_eq!(clean(Path::new("../x.map")), PathBuf::from("../x.map"));
    }

    #[test]
    fn imports_resolve_next_to_the_importing_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("shared")).expect("mkdir");
        std::fs::write(dir.path().join("shared/contact.map"), "email = email").expect("write");
        let main = dir.path().join("main.map");
        let from = SourceFile::new(main.display().to_string(), "");
        let found = FsImports::default()
            .resolve(&from, "shared/contact.map")
            .expect("resolves");
        assert_eq!(found.text, "email = email");
        let missing = FsImports::default().resolve(&from, "nope.map").unwrap_err();
        assert!(missing.contains("cannot find `nope.map`"), "{missing}");
    }
}
