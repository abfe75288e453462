//! The Win32 calls for real: run on Windows, and in CI cross-built with rustc 1.63 and run
//! under Wine (`windows/`, the eventlog leg of `.ci/run`).
//!
//! Wine returns success from `ReportEventW` and prints each event's text on its `eventlog`
//! debug channel (`err:` for errors, `warn:` for warnings, `trace:` for information) but
//! stores nothing, so these tests assert the return values and the CI script greps Wine's
//! stderr for the texts below. Keep them short and ASCII: Wine cuts and escapes what it
//! prints.
#![cfg(windows)]

use std::ffi::c_void;

use tracing_handlers_eventlog_sys::{
    encode_message, register_source, source_key, wide_z, EventSource, EventType, LevelMap,
    DEFAULT_MESSAGE_FILE, MAX_STRING_UNITS,
};

/// The texts the CI script looks for in Wine's stderr.
const ERROR_TEXT: &str = "tracing-handlers wine check: error event";
const WARNING_TEXT: &str = "tracing-handlers wine check: warning event";
const INFO_TEXT: &str = "tracing-handlers wine check: information event";

const SOURCE: &str = "tracing-handlers-wine";

#[test]
fn reports_error_warning_and_information_events() {
    let source = EventSource::register(SOURCE).expect("RegisterEventSourceW");
    let types = LevelMap::event_types();
    let mut text = Vec::new();
    for (level, message) in [(40, ERROR_TEXT), (30, WARNING_TEXT), (20, INFO_TEXT)] {
        assert_eq!(encode_message(message, MAX_STRING_UNITS, &mut text), None);
        source
            .report(types.get(level), 0, 1, &text)
            .unwrap_or_else(|e| panic!("ReportEventW for level {level}: {e}"));
    }
}

#[test]
fn reports_critical_other_levels_and_long_texts() {
    let source = EventSource::register(SOURCE).expect("RegisterEventSourceW");
    let types = LevelMap::event_types();
    let mut text = Vec::new();
    encode_message("critical event", MAX_STRING_UNITS, &mut text);
    source
        .report(types.get(50), 3, 1001, &text)
        .expect("critical");
    encode_message("level 25 event", MAX_STRING_UNITS, &mut text);
    assert_eq!(types.get(25), EventType::Error);
    source.report(types.get(25), 0, 1, &text).expect("level 25");
    let long = "long event ".repeat(4000);
    assert!(encode_message(&long, MAX_STRING_UNITS, &mut text).is_some());
    source
        .report(EventType::Information, 0, 1, &text)
        .expect("a text at the size limit");
}

#[test]
fn report_refuses_a_text_without_nul() {
    let source = EventSource::register(SOURCE).expect("RegisterEventSourceW");
    let err = source
        .report(EventType::Information, 0, 1, &[104, 105])
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[link(name = "advapi32")]
extern "system" {
    fn RegGetValueW(
        key: *mut c_void,
        sub_key: *const u16,
        value: *const u16,
        flags: u32,
        value_type: *mut u32,
        data: *mut c_void,
        data_len: *mut u32,
    ) -> i32;
}

const HKEY_LOCAL_MACHINE: *mut c_void = 0x8000_0002_u32 as i32 as isize as *mut c_void;
const RRF_RT_ANY: u32 = 0xffff;
const RRF_NOEXPAND: u32 = 0x1000_0000;

fn read_value(logtype: &str, appname: &str, name: &str) -> (u32, Vec<u8>) {
    let key = wide_z(&source_key(logtype, appname));
    let name = wide_z(name);
    let mut value_type = 0u32;
    let mut data = vec![0u8; 1024];
    let mut len = data.len() as u32;
    // SAFETY: NUL-terminated names, a buffer of `len` bytes and valid out pointers.
    let status = unsafe {
        RegGetValueW(
            HKEY_LOCAL_MACHINE,
            key.as_ptr(),
            name.as_ptr(),
            RRF_RT_ANY | RRF_NOEXPAND,
            &mut value_type,
            data.as_mut_ptr().cast(),
            &mut len,
        )
    };
    assert_eq!(
        status,
        0,
        "RegGetValueW {}",
        String::from_utf16_lossy(&name)
    );
    data.truncate(len as usize);
    (value_type, data)
}

/// NT-03: the registry values Python writes (Wine's prefix lets us write HKLM).
#[test]
fn registers_the_source_as_python_does() {
    register_source(SOURCE, DEFAULT_MESSAGE_FILE, "Application").expect("registry");
    let (ty, data) = read_value("Application", SOURCE, "EventMessageFile");
    assert_eq!(ty, 2, "REG_EXPAND_SZ");
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(units, wide_z(DEFAULT_MESSAGE_FILE));
    let (ty, data) = read_value("Application", SOURCE, "TypesSupported");
    assert_eq!(ty, 4, "REG_DWORD");
    assert_eq!(data, 7u32.to_le_bytes());
    // Registering again (every start of the application) overwrites, as Python.
    register_source(SOURCE, r"C:\portal\messages.dll", "Application").expect("again");
    let (_, data) = read_value("Application", SOURCE, "EventMessageFile");
    assert_eq!(data.len(), (r"C:\portal\messages.dll".len() + 1) * 2);
}
