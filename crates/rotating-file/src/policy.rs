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

/// The numbers `i` in `1..=max` for which `base.i` or `base.i.gz` exists, highest first.
///
/// One listing of the folder, so a huge `backupCount` costs nothing (Python stats every
/// number, and with `backupCount=10**18` never finishes a rollover). When the folder cannot
/// be listed, each number up to the highest that can exist there is checked instead.
fn existing_numbers(base: &Path, max: u64) -> Vec<u64> {
    let dir = match base.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let (Some(name), Ok(entries)) = (base.file_name(), fs::read_dir(dir)) else {
        return (1..=max.min(CHECKED_WITHOUT_LISTING))
            .rev()
            .filter(|&i| variants(base, i).iter().any(|p| p.exists()))
            .collect();
    };
    let mut prefix = name.as_encoded_bytes().to_vec();
    prefix.push(b'.');
    let mut found: Vec<u64> = entries
        .filter_map(|entry| {
            let file = entry.ok()?.file_name();
            let rest = file.as_encoded_bytes().strip_prefix(prefix.as_slice())?;
            let digits = rest.strip_suffix(b".gz").unwrap_or(rest);
            // Only the names Python writes: no sign, no leading zero.
            if digits.first() == Some(&b'0') || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let i: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
            (1..=max).contains(&i).then_some(i)
        })
        .collect();
    found.sort_unstable_by(|a, b| b.cmp(a));
    found.dedup();
    found
}

/// How many numbers are checked one by one when the folder cannot be listed.
const CHECKED_WITHOUT_LISTING: u64 = 100_000;

impl Policy for Cascade {
    fn roll(&self, base: &Path, _info: &RollInfo) -> io::Result<PathBuf> {
        let n = self.backup_count;
        for i in existing_numbers(base, n.saturating_sub(1)) {
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
        existing_numbers(base, self.backup_count)
            .into_iter()
            .flat_map(|i| variants(base, i))
            .filter(|p| p.exists())
            .collect()
    }
}
