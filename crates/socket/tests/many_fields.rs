//! Found while fuzzing the receiver's decoders (`fuzz/`, target `received_record`), by reading
//! what follows them, then measured: a record received with very many extra fields, forwarded
//! as a pickle frame or a JSON line, took time quadratic in the number of fields (each field
//! was compared with every later one to drop shadowed names): one JSON line of 1 MiB with
//! 80,000 fields kept each encoder busy for about 20 s per record. Shadowed names are now
//! found in linear time.

use std::time::{Duration, Instant};

use tracing_handlers_core::{FieldSet, Level, Record};
use tracing_handlers_socket::pickle::{encode_frame, load, PickleLimits, PickleValue};
use tracing_handlers_socket::{jsonl, ReceivedRecord, DEFAULT_MAX_FRAME_BYTES};

#[test]
fn a_received_record_with_80000_fields_is_forwarded_in_linear_time() {
    let mut line = String::from("{\"levelno\":20,\"message\":\"m\"");
    for i in 0..80_000 {
        line.push_str(&format!(",\"f{i:05}\":{}", i % 10));
    }
    line.push_str("}\n");
    assert!(line.len() <= DEFAULT_MAX_FRAME_BYTES, "{}", line.len());
    let received = ReceivedRecord::from_json(line.as_bytes()).unwrap();
    assert_eq!(received.fields.len(), 80_000);
    let record = received.record();

    let start = Instant::now();
    let mut frame = Vec::new();
    encode_frame(&record, &mut frame);
    let mut json = Vec::new();
    jsonl::encode_line(&record, None, &mut json);
    // Quadratic, this took minutes in a debug build; linear, well under a second.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );

    let limits = PickleLimits {
        max_values: 1_000_000,
        ..PickleLimits::default()
    };
    let value = load(&frame[4..], &limits).unwrap();
    assert_eq!(value.get("f79999"), Some(&PickleValue::Int(9)));
    let back = ReceivedRecord::from_json(&json).unwrap();
    assert_eq!(back.fields.len(), 80_000);
}

/// Above and below the size where the shadowed names are found through a map, a later
/// field of the same name shadows the earlier ones: sent once, last value, last position.
#[test]
fn shadowed_fields_are_sent_once_with_the_last_value_at_any_count() {
    for count in [3, 16, 17, 40] {
        let mut fields = FieldSet::new();
        fields.push_str("user", "first");
        for i in 0..count {
            fields.push_i64(&format!("n{i}"), i);
        }
        fields.push_str("user", "last");
        fields.push_i64("n0", -1);
        let record = Record::new(Level::INFO, "a", "m", &fields);

        let mut json = Vec::new();
        jsonl::encode_line(&record, None, &mut json);
        let text = String::from_utf8(json).unwrap();
        assert_eq!(text.matches("\"user\"").count(), 1, "{count}: {text}");
        assert_eq!(text.matches("\"n0\"").count(), 1, "{count}: {text}");
        assert!(
            text.contains("\"user\":\"last\",\"n0\":-1}"),
            "{count}: {text}"
        );

        let mut frame = Vec::new();
        encode_frame(&record, &mut frame);
        let PickleValue::Dict(items) = load(&frame[4..], &PickleLimits::default()).unwrap() else {
            panic!("not a dict");
        };
        let keys: Vec<&PickleValue> = items.iter().map(|(k, _)| k).collect();
        let user = PickleValue::Str("user".into());
        let n0 = PickleValue::Str("n0".into());
        assert_eq!(keys.iter().filter(|k| ***k == user).count(), 1, "{count}");
        assert_eq!(keys.iter().filter(|k| ***k == n0).count(), 1, "{count}");
        assert_eq!(
            items[items.len() - 2],
            (user, PickleValue::Str("last".into()))
        );
        assert_eq!(items[items.len() - 1], (n0, PickleValue::Int(-1)));
    }
}
