//! Helpers shared by the rotating handler's test files.

use std::fs;
use std::path::Path;

/// The bytes a rotated file holds, gunzipped when its name ends in `.gz`.
pub(crate) fn read_rotated(path: &Path) -> Vec<u8> {
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(fs::File::open(path).unwrap()),
            &mut out,
        )
        .unwrap();
        out
    } else {
        fs::read(path).unwrap()
    }
}
