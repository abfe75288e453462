//! For sink authors: one record written whole through a `write(2)`-like system call.

use std::io;

/// Calls `write_once` until all of `bytes` is written: more than once only after a short or
/// interrupted write. `write_once` returns what `write(2)` does: the count written, or -1
/// with `errno` set.
///
/// ```
/// use tracing_handlers_core::write::write_whole;
///
/// let mut out = Vec::new();
/// // A writer that takes at most four bytes a call.
/// write_whole(b"hello world", |b: &[u8]| {
///     let n = b.len().min(4);
///     out.extend_from_slice(&b[..n]);
///     n as isize
/// })
/// .unwrap();
/// assert_eq!(out, b"hello world");
/// ```
///
/// # Errors
///
/// The system call's error, or [`WriteZero`](io::ErrorKind::WriteZero) when it takes no more
/// bytes, with how many bytes were not written.
#[inline(always)]
pub fn write_whole(
    mut bytes: &[u8],
    mut write_once: impl FnMut(&[u8]) -> isize,
) -> Result<(), (io::Error, usize)> {
    while !bytes.is_empty() {
        match usize::try_from(write_once(bytes)) {
            Ok(0) => return Err((io::ErrorKind::WriteZero.into(), bytes.len())),
            Ok(n) => bytes = &bytes[n.min(bytes.len())..],
            Err(_) => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err((e, bytes.len()));
                }
            }
        }
    }
    Ok(())
}
