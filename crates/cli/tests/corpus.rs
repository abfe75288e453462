//! `logging.conf` files run by CPython's `fileConfig` and by us produce byte-identical
//! output, and the same configurations as JSON (checked by CPython's `dictConfig` too) and
//! TOML (converted from the JSON) give the same output again.
//!
//! Each folder of `tests/corpus/` holds a `logging.conf`, its `logging.json` equivalent and
//! `events.tsv` (`LEVEL<TAB>LOGGER<TAB>MESSAGE`). Both sides run in a fresh copy of the folder
//! as their working directory; stdout, stderr and every file written are compared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tracing_handlers_test_support as support;

const RUNNER: &str = r#"
import sys, json, logging, logging.config
conf, events = sys.argv[1], sys.argv[2]
if conf.endswith('.json'):
    with open(conf, encoding='utf-8') as f:
        logging.config.dictConfig(json.load(f))
else:
    logging.config.fileConfig(conf)
names = {'CRITICAL': 50, 'FATAL': 50, 'ERROR': 40, 'WARNING': 30, 'WARN': 30,
         'INFO': 20, 'DEBUG': 10, 'NOTSET': 0}
with open(events, encoding='utf-8') as f:
    for line in f:
        line = line.rstrip('\n')
        if not line:
            continue
        level, name, message = line.split('\t', 2)
        number = int(level) if level.lstrip('-').isdigit() else names[level.upper()]
        logger = logging.getLogger() if name == 'root' else logging.getLogger(name)
        logger.log(number, message)
logging.shutdown()
"#;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Everything a run produced: stdout, stderr, and the files that were not inputs.
#[derive(Debug, PartialEq, Eq)]
struct Output {
    stdout: String,
    stderr: String,
    files: BTreeMap<String, Vec<u8>>,
}

fn collect(dir: &Path, base: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path
            .strip_prefix(base)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if path.is_dir() {
            collect(&path, base, files);
        } else if !matches!(
            name.as_str(),
            "logging.conf" | "logging.json" | "logging.toml" | "events.tsv" | "runner.py"
        ) && !name.ends_with(".keep")
            // The rotating handlers' shared lock file (ours only: Python's handlers are not
            // safe across processes).
            && !(name.starts_with('.') && name.ends_with(".lock"))
        {
            files.insert(name, std::fs::read(&path).unwrap());
        }
    }
}

fn run(mut cmd: Command, dir: &Path) -> Output {
    let out = cmd.current_dir(dir).output().unwrap();
    let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        stderr.push_str(&format!("(exit status {})\n", out.status));
    }
    let mut files = BTreeMap::new();
    collect(dir, dir, &mut files);
    Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        files,
    }
}

fn python(case: &Path, config: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(case, dir.path());
    std::fs::write(dir.path().join("runner.py"), RUNNER).unwrap();
    let mut cmd = Command::new("python3");
    cmd.args(["runner.py", config, "events.tsv"]);
    run(cmd, dir.path())
}

fn ours(case: &Path, config: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(case, dir.path());
    if config == "logging.toml" {
        // TOML is the JSON configuration, converted mechanically.
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("logging.json")).unwrap()).unwrap();
        std::fs::write(dir.path().join(config), toml::to_string(&json).unwrap()).unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tracing-handlers"));
    cmd.args(["emit", "--config", config, "--events", "events.tsv"]);
    run(cmd, dir.path())
}

fn show(o: &Output) -> String {
    let mut s = format!("--- stdout\n{}--- stderr\n{}", o.stdout, o.stderr);
    for (name, bytes) in &o.files {
        s.push_str(&format!("--- {name}\n{}", String::from_utf8_lossy(bytes)));
    }
    s
}

#[test]
fn corpus_matches_cpython_for_logging_conf_json_and_toml() {
    if !support::require(
        "python3",
        "corpus_matches_cpython_for_logging_conf_json_and_toml",
    ) {
        return;
    }
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "the corpus is in place");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expected = python(case, "logging.conf");
        assert!(
            !expected.files.is_empty()
                || !expected.stdout.is_empty()
                || !expected.stderr.is_empty(),
            "{name}: CPython produced nothing"
        );
        // The JSON file is the same configuration in CPython's own eyes.
        let python_json = python(case, "logging.json");
        assert_eq!(
            python_json, expected,
            "{name}: logging.json differs from logging.conf in CPython"
        );
        for config in ["logging.conf", "logging.json", "logging.toml"] {
            let got = ours(case, config);
            if got != expected {
                failures.push(format!(
                    "{name}/{config}:\nexpected (CPython):\n{}\ngot:\n{}",
                    show(&expected),
                    show(&got)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
