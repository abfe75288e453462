//! The state every process writing one rotating file shares: a header in the lock file,
//! mapped into memory (`MAP_SHARED`), plus the `flock` that serialises rotations.
//!
//! The header holds, as atomics:
//!
//! - `word`: the generation of the active file (bumped by every rotation or reopen of a new
//!   file) and the bytes written to it so far, packed in one `u64` so that a writer reserves
//!   room for its record with one compare-and-swap that also proves its file is current;
//! - `rollover_at`: the shared time schedule (Unix seconds, `i64::MAX` = none);
//! - `fingerprint`: which schedule `rollover_at` belongs to (a process with another
//!   configuration recomputes it);
//! - `dev`/`ino`: the identity of the active file of the current generation;
//! - four unused words (earlier versions counted writers in flight there: a counter that a
//!   writer killed in the middle of its `write` leaves raised for ever). Compression now waits
//!   until a rotated file holds the bytes reserved in it (see the engine).
//!
//! Without multi-process support the same header lives in private memory and no lock file is
//! created.

use std::fs::File;
#[cfg(unix)]
use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// "TRHROT01" little-endian: a lock file whose header has another value is initialised anew.
pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"TRHROT01");
#[cfg(unix)]
const MAP_LEN: usize = 4096;
const SIZE_BITS: u32 = 40;
/// The largest size the header can count (1 TiB); larger counts saturate.
pub(crate) const MAX_SIZE: u64 = (1 << SIZE_BITS) - 1;
const GEN_MASK: u64 = (1 << (64 - SIZE_BITS)) - 1;
/// Unused words at the end of the header (kept: the layout is shared with running
/// processes of earlier versions).
const SLOTS: usize = 4;

/// The shared header (one page; only the start is used).
#[repr(C, align(64))]
pub(crate) struct Header {
    pub(crate) magic: AtomicU64,
    pub(crate) word: AtomicU64,
    pub(crate) rollover_at: AtomicI64,
    pub(crate) fingerprint: AtomicU64,
    pub(crate) dev: AtomicU64,
    pub(crate) ino: AtomicU64,
    _pad: [u64; 2],
    _unused: [AtomicU64; SLOTS],
}

impl Header {
    fn zeroed() -> Header {
        Header {
            magic: AtomicU64::new(0),
            word: AtomicU64::new(0),
            rollover_at: AtomicI64::new(i64::MAX),
            fingerprint: AtomicU64::new(0),
            dev: AtomicU64::new(0),
            ino: AtomicU64::new(0),
            _pad: [0; 2],
            _unused: Default::default(),
        }
    }
}

/// Packs a generation and a size into the header's `word`.
pub(crate) fn pack(generation: u32, size: u64) -> u64 {
    ((u64::from(generation) & GEN_MASK) << SIZE_BITS) | size.min(MAX_SIZE)
}

/// The generation in a `word`.
pub(crate) fn generation(word: u64) -> u32 {
    // At most 24 bits: the cast is lossless.
    (word >> SIZE_BITS) as u32
}

/// The size in a `word`.
pub(crate) fn size(word: u64) -> u64 {
    word & MAX_SIZE
}

/// The generation after `generation` (wrapping within 24 bits).
pub(crate) fn next_generation(generation: u32) -> u32 {
    ((u64::from(generation) + 1) & GEN_MASK) as u32
}

/// The header and, in multi-process mode, the lock file that holds it.
pub(crate) struct Shared {
    header: NonNull<Header>,
    backing: Backing,
}

enum Backing {
    #[cfg_attr(not(unix), allow(dead_code))]
    Mapped {
        file: File,
        path: PathBuf,
        /// The process that opened `file` (see [`Shared::opened_here`]).
        opened_by: u32,
    },
    Private(#[allow(dead_code)] Box<Header>),
}

// SAFETY: the header is only accessed through atomics; the mapping lives as long as `Shared`.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.backing {
            Backing::Mapped { path, .. } => write!(f, "Shared(lock file {})", path.display()),
            Backing::Private(_) => f.write_str("Shared(private)"),
        }
    }
}

impl Shared {
    /// A header in private memory: one process only, no lock file.
    pub(crate) fn private() -> Shared {
        let mut boxed = Box::new(Header::zeroed());
        let header = NonNull::from(&mut *boxed);
        Shared {
            header,
            backing: Backing::Private(boxed),
        }
    }

