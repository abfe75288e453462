//! Python's FileHandler checks (reference §5: FH-01..FH-06, FH-08 as "folders are created"),
//! plus the file mode, batches and tracing-subscriber's `fmt` layer.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use tracing_handlers_core::{FieldSet, FormatHandler, Formatter, Handler, Level, Record, Sink};
use tracing_handlers_file::{FileError, FileSink, OpenMode};

fn log(handler: &impl Handler, message: &str) {
    let fields = FieldSet::new();
    handler.handle(&Record::new(Level::INFO, "test", message, &fields));
}

fn handler(sink: FileSink) -> FormatHandler<FileSink> {
    FormatHandler::new(sink).with_formatter(Formatter::percent("%(message)s").unwrap())
}

#[test]
fn fh01_a_relative_path_is_made_absolute_at_construction() {
    let sink = FileSink::builder("fh01-rel.log")
        .with_delay(true)
        .build()
        .unwrap();
    assert!(sink.path().is_absolute());
    assert_eq!(
        sink.path(),
        std::env::current_dir().unwrap().join("fh01-rel.log")
    );
    assert!(sink.describe().ends_with("fh01-rel.log"));
    assert!(sink.describe().starts_with("file /"));
    assert!(
        !Path::new("fh01-rel.log").exists(),
        "delay: nothing created"
    );
}

#[test]
fn fh02_delay_opens_on_the_first_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("delayed.log");
    let h = handler(FileSink::builder(&path).with_delay(true).build().unwrap());
    assert!(!path.exists());
    assert!(!h.sink().is_open());
    log(&h, "first");
    assert!(path.exists());
    assert_eq!(fs::read_to_string(&path).unwrap(), "first\n");
}

#[test]
fn without_delay_the_file_exists_after_build() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eager.log");
    let sink = FileSink::new(&path).unwrap();
    assert!(sink.is_open());
    assert!(path.exists());
    assert_eq!(sink.open_mode(), OpenMode::Append);
}

#[test]
fn fh03_append_keeps_what_the_file_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    fs::write(&path, "old\n").unwrap();
    let h = handler(FileSink::new(&path).unwrap());
    log(&h, "new");
    assert_eq!(fs::read_to_string(&path).unwrap(), "old\nnew\n");
}

#[test]
fn fh04_append_mode_reopens_after_close() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let h = handler(FileSink::new(&path).unwrap());
    log(&h, "one");
    h.sink().close();
    assert!(!h.sink().is_open());
    log(&h, "two");
    assert!(h.sink().is_open());
    assert_eq!(fs::read_to_string(&path).unwrap(), "one\ntwo\n");
}

#[test]
fn fh05_truncate_mode_drops_after_close_and_truncates_on_construction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    fs::write(&path, "stale\n").unwrap();
    let build = || {
        FileSink::builder(&path)
            .with_open_mode(OpenMode::Truncate)
            .build()
            .unwrap()
    };
    let h = handler(build());
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "",
        "truncated at construction"
    );
    log(&h, "one");
    h.sink().close();
    log(&h, "dropped");
    assert_eq!(fs::read_to_string(&path).unwrap(), "one\n");
    // Constructing again with mode 'w' truncates.
    let again = handler(build());
    assert_eq!(fs::read_to_string(&path).unwrap(), "");
    log(&again, "fresh");
    assert_eq!(fs::read_to_string(&path).unwrap(), "fresh\n");
}

#[test]
fn truncate_with_delay_truncates_on_the_first_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    fs::write(&path, "stale\n").unwrap();
    let h = handler(
        FileSink::builder(&path)
            .with_open_mode(OpenMode::Truncate)
            .with_delay(true)
            .build()
            .unwrap(),
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "stale\n");
    log(&h, "a");
    log(&h, "b");
    assert_eq!(fs::read_to_string(&path).unwrap(), "a\nb\n");
}

#[test]
fn writes_land_at_the_end_even_after_an_outside_truncation() {
    // O_APPEND in both modes.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    for mode in [OpenMode::Append, OpenMode::Truncate] {
        let h = handler(
            FileSink::builder(&path)
                .with_open_mode(mode)
                .build()
                .unwrap(),
        );
        log(&h, "long first line");
        fs::write(&path, "x\n").unwrap();
        log(&h, "after");
        assert_eq!(fs::read_to_string(&path).unwrap(), "x\nafter\n", "{mode:?}");
    }
}

