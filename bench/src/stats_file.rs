//! `--stats-file F`: the simulators' counts as one JSON object in a file that readers may open
//! at any moment.
//!
//! [`write_json_atomic`] writes `F.tmp` and renames it over `F`, so a reader sees the old file or
//! the new one, never a half-written one (rename is atomic within a file system, POSIX
//! rename(2)). It does not fsync: the file is a progress report, and a crash loses only the
//! latest counts, which the next write replaces anyway.
//!
//! [`spawn_periodic`] runs a thread that writes every interval until its [`Shutdown`] is
//! requested, then once more, so the file ends with the final counts.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use thiserror::Error;

use crate::signals::Shutdown;

/// Why a stats file could not be written.
#[derive(Debug, Error)]
pub enum StatsFileError {
    /// Creating or writing the temporary file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The temporary file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// Renaming the temporary file over the stats file failed.
    #[error("cannot rename {from} to {to}: {source}")]
    Rename {
        /// The temporary file.
        from: PathBuf,
        /// The stats file.
        to: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The path has no file name to derive the temporary name from.
    #[error("{0} is not a file path")]
    NotAFile(PathBuf),
    /// The writer thread could not be started.
    #[error("cannot start the stats writer thread: {0}")]
    Spawn(io::Error),
    /// The writer thread panicked.
    #[error("the stats writer thread panicked")]
    WriterPanicked,
}

/// Writes `value` as one line of JSON to `path`, atomically (via `path` + `.tmp`).
pub fn write_json_atomic(path: &Path, value: &Value) -> Result<(), StatsFileError> {
    let tmp = tmp_path(path)?;
    let write = |tmp: &Path| -> io::Result<()> {
        let mut file = fs::File::create(tmp)?;
        let mut line = value.to_string();
        line.push('\n');
        file.write_all(line.as_bytes())?;
        file.flush()
    };
    write(&tmp).map_err(|source| StatsFileError::Write {
        path: tmp.clone(),
        source,
    })?;
    fs::rename(&tmp, path).map_err(|source| StatsFileError::Rename {
        from: tmp,
        to: path.to_owned(),
        source,
    })
}

/// A running periodic writer; [`StatsWriter::join`] waits for its final write.
#[derive(Debug)]
pub struct StatsWriter {
    handle: JoinHandle<Result<u64, StatsFileError>>,
}

impl StatsWriter {
    /// Waits for the thread to finish (request its [`Shutdown`] first) and returns how many
    /// times it wrote, or the first error, after which it stopped writing.
    pub fn join(self) -> Result<u64, StatsFileError> {
        self.handle
            .join()
            .map_err(|_| StatsFileError::WriterPanicked)?
    }
}

/// Starts a thread that writes `produce()` to `path` every `interval` until `stop` is requested,
/// then once more.
///
/// Use a `stop` of its own (not the process's signal flag) when the final write must come after
/// the worker threads stopped: request it after joining them, so the last counts are complete.
pub fn spawn_periodic<F>(
    path: PathBuf,
    interval: Duration,
    stop: Shutdown,
    mut produce: F,
) -> Result<StatsWriter, StatsFileError>
where
    F: FnMut() -> Value + Send + 'static,
{
    // Fail now, not in the thread, when the path cannot work at all.
    tmp_path(&path)?;
    let handle = std::thread::Builder::new()
        .name("stats-file".to_owned())
        .spawn(move || {
            let mut writes = 0;
            while !stop.sleep(interval) {
                write_json_atomic(&path, &produce())?;
                writes += 1;
            }
            write_json_atomic(&path, &produce())?;
            Ok(writes + 1)
        })
        .map_err(StatsFileError::Spawn)?;
    Ok(StatsWriter { handle })
}

/// `path` with `.tmp` appended to its file name, in the same directory (rename needs one file
/// system).
fn tmp_path(path: &Path) -> Result<PathBuf, StatsFileError> {
    let mut name = path
        .file_name()
        .ok_or_else(|| StatsFileError::NotAFile(path.to_owned()))?
        .to_owned();
    name.push(".tmp");
    Ok(path.with_file_name(name))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use serde_json::json;

    use super::*;

    fn read_json(path: &Path) -> Value {
        serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn write_replaces_the_file_and_leaves_no_tmp() {
        // Proves an atomic write creates the file, a second write replaces it whole, each is one
        // JSON line, and no F.tmp is left behind.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.json");
        write_json_atomic(&path, &json!({ "sent": 1 })).unwrap();
        assert_eq!(read_json(&path), json!({ "sent": 1 }));
        write_json_atomic(&path, &json!({ "sent": 2, "acked_ok": 2 })).unwrap();
        assert_eq!(read_json(&path), json!({ "sent": 2, "acked_ok": 2 }));
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 1);
        assert!(!dir.path().join("stats.json.tmp").exists());
    }

    #[test]
    fn write_errors_name_the_path() {
        // Proves a missing directory and a path without a file name are errors naming the path.
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing").join("stats.json");
        let error = write_json_atomic(&missing, &json!({})).unwrap_err();
        assert!(matches!(error, StatsFileError::Write { .. }));
        assert!(error.to_string().contains("stats.json.tmp"), "{error}");
        assert!(matches!(
            write_json_atomic(Path::new("/"), &json!({})),
            Err(StatsFileError::NotAFile(_))
        ));
    }

    #[test]
    fn periodic_writer_writes_until_stopped_then_once_more() {
        // Proves the writer calls the producer once per write, keeps writing until stopped, and
        // writes once more after the stop, so the file holds the last value. The producer itself
        // requests the stop on its third call, so no timing is assumed.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sim.json");
        let stop = Shutdown::new();
        let calls = Arc::new(AtomicU64::new(0));
        let producer = {
            let stop = stop.clone();
            let calls = Arc::clone(&calls);
            move || {
                let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
                if call == 3 {
                    stop.request();
                }
                json!({ "call": call })
            }
        };
        let writer =
            spawn_periodic(path.clone(), Duration::from_millis(1), stop, producer).unwrap();
        assert_eq!(writer.join().unwrap(), 4);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert_eq!(read_json(&path), json!({ "call": 4 }));
    }

    #[test]
    fn periodic_writer_stopped_before_start_writes_once() {
        // Proves a writer whose stop is already requested writes the final value exactly once.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sim.json");
        let stop = Shutdown::new();
        stop.request();
        let writer = spawn_periodic(
            path.clone(),
            Duration::from_secs(3_600),
            stop,
            || json!({ "final": true }),
        )
        .unwrap();
        assert_eq!(writer.join().unwrap(), 1);
        assert_eq!(read_json(&path), json!({ "final": true }));
    }

    #[test]
    fn periodic_writer_reports_the_first_error() {
        // Proves a writer whose directory does not exist stops and join() returns the error.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("sim.json");
        let stop = Shutdown::new();
        stop.request();
        let writer = spawn_periodic(path, Duration::from_millis(1), stop, || json!({})).unwrap();
        assert!(matches!(writer.join(), Err(StatsFileError::Write { .. })));
    }
}
