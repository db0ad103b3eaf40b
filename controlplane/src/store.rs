//! The control plane's durable store: RocksDB behind a narrow API.
//!
//! Keys live in named column families; callers never see RocksDB types, so the dependency stays
//! in this crate. Writes that change configuration are atomic batches (one new version each).

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Column family holding configuration metadata (the current version).
const CF_META: &str = "meta";
/// Key of the current configuration version (u64 big-endian).
const KEY_CONFIG_VERSION: &[u8] = b"config_version";

/// Errors from the store, with the path they concern.
#[derive(Debug, Error)]
pub enum StoreError {
    /// RocksDB could not open the directory (permissions, lock held by another process, a
    /// corrupt or newer-format database).
    #[error("cannot open the store at {path}: {source}")]
    Open {
        /// The directory.
        path: PathBuf,
        /// RocksDB's error.
        source: rocksdb::Error,
    },
    /// A read or write failed.
    #[error("store {operation} failed: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// RocksDB's error.
        source: rocksdb::Error,
    },
    /// A stored value does not have the shape this version writes.
    #[error("stored value {key} is corrupt: expected {expected}")]
    Corrupt {
        /// The key.
        key: &'static str,
        /// The expected shape.
        expected: &'static str,
    },
}

/// The control plane's RocksDB database.
pub struct Store {
    db: rocksdb::DB,
}

impl Store {
    /// Opens (creating if missing) the store in `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut options = rocksdb::Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let db =
            rocksdb::DB::open_cf(&options, path, [CF_META]).map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Store { db })
    }

    /// The highest configuration version stored; 0 when none was ever written.
    pub fn config_version(&self) -> Result<u64, StoreError> {
        let cf = self.meta()?;
        let value = self
            .db
            .get_cf(cf, KEY_CONFIG_VERSION)
            .map_err(|source| StoreError::Io {
                operation: "read config_version",
                source,
            })?;
        match value {
            None => Ok(0),
            Some(bytes) => {
                let array: [u8; 8] =
                    bytes
                        .as_slice()
                        .try_into()
                        .map_err(|_| StoreError::Corrupt {
                            key: "config_version",
                            expected: "8 bytes",
                        })?;
                Ok(u64::from_be_bytes(array))
            }
        }
    }

    /// Records a new configuration version durably (synced write).
    pub fn set_config_version(&self, version: u64) -> Result<(), StoreError> {
        let cf = self.meta()?;
        let mut batch = rocksdb::WriteBatch::default();
        batch.put_cf(cf, KEY_CONFIG_VERSION, version.to_be_bytes());
        let mut write_options = rocksdb::WriteOptions::default();
        write_options.set_sync(true);
        self.db
            .write_opt(batch, &write_options)
            .map_err(|source| StoreError::Io {
                operation: "write config_version",
                source,
            })
    }

    fn meta(&self) -> Result<&rocksdb::ColumnFamily, StoreError> {
        // open() creates the column family, so it exists for the life of the handle.
        self.db.cf_handle(CF_META).ok_or(StoreError::Corrupt {
            key: "column family meta",
            expected: "created at open",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves a version written to a real RocksDB survives closing and reopening the store.
    #[test]
    fn config_version_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            assert_eq!(store.config_version().unwrap(), 0);
            store.set_config_version(42).unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.config_version().unwrap(), 42);
    }

    // Proves a second open of the same directory fails with a message naming the path (RocksDB
    // holds a lock), rather than corrupting the store.
    #[test]
    fn second_open_is_refused_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Store::open(dir.path()).unwrap();
        let error = Store::open(dir.path()).err().unwrap();
        assert!(
            error
                .to_string()
                .contains(&dir.path().display().to_string()),
            "{error}"
        );
    }
}
