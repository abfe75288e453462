//! The `python` helper runs CPython scripts that make temporary folders (the rotation tests
//! use `tempfile.mkdtemp()`); none may outlive the test.

use std::path::Path;

use tracing_handlers_test_support::{python, require};

#[test]
fn a_scripts_temporary_folder_is_removed_after_it() {
    if !require("python3", "a_scripts_temporary_folder_is_removed_after_it") {
        return;
    }
    let out = python(
        "import os, tempfile\nd = tempfile.mkdtemp()\nopen(os.path.join(d, 'x.log'), 'w').write('x')\nprint(d)",
        b"",
        &[],
    );
    let made = String::from_utf8(out).expect("utf-8");
    let made = Path::new(made.trim());
    assert!(made.is_absolute(), "{made:?}");
    assert!(!made.exists(), "{made:?} outlived the script");
}
