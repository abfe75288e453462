//! What the file examples share: a `println!` that ignores a closed pipe, the `--config PATH`
//! argument with the exit status, and the files of a log and its rotations.

use std::error::Error;
use std::io;
use std::path::Path;
use std::process::ExitCode;

/// `println!` that never panics (a closed pipe, as with `| head`, is ignored).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
pub(crate) use say;

/// Runs `example` with the path of `--config PATH` (or `--config=PATH`), the only argument:
/// exit 0 when it succeeds, 1 when it fails, 2 on a bad argument; errors go to stderr.
pub(crate) fn main_with_config_arg(
    example: &str,
    run: impl FnOnce(Option<&str>) -> Result<(), Box<dyn Error>>,
) -> ExitCode {
    use std::io::Write as _;
    let config = match config_arg() {
        Ok(config) => config,
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "{example}: {e}; usage: {example} [--config PATH]"
            );
            return ExitCode::from(2);
        }
    };
    match run(config.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "{example}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn config_arg() -> Result<Option<String>, String> {
    let mut args = std::env::args().skip(1);
    let mut config = None;
    while let Some(arg) = args.next() {
        let path = match arg.strip_prefix("--config=") {
            Some(path) => path.to_owned(),
            None if arg == "--config" => args.next().ok_or("--config needs a path")?,
            None => return Err(format!("unknown argument {arg:?}")),
        };
        if !Path::new(&path).is_file() {
            return Err(format!("{path}: no such file"));
        }
        config = Some(path);
    }
    Ok(config)
}

/// The names in `dir` of the log `base`, its rotated files (`base.*`) and its lock file
/// (`.base.lock`); none when `dir` does not exist.
pub(crate) fn log_files(dir: &str, base: &str) -> io::Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let (rotated, lock) = (format!("{base}."), format!(".{base}.lock"));
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name == base || name == lock || name.starts_with(&rotated);
        if ours && entry.file_type()?.is_file() {
            names.push(name);
        }
    }
    Ok(names)
}

/// Removes the files of an earlier run (see [`log_files`]), so the listing shows this one.
pub(crate) fn remove_earlier_run(dir: &str, base: &str) -> io::Result<()> {
    let names = log_files(dir, base)?;
    for name in &names {
        std::fs::remove_file(Path::new(dir).join(name))?;
    }
    if !names.is_empty() {
        say!("removed {} file(s) of an earlier run", names.len());
    }
    Ok(())
}
