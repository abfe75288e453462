//! *How* a timed rotation rotates: rename to `base.SUFFIX` (a counter when taken), then
//! retention by `backupCount` over our own names.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tracing_handlers_rotating_file::engine::{remove_if_exists, with_suffix, Policy, RollInfo};

use crate::schedule::Schedule;

#[derive(Debug)]
pub(crate) struct Dated {
    pub(crate) schedule: Schedule,
    pub(crate) backup_count: u64,
}

impl Dated {
    /// Parses a file name of ours: `BASE.SUFFIX[.N][.gz]`, with the sort key.
    fn ours(&self, base_name: &str, name: &str) -> Option<(String, u64)> {
        let rest = name.strip_prefix(base_name)?.strip_prefix('.')?;
        let rest = rest.strip_suffix(".gz").unwrap_or(rest);
        let (suffix, counter) = match rest.split_once('.') {
            Some((s, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                (s, n.parse().ok()?)
            }
            Some(_) => return None,
            None => (rest, 0),
        };
        self.schedule
            .when()
            .matches_suffix(suffix)
            .then(|| (suffix.to_owned(), counter))
    }
}

fn exists_any(p: &Path) -> bool {
    let mut gz = p.as_os_str().to_owned();
    gz.push(".gz");
    p.exists() || Path::new(&gz).exists()
}

impl Policy for Dated {
    fn fingerprint(&self) -> u64 {
        self.schedule.fingerprint()
    }

    fn first_rollover(&self, mtime: Option<i64>, now: i64) -> i64 {
        self.schedule.first_rollover(mtime, now)
    }

    fn next_rollover(&self, _due: i64, now: i64) -> i64 {
        self.schedule.next_rollover(now)
    }

    fn roll(&self, base: &Path, info: &RollInfo) -> io::Result<PathBuf> {
        let suffix = self.schedule.suffix(info.rollover_at);
        // Python overwrites a file of the same name (TRFH-05); we never destroy a log: a
        // taken name (a repeated local hour, a size rollover within the interval, a file
        // left from before) gets a counter.
        let mut target = with_suffix(base, &suffix);
        let mut n = 0u64;
        while exists_any(&target) {
            n += 1;
            target = with_suffix(base, &format!("{suffix}.{n}"));
        }
        fs::rename(base, &target)?;
        if self.backup_count > 0 {
            let files = self.rotated(base);
            let excess = files.len().saturating_sub(self.backup_count as usize);
            for old in &files[..excess] {
                remove_if_exists(old)?;
            }
        }
        Ok(target)
    }

    fn rotated(&self, base: &Path) -> Vec<PathBuf> {
        let (Some(dir), Some(base_name)) = (base.parent(), base.file_name()) else {
            return Vec::new();
        };
        let Some(base_name) = base_name.to_str() else {
            return Vec::new();
        };
        let Ok(entries) = fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut found: Vec<((String, u64, bool), PathBuf)> = entries
            .filter_map(|e| {
                let e = e.ok()?;
                let name = e.file_name().into_string().ok()?;
                let (suffix, counter) = self.ours(base_name, &name)?;
                Some(((suffix, counter, name.ends_with(".gz")), e.path()))
            })
            .collect();
        found.sort();
        found.into_iter().map(|(_, p)| p).collect()
    }
}
