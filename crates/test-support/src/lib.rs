//! Helpers shared by the tests of the workspace.
//!
//! Tests that need a real peer (python3, rsyslogd, logrotate, wine) call [`require`]: when the
//! program is missing the test says so visibly and skips, except under CI (`CI` set), where a
//! missing peer is a failure.

use std::process::Command;

/// Whether `program` can be run (`program --version` succeeds).
pub fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Returns `true` when `program` is available. Otherwise prints a visible `SKIP:` line and
/// returns `false`, or panics when the `CI` environment variable is set (CI must run every
/// test).
///
/// # Panics
///
/// Under CI, when the program is missing.
#[allow(clippy::print_stderr)]
pub fn require(program: &str, test: &str) -> bool {
    if available(program) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: required peer `{program}` is missing (CI must not skip)");
    }
    eprintln!("SKIP: {test}: `{program}` is not installed");
    false
}

/// Runs `python3 -c script` with `stdin` and returns its stdout, panicking with its stderr
/// on failure. The script's `TMPDIR` is a private folder removed afterwards, so what it makes
/// with `tempfile` never outlives the test.
///
/// # Panics
///
/// When python3 cannot run or exits non-zero.
pub fn python(script: &str, stdin: &[u8], env: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write as _;
    use std::process::Stdio;
    let tmp = tempfile::tempdir().expect("a temporary folder for python3");
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(script)
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write to python3");
    let out = child.wait_with_output().expect("python3 finishes");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The environment variable a re-executed test binary sees to know which child role to play.
pub const CHILD_ROLE: &str = "TRACING_HANDLERS_TEST_CHILD";

/// Re-runs the current test binary as a child, running only `test` (an exact test name) with
/// [`CHILD_ROLE`] set to `role`, and returns its output.
///
/// # Panics
///
/// When the binary cannot be started.
pub fn rerun_as_child(test: &str, role: &str, env: &[(&str, &str)]) -> std::process::Output {
    child_command(test, role, env)
        .output()
        .expect("child test process runs")
}

/// As [`rerun_as_child`], for a child that might hang: when it (or a process it forked) is
/// still running after `limit`, they are killed and the test fails.
///
/// # Panics
///
/// When the binary cannot be started, or the child did not finish within `limit`.
pub fn rerun_as_child_within(
    test: &str,
    role: &str,
    env: &[(&str, &str)],
    limit: std::time::Duration,
) -> std::process::Output {
    let mut cmd = child_command(test, role, env);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    #[cfg(unix)]
    {
        // Its own process group, so the processes it forks are killed with it.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let child = cmd.spawn().expect("child test process runs");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("child test process output"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
            panic!("{test} as {role} did not finish within {limit:?}");
        }
    }
}

fn child_command(test: &str, role: &str, env: &[(&str, &str)]) -> Command {
    let exe = std::env::current_exe().expect("current test binary");
    let mut cmd = Command::new(exe);
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ROLE, role);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Fails unless `out` is a child test process's successful run of its one test (see
/// [`rerun_as_child`]), showing what it printed.
///
/// # Panics
///
/// When it is not.
pub fn assert_child_passed(out: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child test process: {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Forks. The child runs `child` and leaves with `_exit` and the code it returns (101 when it
/// panics), so none of the exit hooks it inherited run unless `child` calls `exit` itself.
/// Returns the child's process id, for [`wait_for_child`].
///
/// # Panics
///
/// When `fork` fails.
#[cfg(unix)]
pub fn fork(child: impl FnOnce() -> i32) -> libc::pid_t {
    // SAFETY: the child runs `child` and leaves with `_exit`; what it may do in a threaded
    // process is the calling test's concern.
    match unsafe { libc::fork() } {
        0 => {
            // A panic ends the child with 101 (it must not unwind into the test harness the
            // child inherited, which would go on running tests there).
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(101);
            // SAFETY: ends the forked child.
            unsafe { libc::_exit(code) }
        }
        -1 => panic!("fork: {}", std::io::Error::last_os_error()),
        pid => pid,
    }
}

/// Waits for the forked child `pid` and fails unless it exited with 0; `what` says what a
/// non-zero exit means.
///
/// # Panics
///
/// When the child failed.
#[cfg(unix)]
pub fn wait_for_child(pid: libc::pid_t, what: &str) {
    let mut status = 0;
    // SAFETY: waits for a child of this process.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "forked child {pid}: wait status {status} ({what})"
    );
}

/// The role this process plays when re-executed by [`rerun_as_child`].
pub fn child_role() -> Option<String> {
    std::env::var(CHILD_ROLE).ok()
}

/// Runs `f` on another thread and returns its result, or fails the test when it has not
/// returned within `limit`: a hang (a deadlock, a wait that never ends) turned into a
/// failure, not a timing assertion.
///
/// # Panics
///
/// When `f` has not returned within `limit`, or panicked.
pub fn within<T: Send + 'static>(
    limit: std::time::Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{what} did not return within {limit:?}"))
}
