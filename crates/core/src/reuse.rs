//! Per-thread buffers reused from record to record, so a steady-state record allocates
//! nothing, without one huge record pinning its memory for the thread's lifetime.

use std::cell::RefCell;
use std::thread::LocalKey;

/// The most memory a reused buffer keeps between records. A record that grew a buffer past
/// this gives the memory back once it is written; the next ordinary record regrows the buffer
/// to its size in a few steps.
pub const RETAINED_BYTES: usize = 64 * 1024;

/// What a buffer keeps when it gives its memory back: enough for an ordinary record.
const KEPT_BYTES: usize = 1024;

/// A buffer that is cleared and reused for every record.
///
/// ```
/// use tracing_handlers_core::reuse::{ReusedBuffer, RETAINED_BYTES};
///
/// let mut line = vec![0u8; 10 * 1024 * 1024]; // one huge record
/// line.release_if_large();
/// assert!(line.capacity() <= RETAINED_BYTES);
///
/// let mut small = Vec::<u8>::with_capacity(4096);
/// small.extend_from_slice(b"ordinary");
/// small.release_if_large();
/// assert_eq!((small.capacity(), &small[..]), (4096, &b"ordinary"[..])); // kept as it is
/// ```
pub trait ReusedBuffer {
    /// Empties the buffer and gives its memory back when it holds more than
    /// [`RETAINED_BYTES`]; otherwise leaves it as it is.
    fn release_if_large(&mut self);
}

impl<T> ReusedBuffer for Vec<T> {
    fn release_if_large(&mut self) {
        let size = std::mem::size_of::<T>().max(1);
        if self.capacity().saturating_mul(size) > RETAINED_BYTES {
            self.clear();
            self.shrink_to(KEPT_BYTES / size);
        }
    }
}

impl ReusedBuffer for String {
    fn release_if_large(&mut self) {
        if self.capacity() > RETAINED_BYTES {
            self.clear();
            self.shrink_to(KEPT_BYTES);
        }
    }
}

impl<A: ReusedBuffer, B: ReusedBuffer> ReusedBuffer for (A, B) {
    fn release_if_large(&mut self) {
        self.0.release_if_large();
        self.1.release_if_large();
    }
}

/// Runs `f` with this thread's buffer in `local`, then gives the buffer's memory back if the
/// record made it large. When the buffer is in use (a record logged while this thread is
/// inside `f`: a `Display` impl that logs) or already destroyed (a record logged by a
/// thread-local destructor), `f` gets a buffer made by `fresh` instead: the record is never
/// lost.
///
/// ```
/// use std::cell::RefCell;
/// use tracing_handlers_core::reuse::with_reused;
///
/// thread_local! {
///     static BUF: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(256));
/// }
///
/// let mut sent = Vec::new();
/// with_reused(&BUF, || Vec::with_capacity(256), |buf| {
///     buf.clear();
///     buf.extend_from_slice(b"outer");
///     // Re-entered: a private buffer, the outer one is untouched.
///     with_reused(&BUF, Vec::new, |inner| {
///         inner.extend_from_slice(b"inner");
///         sent.push(inner.clone());
///     });
///     sent.push(buf.clone());
/// });
/// assert_eq!(sent, [b"inner".to_vec(), b"outer".to_vec()]);
/// ```
pub fn with_reused<B: ReusedBuffer + 'static>(
    local: &'static LocalKey<RefCell<B>>,
    fresh: impl FnOnce() -> B,
    f: impl FnOnce(&mut B),
) {
    let mut f = Some(f);
    let _ = local.try_with(|cell| {
        if let Ok(mut buf) = cell.try_borrow_mut() {
            if let Some(f) = f.take() {
                f(&mut buf);
            }
            buf.release_if_large();
        }
    });
    if let Some(f) = f {
        f(&mut fresh());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_give_their_memory_back_and_small_ones_are_kept() {
        let mut text = String::with_capacity(RETAINED_BYTES + 1);
        text.push_str("big");
        text.release_if_large();
        assert!(text.is_empty());
        assert!(text.capacity() <= KEPT_BYTES, "{}", text.capacity());

        let mut exact = String::with_capacity(RETAINED_BYTES);
        exact.push_str("kept");
        exact.release_if_large();
        assert_eq!(exact, "kept");

        // Counted in bytes, not elements.
        let mut wide = Vec::<u16>::with_capacity(RETAINED_BYTES / 2 + 1);
        wide.release_if_large();
        assert!(wide.capacity() * 2 <= KEPT_BYTES);
        let mut zero_sized = vec![(); 1_000_000];
        zero_sized.release_if_large();

        let mut pair = (
            Vec::<u8>::with_capacity(1 << 20),
            Vec::<u8>::with_capacity(16),
        );
        pair.1.push(7);
        pair.release_if_large();
        assert!(pair.0.capacity() <= KEPT_BYTES);
        assert_eq!(pair.1, [7]);
    }

    thread_local! {
        static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }

    #[test]
    fn the_thread_buffer_is_reused_and_shrunk_after_a_large_record() {
        with_reused(&BUF, Vec::new, |buf| buf.resize(RETAINED_BYTES * 4, b'x'));
        BUF.with(|b| assert!(b.borrow().capacity() <= KEPT_BYTES));
        with_reused(&BUF, Vec::new, |buf| {
            buf.clear();
            buf.extend_from_slice(b"small");
        });
        BUF.with(|b| assert_eq!(&b.borrow()[..], b"small"));
    }
}
