//! A lock held by another thread at a `fork` is held in the child by a thread that does not
//! run there, and one its threads waited for may be handed to one of them: a plain lock then
//! waits for ever; `ForkSafeMutex` and `ForkSafeRwLock` are taken.
#![cfg(unix)]

use std::sync::{mpsc, Arc};
use std::time::Duration;

use tracing_handlers_core::fork::{ForkSafeMutex, ForkSafeRwLock};
use tracing_handlers_test_support as support;

/// A thread inside a lock: it runs `body`, which takes the lock and calls the function it is
/// given while holding it; that function returns once [`Holder::release`] is called.
struct Holder {
    release: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Holder {
    /// Starts the thread and returns once it holds the lock.
    fn start(body: impl FnOnce(&dyn Fn()) + Send + 'static) -> Holder {
        let (held, wait_held) = mpsc::channel();
        let (release, wait_release) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            body(&|| {
                held.send(()).unwrap();
                let _ = wait_release.recv();
            });
        });
        wait_held.recv().unwrap();
        Holder { release, thread }
    }

    /// Lets the lock go and waits for the thread.
    fn release(self) {
        self.release.send(()).unwrap();
        self.thread.join().unwrap();
    }
}

#[test]
fn a_child_forked_while_another_thread_held_the_mutex_takes_it() {
    const TEST: &str = "a_child_forked_while_another_thread_held_the_mutex_takes_it";
    if support::child_role().as_deref() == Some("holder") {
        let mutex = Arc::new(ForkSafeMutex::new(0u32));
        let holder = Holder::start({
            let mutex = mutex.clone();
            move |hold| {
                let mut value = mutex.lock();
                *value = 1;
                hold();
            }
        });
        let child = support::fork(|| {
            // The holder's change is there; the lock is this process's now.
            let mut value = mutex.lock();
            *value += 1;
            let again = std::thread::spawn({
                let mutex = mutex.clone();
                move || *mutex.lock()
            });
            drop(value);
            i32::from(again.join().unwrap() != 2)
        });
        support::wait_for_child(child, "1: the child saw another value");
        // The parent's holder lets go as usual.
        holder.release();
        assert_eq!(*mutex.lock(), 1);
        return;
    }
    let out = support::rerun_as_child_within(TEST, "holder", &[], Duration::from_secs(30));
    support::assert_child_passed(&out);
}

/// Threads of the parent that were *waiting* for the mutex at the fork: a `parking_lot`
/// mutex kept them queued in that library's shared wait table, and an unlock in the child
/// (a fair one, which comes soon after a pause) handed the mutex to one of them, which does
/// not run there: the child's next lock waited for ever.
#[test]
fn a_child_forked_while_threads_waited_for_the_mutex_keeps_taking_it() {
    const TEST: &str = "a_child_forked_while_threads_waited_for_the_mutex_keeps_taking_it";
    if support::child_role().as_deref() == Some("waiters") {
        let mutex = Arc::new(ForkSafeMutex::new(0u32));
        let holder = Holder::start({
            let mutex = mutex.clone();
            move |hold| {
                let _value = mutex.lock();
                hold();
            }
        });
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let mutex = mutex.clone();
                std::thread::spawn(move || *mutex.lock() += 1)
            })
            .collect();
        // Long enough for both to be asleep in the lock.
        std::thread::sleep(Duration::from_millis(200));
        let child = support::fork(|| {
            for _ in 0..20 {
                *mutex.lock() += 10;
                // A pause makes the next contended unlock a fair one (a hand-off).
                std::thread::sleep(Duration::from_millis(2));
            }
            let other = std::thread::spawn({
                let mutex = mutex.clone();
                move || {
                    for _ in 0..1000 {
                        *mutex.lock() += 1;
                    }
                }
            });
            for _ in 0..1000 {
                *mutex.lock() += 1;
            }
            other.join().unwrap();
            i32::from(*mutex.lock() != 2200)
        });
        support::wait_for_child(child, "1: the child counted wrong");
        holder.release();
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert_eq!(*mutex.lock(), 2);
        return;
    }
    let out = support::rerun_as_child_within(TEST, "waiters", &[], Duration::from_secs(30));
    support::assert_child_passed(&out);
}

