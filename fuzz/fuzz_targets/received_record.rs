//! The socket receiver's decoders: a JSON line (`ReceivedRecord::from_json`) or a pickle
//! frame payload (`pickle::load` with the receiver's default limits, then
//! `ReceivedRecord::from_pickle`). A decoded record is then formatted as the receiver's
//! handlers would (every attribute, local and UTC `asctime`, JSON) and re-encoded as a pickle
//! frame and a JSON line, which must decode again.
//!
//! The first byte picks the decoder.
#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use tracing_handlers_core::report::set_error_reporter;
use tracing_handlers_core::{Format, Formatter, JsonFormatter, Style};
use tracing_handlers_socket::pickle::{encode_frame, load, PickleLimits};
use tracing_handlers_socket::{jsonl, ReceivedRecord};

const EVERYTHING: &str = "%(asctime)s %(created)f %(msecs)03d %(relativeCreated)d \
    %(levelname)s %(levelno)s %(name)s %(message)r %(module)s %(filename)s %(pathname)s \
    %(lineno)d %(funcName)s %(process)d %(processName)s %(thread)d %(threadName)s \
    %(fields)s %(user)s";

static QUIET: Once = Once::new();

fn exercise(r: &ReceivedRecord) {
    let record = r.record();
    let mut out = Vec::new();
    let local = Formatter::new(EVERYTHING, Style::Percent).expect("valid format");
    local.format(&record, &mut out);
    let utc = Formatter::new(EVERYTHING, Style::Percent)
        .expect("valid format")
        .with_utc(true)
        .with_datefmt("%Y-%m-%dT%H:%M:%S%z %j %a %b");
    utc.format(&record, &mut out);
    JsonFormatter::new().format(&record, &mut out);
    JsonFormatter::new()
        .with_utc(true)
        .format(&record, &mut out);

    // What we send must be readable by our own receiver.
    let mut frame = Vec::new();
    encode_frame(&record, &mut frame);
    let value = load(&frame[4..], &PickleLimits::default()).expect("our frame loads");
    ReceivedRecord::from_pickle(&value).expect("our frame is a record");
    let mut line = Vec::new();
    jsonl::encode_line(&record, Some("host"), &mut line);
    ReceivedRecord::from_json(&line).expect("our JSON line is a record");
}

fuzz_target!(|data: &[u8]| {
    QUIET.call_once(|| set_error_reporter(|_| {}));
    let Some((&which, payload)) = data.split_first() else {
        return;
    };
    let received = if which & 1 == 0 {
        ReceivedRecord::from_json(payload)
    } else {
        match load(payload, &PickleLimits::default()) {
            Ok(value) => {
                let mut s = String::new();
                value.write_python_str(&mut s);
                ReceivedRecord::from_pickle(&value)
            }
            Err(e) => {
                let _ = e.to_string();
                return;
            }
        }
    };
    match received {
        Ok(r) => exercise(&r),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
