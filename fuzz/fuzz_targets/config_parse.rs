//! `logging.conf` (INI), TOML and JSON configs: parse, then plan (validate every handler and
//! formatter without opening anything). The first byte picks the format.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let path = Path::new(match which % 3 {
        0 => "fuzz/logging.conf",
        1 => "fuzz/logging.toml",
        _ => "fuzz/logging.json",
    });
    let (config, errors) = tracing_handlers_config::parse_lossy(path, bytes);
    for e in errors.iter() {
        let _ = e.to_string();
    }
    let _ = errors.to_string();
    match tracing_handlers_config::parse(path, bytes) {
        Ok(config) => {
            if let Ok(plan) = tracing_handlers_config::build::plan(&config, path) {
                let _ = plan.describe();
            }
        }
        Err(errors) => {
            let _ = errors.to_string();
        }
    }
    if let Some(config) = config {
        // The lossy config (invalid parts left out) is planned too, as `check` does.
        if let Err(errors) = tracing_handlers_config::build::plan(&config, path) {
            let _ = errors.to_string();
        }
    }
});
