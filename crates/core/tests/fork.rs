//! A lock held by another thread at a `fork` is held in the child by a thread that does not
//! run there: a plain mutex then waits for ever; a `ForkSafeMutex` is taken.
#![cfg(unix)]

use std::sync::{mpsc, Arc};
use std::time::Duration;

use tracing_handlers_core::fork::ForkSafeMutex;
use tracing_handlers_test_support as support;

#[test]
fn a_child_forked_while_another_thread_held_the_mutex_takes_it() {
    const TEST: &str = "a_child_forked_while_another_thread_held_the_mutex_takes_it";
    if support::child_role().as_deref() == Some("holder") {
        let mutex = Arc::new(ForkSafeMutex::new(0u32));
        let (held, wait_held) = mpsc::channel();
        let (release, wait_release) = mpsc::channel::<()>();
        let holder = {
            let mutex = mutex.clone();
            std::thread::spawn(move || {
                let mut value = mutex.lock();
                *value = 1;
                held.send(()).unwrap();
                let _ = wait_release.recv();
            })
        };
        wait_held.recv().unwrap();
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
        release.send(()).unwrap();
        holder.join().unwrap();
        assert_eq!(*mutex.lock(), 1);
        return;
    }
    let out = support::rerun_as_child_within(TEST, "holder", &[], Duration::from_secs(30));
    support::assert_child_passed(&out);
}
