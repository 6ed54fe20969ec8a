//! Finding pipeline files: the paths given, with folders searched recursively for
//! `*.toml` files (hidden folders skipped), in a stable order.

use std::path::{Path, PathBuf};

/// The pipeline files at `paths`: each file as given, and every `*.toml` file below each
/// folder, sorted. A path that does not exist is an error (a usage error: nothing to
/// validate or run).
pub fn pipeline_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, &mut files)?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(format!("`{}` is not a file or folder", path.display()));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_toml_files_recursively_and_skips_hidden_folders() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let write = |p: &str| {
            let path = dir.path().join(p);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(path, "").map_err(|e| e.to_string())
        };
        write("b.toml")?;
        write("a/c.toml")?;
        write("a/notes.md")?;
        write(".hidden/d.toml")?;
        let found = pipeline_files(&[dir.path().to_path_buf()])?;
        let names: Vec<_> = found
            .iter()
            .filter_map(|p| p.strip_prefix(dir.path()).ok())
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(names, ["a/c.toml", "b.toml"]);
        assert!(pipeline_files(&[dir.path().join("missing")]).is_err());
        Ok(())
    }
}
