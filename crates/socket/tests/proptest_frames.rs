//! Property tests (proptest, run in CI): the pickle reader and the JSON-lines reader never
//! panic on any input, and never build anything but data.

use proptest::prelude::*;
use tracing_handlers_socket::pickle::{load, PickleLimits};
use tracing_handlers_socket::ReceivedRecord;

/// Pickle opcodes with plausible arguments, including the forbidden ones.
fn opcode_soup() -> impl Strategy<Value = Vec<u8>> {
    let op = prop_oneof![
        Just(vec![b'}']),
        Just(vec![b'(']),
        Just(vec![b'u']),
        Just(vec![b's']),
        Just(vec![b'N']),
        Just(vec![b'.']),
        Just(vec![b']']),
        Just(vec![b'a']),
        Just(vec![b'e']),
        Just(vec![b't']),
        Just(vec![b')']),
        Just(b"I01\n".to_vec()),
        Just(b"L12345678901234567890L\n".to_vec()),
        Just(b"cos\nsystem\n".to_vec()),
        Just(vec![b'R']),
        Just(vec![b'b']),
        Just(vec![0x93]),
        Just(vec![0x80, 2]),
        any::<u8>().prop_map(|n| vec![b'K', n]),
        any::<u16>().prop_map(|n| {
            let mut v = vec![b'M'];
            v.extend(n.to_le_bytes());
            v
        }),
        any::<i32>().prop_map(|n| {
            let mut v = vec![b'J'];
            v.extend(n.to_le_bytes());
            v
        }),
        any::<u8>().prop_map(|n| vec![b'q', n]),
        any::<u8>().prop_map(|n| vec![b'h', n]),
        any::<f64>().prop_map(|x| {
            let mut v = vec![b'G'];
            v.extend(x.to_be_bytes());
            v
        }),
        "[ -~]{0,12}".prop_map(|s| {
            let mut v = vec![b'X'];
            v.extend((s.len() as u32).to_le_bytes());
            v.extend(s.bytes());
            v
        }),
        any::<u32>().prop_map(|n| {
            let mut v = vec![b'X'];
            v.extend(n.to_le_bytes());
            v
        }),
    ];
    proptest::collection::vec(op, 0..60).prop_map(|ops| ops.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_never_panic_the_pickle_reader(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(value) = load(&bytes, &PickleLimits::default()) {
            let _ = ReceivedRecord::from_pickle(&value);
        }
    }

    #[test]
    fn opcode_soup_never_panics_and_globals_are_refused(bytes in opcode_soup()) {
        let result = load(&bytes, &PickleLimits::default());
        if bytes.starts_with(b"cos\nsystem\n") {
            prop_assert!(result.is_err(), "a GLOBAL opcode must be refused");
        }
        if let Ok(value) = result {
            let _ = ReceivedRecord::from_pickle(&value);
        }
    }

    #[test]
    fn any_line_never_panics_the_json_reader(line in "[ -~]{0,300}") {
        let _ = ReceivedRecord::from_json(line.as_bytes());
    }
}
