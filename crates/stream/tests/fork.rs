//! A child forked while another thread of the parent held `std`'s lock on stderr (a thread in
//! the middle of an `eprintln!`, or of a record of its own): the lock stays held in the child
//! by a thread that does not run there, so every later write through it waited for ever: the
//! child's stream handler, the default error reporter and Python's last resort alike.
#![cfg(unix)]

use std::sync::{mpsc, Arc};
use std::time::Duration;

use tracing_handlers_core::dispatch::{Dispatch, HandlerSet};
use tracing_handlers_core::report::{report, Report, ReportKind};
use tracing_handlers_core::{FieldSet, Level, Record, Sink};
use tracing_handlers_stream::StreamSink;
use tracing_handlers_test_support as support;

#[test]
fn a_child_forked_while_another_thread_held_stderr_writes_to_it() {
    const TEST: &str = "a_child_forked_while_another_thread_held_stderr_writes_to_it";
    if support::child_role().as_deref() == Some("stderr-holder") {
        let sink = StreamSink::stderr();
        let dispatch = Dispatch::new(HandlerSet::new());
        let (held, wait_held) = mpsc::channel();
        let (release, wait_release) = mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let _stderr = std::io::stderr().lock();
            held.send(()).unwrap();
            let _ = wait_release.recv();
        });
        wait_held.recv().unwrap();
        let dispatch = Arc::new(dispatch);
        let child = support::fork(|| {
            if sink
                .write_record(b"record from the child\n", Level::INFO)
                .is_err()
            {
                return 1;
            }
            report(&Report {
                source: "child",
                kind: ReportKind::Failure,
                message: &"reported from the child",
            });
            let fields = FieldSet::new();
            dispatch.dispatch(&Record::new(
                Level::WARNING,
                "portal",
                "last resort in the child",
                &fields,
            ));
            0
        });
        support::wait_for_child(child, "1: the stream write failed");
        release.send(()).unwrap();
        holder.join().unwrap();
        return;
    }
    let out = support::rerun_as_child_within(TEST, "stderr-holder", &[], Duration::from_secs(30));
    support::assert_child_passed(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [
        "record from the child\n",
        "[tracing-handlers] child: reported from the child\n",
        "last resort in the child\n",
    ] {
        assert!(stderr.contains(line), "{line:?} missing from {stderr:?}");
    }
}
