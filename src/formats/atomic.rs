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
    /// Bytes written so far, and how many of them were handed to `writeback`.
    written: u64,
    handed: u64,
    /// Asks the disk to start writing what was written, on a thread of its own.
    writeback: Option<Writeback>,
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
            written: 0,
            handed: 0,
            writeback: None,
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
        if let Some(writeback) = self.writeback.take() {
            writeback.finish();
        }
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

    /// Counts `n` bytes written; every `HAND_OVER` bytes, has the disk start writing
    /// them, so that `commit`'s sync finds little left to do (and holds up other files'
    /// syncs less: a run's state file is synced at the same time).
    fn wrote(&mut self, n: usize) {
        self.written += n as u64;
        if self.written - self.handed < HAND_OVER {
            return;
        }
        if self.writeback.is_none() {
            self.writeback = Writeback::start(self.temp.as_file());
        }
        if let Some(writeback) = &self.writeback {
            writeback.hand(self.handed, self.written - self.handed);
        }
        self.handed = self.written;
    }
}

/// How many bytes are written before the disk is asked to take them.
const HAND_OVER: u64 = 1 << 20;

/// A thread that asks the disk to start writing ranges of a file, without waiting for
/// them to be written (`sync_file_range`, Linux): submitting the writes takes ~0.25 ms
/// a MB, which the writer does not wait for. Best effort: `commit` syncs the file.
#[derive(Debug)]
struct Writeback {
    ranges: std::sync::mpsc::Sender<(u64, u64)>,
    thread: std::thread::JoinHandle<()>,
}

impl Writeback {
    /// `None` where there is nothing to gain (not Linux) or no thread or descriptor to
    /// be had.
    #[cfg(target_os = "linux")]
    fn start(file: &fs::File) -> Option<Writeback> {
        use std::os::fd::AsRawFd;
        let file = file.try_clone().ok()?;
        let (ranges, received) = std::sync::mpsc::channel::<(u64, u64)>();
        let thread = std::thread::Builder::new()
            .name("sluice-writeback".to_string())
            .spawn(move || {
                for (from, len) in received {
                    let (Ok(from), Ok(len)) = (i64::try_from(from), i64::try_from(len)) else {
                        continue;
                    };
                    // SAFETY: a system call on a descriptor this thread owns; it reads
                    // and writes no memory of the process.
                    unsafe {
                        libc::sync_file_range(
                            file.as_raw_fd(),
                            from,
                            len,
                            libc::SYNC_FILE_RANGE_WRITE,
                        );
                    }
                }
            })
            .ok()?;
        Some(Writeback { ranges, thread })
    }

    #[cfg(not(target_os = "linux"))]
    fn start(_file: &fs::File) -> Option<Writeback> {
        None
    }

    fn hand(&self, from: u64, len: u64) {
        // The thread stops only once the sender is gone.
        let _ = self.ranges.send((from, len));
    }

    /// Lets the thread finish what it was handed.
    fn finish(self) {
        drop(self.ranges);
        let _ = self.thread.join();
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.temp.write(buf)?;
        self.wrote(n);
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.temp.write_all(buf)?;
        self.wrote(buf.len());
        Ok(())
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
    fn a_file_of_megabytes_is_handed_to_the_disk_while_written_and_commits_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.ndjson");
        let line: Vec<u8> = (0..=254u8).chain([b'\n']).collect();
        let mut expected = Vec::new();
        let mut file = AtomicFile::create(&path).unwrap();
        for i in 0..12_000 {
            if i % 2 == 0 {
                file.write_all(&line).unwrap();
            } else {
                let mut rest = line.as_slice();
                while !rest.is_empty() {
                    let n = file.write(rest).unwrap();
                    rest = &rest[n..];
                }
            }
            expected.extend_from_slice(&line);
        }
        if cfg!(target_os = "linux") {
            assert!(file.writeback.is_some(), "3 MB written, none handed over");
        }
        file.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), expected);

        // Dropped uncommitted after the same: nothing is left of it.
        let mut file = AtomicFile::create(&dir.path().join("gone.ndjson")).unwrap();
        for _ in 0..12_000 {
            file.write_all(&line).unwrap();
        }
        drop(file);
        assert_eq!(entries(dir.path()), vec!["big.ndjson"]);
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