#[test]
fn two_sinks_on_one_file_both_append() {
    // Each record lands at the end of the file, whoever wrote last (O_APPEND semantics
    // kept by the positional write used on Linux).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    fs::write(&path, "kept\n").unwrap();
    let a = handler(FileSink::new(&path).unwrap());
    let b = handler(FileSink::new(&path).unwrap());
    for i in 0..3 {
        log(&a, &format!("a{i}"));
        log(&b, &format!("b{i}"));
    }
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "kept\na0\nb0\na1\nb1\na2\nb2\n"
    );
}

#[cfg(unix)]
#[test]
fn a_pipe_path_is_written_too() {
    // A FIFO cannot seek: records go through write(2) there.
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fifo");
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let reader_path = path.clone();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        fs::File::open(reader_path)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    });
    let h = handler(FileSink::new(&path).unwrap());
    log(&h, "through");
    log(&h, "the pipe");
    drop(h);
    assert_eq!(reader.join().unwrap(), "through\nthe pipe\n");
}

#[test]
fn fh06_utf8_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("utf8.log");
    let h = handler(FileSink::new(&path).unwrap());
    log(&h, "héllo €");
    assert_eq!(
        fs::read(&path).unwrap(),
        [0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f, 0x20, 0xe2, 0x82, 0xac, 0x0a]
    );
}

#[test]
fn fh08_missing_folders_are_created() {
    // Python raises FileNotFoundError here; we create the folders instead.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/c/app.log");
    let h = handler(FileSink::new(&path).unwrap());
    assert!(dir.path().join("a/b/c").is_dir());
    log(&h, "made it");
    assert_eq!(fs::read_to_string(&path).unwrap(), "made it\n");

    // Also when delayed, on the first record.
    let delayed = dir.path().join("x/y/app.log");
    let h = handler(
        FileSink::builder(&delayed)
            .with_delay(true)
            .build()
            .unwrap(),
    );
    assert!(!dir.path().join("x").exists());
    log(&h, "later");
    assert_eq!(fs::read_to_string(&delayed).unwrap(), "later\n");
}

#[test]
fn an_unopenable_path_is_a_typed_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("plain-file"), "").unwrap();
    let path = dir.path().join("plain-file/app.log");
    let err = FileSink::new(&path).unwrap_err();
    assert!(matches!(err, FileError::Open { .. }), "{err:?}");
    assert_eq!(err.path(), path);
    assert_eq!(err.io_error().raw_os_error(), Some(libc::ENOTDIR));
    let text = err.to_string();
    assert!(text.starts_with("cannot open log file "), "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
    // With delay, building cannot fail on opening.
    assert!(FileSink::builder(&path).with_delay(true).build().is_ok());
}

#[cfg(unix)]
#[test]
fn new_files_get_the_file_mode_and_existing_files_keep_theirs() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mode_of = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let umask = {
        // SAFETY: umask has no preconditions; set it back at once.
        let old = unsafe { libc::umask(0o022) };
        unsafe { libc::umask(old) };
        old as u32
    };

    let default = dir.path().join("default.log");
    FileSink::new(&default).unwrap();
    assert_eq!(mode_of(&default), 0o640 & !umask);

    let private = dir.path().join("private.log");
    FileSink::builder(&private)
        .with_file_mode(0o600)
        .build()
        .unwrap();
    assert_eq!(mode_of(&private), 0o600 & !umask);

    let existing = dir.path().join("existing.log");
    fs::write(&existing, "").unwrap();
    fs::set_permissions(&existing, fs::Permissions::from_mode(0o644)).unwrap();
    FileSink::builder(&existing)
        .with_file_mode(0o600)
        .build()
        .unwrap();
    assert_eq!(mode_of(&existing), 0o644);
}

#[test]
fn a_batch_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.log");
    let sink = FileSink::new(&path).unwrap();
    sink.write_batch(b"a\nbb\nccc\n", &[2, 5, 9]).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "a\nbb\nccc\n");
}

#[test]
fn usable_as_a_make_writer_under_the_fmt_layer() {
    use tracing_subscriber::layer::SubscriberExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fmt.log");
    let sink = Arc::new(FileSink::new(&path).unwrap());
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(sink.clone())
            .with_ansi(false)
            .without_time(),
    );
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(target: "portal", "through fmt");
    });
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("INFO portal: through fmt"), "{text:?}");
    assert!(text.ends_with('\n'));
}