/// A reader inside the lock and a writer waiting for it at the fork: the child's readers and
/// writers still get in (a plain lock lets no reader past a waiting writer, nor the writer
/// past the reader, and neither runs in the child).
#[test]
fn a_child_forked_while_a_reader_held_the_lock_and_a_writer_waited_reads_and_writes() {
    const TEST: &str =
        "a_child_forked_while_a_reader_held_the_lock_and_a_writer_waited_reads_and_writes";
    if support::child_role().as_deref() == Some("rwlock") {
        let lock = Arc::new(ForkSafeRwLock::new(vec![1u32]));
        let reader = Holder::start({
            let lock = lock.clone();
            move |hold| {
                let _values = lock.read();
                hold();
            }
        });
        let writer = {
            let lock = lock.clone();
            std::thread::spawn(move || lock.write().push(2))
        };
        std::thread::sleep(Duration::from_millis(200));
        let child = support::fork(|| {
            let seen = lock.read().clone();
            lock.write().push(3);
            let again = std::thread::spawn({
                let lock = lock.clone();
                move || lock.read().clone()
            });
            i32::from(seen != [1] || again.join().unwrap() != [1, 3])
        });
        support::wait_for_child(child, "1: the child saw other values");
        reader.release();
        writer.join().unwrap();
        assert_eq!(*lock.read(), [1, 2]);
        return;
    }
    let out = support::rerun_as_child_within(TEST, "rwlock", &[], Duration::from_secs(30));
    support::assert_child_passed(&out);
}

/// A child forked while a non-blocking sink's writer thread was waiting for records: the C
/// library hands that thread's stack to the next thread the child starts. When the writer
/// waited on a `parking_lot` condition variable, its wait record stayed in that library's
/// shared queue, right where the new thread keeps its own, and the child's threads hung the
/// first time they waited on any `parking_lot` lock near it.
#[test]
fn threads_a_child_starts_wait_on_parking_lot_locks_after_a_fork_while_a_writer_was_idle() {
    const TEST: &str =
        "threads_a_child_starts_wait_on_parking_lot_locks_after_a_fork_while_a_writer_was_idle";
    if support::child_role().as_deref() == Some("idle-writer") {
        use tracing_handlers_core::nonblocking::NonBlocking;
        use tracing_handlers_core::{Level, MemorySink, Sink};
        let sink = NonBlocking::new(MemorySink::new()).unwrap();
        sink.write_record(b"one\n", Level::INFO).unwrap();
        sink.flush().unwrap();
        // The writer is waiting for the next record now.
        std::thread::sleep(Duration::from_millis(200));
        let child = support::fork(|| {
            // Threads that take turns through many locks and condition variables: among
            // them some that hash to the writer's slot in the shared queue.
            let pairs: Arc<Vec<(parking_lot::Mutex<u32>, parking_lot::Condvar)>> = Arc::new(
                (0..64)
                    .map(|_| (parking_lot::Mutex::new(0), parking_lot::Condvar::new()))
                    .collect(),
            );
            let threads: Vec<_> = (0..2)
                .map(|me| {
                    let pairs = pairs.clone();
                    std::thread::spawn(move || {
                        for (lock, turn) in pairs.iter() {
                            for _ in 0..20 {
                                let mut n = lock.lock();
                                while *n % 2 != me {
                                    turn.wait(&mut n);
                                }
                                *n += 1;
                                turn.notify_all();
                            }
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            0
        });
        support::wait_for_child(child, "its threads");
        return;
    }
    let out = support::rerun_as_child_within(TEST, "idle-writer", &[], Duration::from_secs(30));
    support::assert_child_passed(&out);
}
