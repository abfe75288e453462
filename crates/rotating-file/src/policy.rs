//! *How* a size rotation rotates: Python's `.1`..`.N` cascade.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::engine::{remove_if_exists, with_suffix, Policy, RollInfo};

/// Python's RotatingFileHandler rollover: `base.(N-1)` -> `base.N`, …, `base` -> `base.1`;
/// files numbered above `backupCount` are never touched, gaps are not compacted. A
/// compressed `base.i.gz` moves like `base.i`.
#[derive(Debug, Clone)]
pub(crate) struct Cascade {
    pub(crate) backup_count: u64,
}

fn variants(base: &Path, i: u64) -> [PathBuf; 2] {
    let plain = with_suffix(base, &i.to_string());
    let gz = with_suffix(base, &format!("{i}.gz"));
    [plain, gz]
}

impl Policy for Cascade {
    fn roll(&self, base: &Path, _info: &RollInfo) -> io::Result<PathBuf> {
        let n = self.backup_count;
        for i in (1..n).rev() {
            let from = variants(base, i);
            if from.iter().any(|p| p.exists()) {
                for p in variants(base, i + 1) {
                    remove_if_exists(&p)?;
                }
                for (src, dst) in from.iter().zip(variants(base, i + 1)) {
                    if src.exists() {
                        fs::rename(src, dst)?;
                    }
                }
            }
        }
        let [first, first_gz] = variants(base, 1);
        remove_if_exists(&first)?;
        remove_if_exists(&first_gz)?;
        fs::rename(base, &first)?;
        Ok(first)
    }

    fn rotated(&self, base: &Path) -> Vec<PathBuf> {
        (1..=self.backup_count)
            .rev()
            .flat_map(|i| variants(base, i))
            .filter(|p| p.exists())
            .collect()
    }
}
