//! [`AppendFile`]: one system call per record.

use std::fs::File;
use std::io;
#[cfg(not(unix))]
use std::io::Write;
use std::sync::Arc;

use tracing_handlers_core::shutdown::write_unless_exiting;
#[cfg(unix)]
use tracing_handlers_core::write::write_whole;

/// An open file that takes each record with one system call: the write path of the file
/// handlers (plain, watched and rotating).
///
/// On Linux a regular file is appended with `pwrite(2)` (see below); pipes, terminals and
/// other systems use `write(2)`. The file should be opened with `O_APPEND` (as
/// [`FileSink`](crate::FileSink) and the rotating sinks do): then every record lands at the
/// end even when other processes write to the file.
///
/// ```
/// use std::fs::OpenOptions;
/// use tracing_handlers_file::AppendFile;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("app.log");
/// let file = AppendFile::new(OpenOptions::new().append(true).create(true).open(&path)?);
/// file.append(b"one record\n")?;
/// file.append(b"another\n")?;
/// assert_eq!(std::fs::read_to_string(&path)?, "one record\nanother\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AppendFile {
    file: Arc<File>,
    /// A regular file on Linux: append with `pwrite(2)`, which on a file opened with
    /// `O_APPEND` writes at the end whatever the offset (documented in `pwrite(2)`) and,
    /// unlike `write(2)`, takes no lock on the shared file position. Pipes and terminals
    /// (`/dev/stdout` as a path) cannot seek and use `write(2)`.
    #[cfg(target_os = "linux")]
    positional: bool,
}

impl AppendFile {
    /// Takes over `file` (open for writing, normally with `O_APPEND`).
    pub fn new(file: File) -> AppendFile {
        AppendFile {
            #[cfg(target_os = "linux")]
            positional: file.metadata().is_ok_and(|m| m.file_type().is_file()),
            file: Arc::new(file),
        }
    }

    /// The open file (for its metadata, or to share it).
    pub fn file(&self) -> &Arc<File> {
        &self.file
    }

    /// Writes `bytes` at the end of the file with one system call (a loop only on a short
    /// write or an interrupted call), without `std::io`'s layers: this runs once per record.
    ///
    /// # Errors
    ///
    /// The system call's error (after retrying an interrupted call), or
    /// [`WriteZero`](io::ErrorKind::WriteZero) when the file takes no more bytes.
    ///
    /// Once the process is exiting and the exit flush is over, nothing more is written (see
    /// [`write_unless_exiting`]): a write the process ends in the middle of is cut by the
    /// kernel between pages, a torn last line.
    #[cfg(unix)]
    #[inline(always)]
    pub fn append(&self, bytes: &[u8]) -> io::Result<()> {
        self.append_counting(bytes).map_err(|(e, _)| e)
    }

    /// As [`append`](Self::append); on an error, also how many of `bytes` did not reach
    /// the file (all of them, unless a short write came first).
    ///
    /// # Errors
    ///
    /// The system call's error and the number of bytes left unwritten.
    #[cfg(unix)]
    #[inline(always)]
    pub fn append_counting(&self, bytes: &[u8]) -> Result<(), (io::Error, usize)> {
        write_unless_exiting(|| self.append_now(bytes)).unwrap_or(Ok(()))
    }

    #[cfg(unix)]
    #[inline(always)]
    fn append_now(&self, bytes: &[u8]) -> Result<(), (io::Error, usize)> {
        use std::os::unix::io::AsRawFd;
        let fd = self.file.as_raw_fd();
        // SAFETY: `fd` stays open while `self` is borrowed.
        write_whole(bytes, |b| unsafe { self.write_once(fd, b) })
    }

    /// One system call writing (part of) `bytes`: the result as libc gives it.
    ///
    /// # Safety
    ///
    /// `fd` must be this file's open descriptor.
    #[cfg(unix)]
    #[inline(always)]
    unsafe fn write_once(&self, fd: libc::c_int, bytes: &[u8]) -> isize {
        #[cfg(target_os = "linux")]
        if self.positional {
            // SAFETY: the caller's open descriptor.
            return unsafe { positional_write(fd, bytes) };
        }
        // SAFETY: the caller's open descriptor; pointer and length from a live slice.
        unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) }
    }

    /// Writes `bytes` at the end of the file.
    ///
    /// # Errors
    ///
    /// The write's error.
    #[cfg(not(unix))]
    #[inline(always)]
    pub fn append(&self, bytes: &[u8]) -> io::Result<()> {
        write_unless_exiting(|| (&*self.file).write_all(bytes)).unwrap_or(Ok(()))
    }

    /// As [`append`](Self::append); on an error, also how many of `bytes` did not reach
    /// the file (here counted as all of them).
    ///
    /// # Errors
    ///
    /// The write's error and the number of bytes left unwritten.
    #[cfg(not(unix))]
    pub fn append_counting(&self, bytes: &[u8]) -> Result<(), (io::Error, usize)> {
        self.append(bytes).map_err(|e| (e, bytes.len()))
    }
}

/// `pwrite(fd, bytes, 0)`, issued inline on x86-64 Linux. The kernel's write path leaves
/// the return-address predictor empty, so every stack frame alive across the system call
/// costs a mispredicted return afterwards: inline, there is no libc frame (and none of libc's
/// cancellation-point bookkeeping, which Rust does not use).
///
/// # Safety
///
/// `fd` must be an open descriptor.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[inline(always)]
unsafe fn positional_write(fd: libc::c_int, bytes: &[u8]) -> isize {
    let ret: isize;
    // SAFETY: the Linux x86-64 system call ABI: number in rax, arguments in rdi, rsi, rdx and
    // r10; rcx and r11 are clobbered; the result, or -errno, comes back in rax. The kernel
    // only reads `bytes`.
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") libc::SYS_pwrite64 as isize => ret,
            in("rdi") fd as isize,
            in("rsi") bytes.as_ptr(),
            in("rdx") bytes.len(),
            in("r10") 0isize,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack, readonly),
        );
    }
    if ret < 0 {
        // As libc reports it: -1 and errno.
        // SAFETY: errno is this thread's; setting it has no other effect.
        unsafe { *libc::__errno_location() = -ret as libc::c_int };
        return -1;
    }
    ret
}

/// `pwrite(fd, bytes, 0)` through `syscall(2)`: no libc cancellation-point bookkeeping.
///
/// # Safety
///
/// `fd` must be an open descriptor.
#[cfg(all(target_os = "linux", not(target_arch = "x86_64")))]
#[inline(always)]
unsafe fn positional_write(fd: libc::c_int, bytes: &[u8]) -> isize {
    // SAFETY: the caller's descriptor; pointer and length from a live slice.
    let n = unsafe {
        libc::syscall(
            libc::SYS_pwrite64,
            fd,
            bytes.as_ptr(),
            bytes.len(),
            0 as libc::off_t,
        )
    };
    n as isize
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::positional_write;
    use std::io;
    use std::os::unix::io::AsRawFd;

    #[test]
    fn appends_and_reports_errors_as_libc_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, "first\n").unwrap();
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        // SAFETY: an open descriptor.
        let n = unsafe { positional_write(file.as_raw_fd(), b"second\n") };
        assert_eq!(n, 7);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first\nsecond\n");
        // SAFETY: a closed descriptor is refused by the kernel, nothing is written.
        let n = unsafe { positional_write(-1, b"x") };
        assert_eq!(n, -1);
        assert_eq!(io::Error::last_os_error().raw_os_error(), Some(libc::EBADF));
    }
}