    /// Opens (creating) the lock file at `path` and maps its header.
    #[cfg(unix)]
    pub(crate) fn open(path: &Path, mode: u32) -> io::Result<Shared> {
        use std::os::unix::fs::OpenOptionsExt;
        use std::os::unix::io::AsRawFd;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(mode)
            .open(path)?;
        {
            flock(&file)?;
            let extended = match file.metadata() {
                // A new lock file (zeros: no magic, initialised by the engine under the lock).
                Ok(m) if m.len() < MAP_LEN as u64 => file.set_len(MAP_LEN as u64),
                Ok(_) => Ok(()),
                Err(e) => Err(e),
            };
            unlock(&file);
            extended?;
        }
        // SAFETY: a shared read-write mapping of a file we keep open; the length is the
        // file's (at least MAP_LEN); the result is checked.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                MAP_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let header = NonNull::new(ptr.cast::<Header>()).ok_or_else(io::Error::last_os_error)?;
        Ok(Shared {
            header,
            backing: Backing::Mapped {
                file,
                path: path.to_owned(),
                opened_by: tracing_handlers_core::process_id(),
            },
        })
    }

    /// Multi-process mode needs `flock` and `mmap`: unix only.
    #[cfg(not(unix))]
    pub(crate) fn open(_path: &Path, _mode: u32) -> io::Result<Shared> {
        Ok(Shared::private())
    }

    /// The header.
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: valid for the life of `self` (mapping or box), accessed through atomics.
        unsafe { self.header.as_ref() }
    }

    /// Takes the inter-process lock (a no-op for a private header). Callers also hold the
    /// engine's in-process mutex: `flock` does not exclude threads sharing one descriptor.
    pub(crate) fn lock(self: &Arc<Self>) -> io::Result<Option<FlockGuard>> {
        match &self.backing {
            Backing::Mapped { file, .. } => {
                flock(file)?;
                Ok(Some(FlockGuard {
                    shared: self.clone(),
                }))
            }
            Backing::Private(_) => Ok(None),
        }
    }

    /// Whether the lock file's path still names the file this header is mapped from (false
    /// once it was deleted, or replaced by another file: processes that open the path now
    /// share another header, and this one must be left). Always true for a private header.
    pub(crate) fn is_current(&self) -> bool {
        match &self.backing {
            #[cfg(unix)]
            Backing::Mapped { file, path, .. } => {
                use std::os::unix::fs::MetadataExt;
                match (file.metadata(), std::fs::metadata(path)) {
                    (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
                    (Ok(_), Err(e)) => e.kind() != io::ErrorKind::NotFound,
                    // Cannot tell: keep it.
                    (Err(_), _) => true,
                }
            }
            _ => true,
        }
    }

    /// Whether this process opened the lock file (always true for a private header). A
    /// process forked after the lock file was opened shares the parent's descriptor, and an
    /// `flock` on a shared descriptor excludes neither of them (nor do its siblings'): worse,
    /// unlocking it releases the lock another process holds. It must open its own.
    pub(crate) fn opened_here(&self) -> bool {
        match &self.backing {
            Backing::Mapped { opened_by, .. } => *opened_by == tracing_handlers_core::process_id(),
            Backing::Private(_) => true,
        }
    }

    /// The lock file, when there is one.
    pub(crate) fn lock_path(&self) -> Option<&Path> {
        match &self.backing {
            Backing::Mapped { path, .. } => Some(path),
            Backing::Private(_) => None,
        }
    }

    /// Marks the header as initialised.
    pub(crate) fn set_magic(&self) {
        self.header().magic.store(MAGIC, Ordering::SeqCst);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Backing::Mapped { .. } = self.backing {
            // SAFETY: the mapping made in `open`, unmapped once.
            unsafe {
                libc::munmap(self.header.as_ptr().cast(), MAP_LEN);
            }
        }
    }
}

/// Holds an exclusive `flock` on a lock file until dropped.
pub(crate) struct FlockGuard {
    shared: Arc<Shared>,
}

#[cfg(unix)]
fn flock(file: &File) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    loop {
        // SAFETY: a plain syscall on a descriptor we own.
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(not(unix))]
fn flock(_file: &File) -> io::Result<()> {
    Ok(())
}

fn unlock(_file: &File) {
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: a plain syscall on a descriptor that outlives the call.
        unsafe {
            libc::flock(_file.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

impl Drop for FlockGuard {
    fn drop(&mut self) {
        if let Backing::Mapped { file, .. } = &self.shared.backing {
            unlock(file);
        }
    }
}

/// The lock file of `path`: `.NAME.lock` beside it (hidden, and never one of our rotated
/// names).
pub(crate) fn lock_path_for(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".lock");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_packs_generation_and_size() {
        let w = pack(7, 123_456);
        assert_eq!(generation(w), 7);
        assert_eq!(size(w), 123_456);
        assert_eq!(size(pack(1, u64::MAX)), MAX_SIZE);
        assert_eq!(next_generation(GEN_MASK as u32), 0);
        assert_eq!(
            lock_path_for(Path::new("/var/log/app.log")),
            Path::new("/var/log/.app.log.lock")
        );
    }
}
