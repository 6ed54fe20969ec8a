//! AtomicFile: an output file that appears whole or not at all. Bytes go to a hidden
//! temporary file in the destination's folder (`.NAME.XXXXXX.tmp`, so that a pattern
//! such as `*.csv` never matches it); `commit` flushes it to disk and renames it onto
//! the destination. Dropping it uncommitted removes the temporary file and leaves the
//! destination as it was.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::error::FileError;

/// A temporary file that becomes `path` on `commit`.
#[derive(Debug)]
pub struct AtomicFile {
    temp: NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file next to `path`, creating missing folders. A new file
    /// gets the permissions of the file it replaces, else `rw-r--r--` (less the umask).
    pub fn create(path: &Path) -> Result<AtomicFile, FileError> {
        let name = path
            .file_name()
            .ok_or_else(|| FileError::options(path, "the path names no file"))?;
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        fs::create_dir_all(folder).map_err(|e| FileError::io(folder, e))?;
        let prefix = format!(".{}.", name.to_string_lossy());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        let permissions = match fs::metadata(path) {
            Ok(existing) => Some(existing.permissions()),
            Err(_) => default_permissions(),
        };
        if let Some(permissions) = permissions {
            builder.permissions(permissions);
        }
        let temp = builder
            .tempfile_in(folder)
            .map_err(|e| FileError::io(path, e))?;
        Ok(AtomicFile {
            temp,
            path: path.to_path_buf(),
        })
    }

    /// The destination.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the bytes to disk, renames the file onto the destination and flushes
    /// the folder entry.
    pub fn commit(mut self) -> Result<(), FileError> {
        let path = self.path;
        self.temp.flush().map_err(|e| FileError::io(&path, e))?;
        self.temp
            .as_file()
            .sync_all()
            .map_err(|e| FileError::io(&path, e))?;
        self.temp
            .persist(&path)
            .map_err(|e| FileError::io(&path, e.error))?;
        sync_folder(&path);
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.temp.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

#[cfg(unix)]
fn default_permissions() -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<fs::Permissions> {
    None
}

/// Makes the rename durable (POSIX needs the folder flushed too); best effort, since
/// the data itself is already on disk.
#[cfg(unix)]
fn sync_folder(path: &Path) {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if let Ok(dir) = fs::File::open(folder) {
        let _ = dir.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_folder(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn commit_replaces_the_destination() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.txt");
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"new").unwrap();
        assert!(!path.exists());
        file.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(entries(&dir.path().join("sub")), vec!["out.txt"]);
    }

    #[test]
    fn dropping_leaves_the_destination_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        fs::write(&path, b"old").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"new").unwrap();
        assert_eq!(entries(dir.path()).len(), 2);
        drop(file);
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(entries(dir.path()), vec!["out.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let file = AtomicFile::create(&path).unwrap();
        file.commit().unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
}
