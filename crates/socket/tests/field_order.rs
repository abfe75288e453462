//! A JSON line's fields reach the handlers in the sender's order, as a pickled record's do
//! (Python's `record.__dict__` keeps insertion order), not sorted by name.

use tracing_handlers_socket::ReceivedRecord;

#[test]
fn json_fields_keep_the_senders_order() {
    let line = br#"{"level":"INFO","logger":"a","message":"m","fields":{"zeta":1,"alpha":"x","mid":true},"zz_extra":2,"host":"web-1","aa_extra":3}"#;
    let received = ReceivedRecord::from_json(line).unwrap();
    let names: Vec<&str> = received.fields.iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        ["zeta", "alpha", "mid", "zz_extra", "host", "aa_extra"]
    );
}
