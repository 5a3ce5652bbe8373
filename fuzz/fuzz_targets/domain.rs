//! Message-ID domain settings: `Domain::parse` and `Config::message_id_domain`.
//!
//! An accepted domain is ASCII, at most 253 octets, re-parses to itself, and every Message-ID
//! generated on it parses back with that domain as id-right and passes the default policy.
//! `Config::message_id_domain` accepts exactly what `Domain::parse` accepts. See FUZZING.md.
#![no_main]

use letterhead::{
    message::header::HeaderName, Config, Domain, Error, HeaderPolicy, IdentifierPolicy, MsgId,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();

    let parsed = Domain::parse(s);
    let config = Config::new().message_id_domain(s);
    match (&parsed, &config) {
        (Ok(d), Ok(c)) => assert_eq!(c.domain(), Some(d), "{s:?}: Config stored another domain"),
        (Err(e), Err(f)) => {
            check_error(s, e, "domain: ");
            check_error(s, f, "Config::message_id_domain: ");
            if let (
                Error::InvalidDomain { reason: r1, .. },
                Error::InvalidDomain { reason: r2, .. },
            ) = (e, f)
            {
                assert_eq!(
                    r1, r2,
                    "{s:?}: Domain::parse and Config disagree on the reason"
                );
            }
        }
        _ => panic!("{s:?}: Domain::parse {parsed:?} but Config::message_id_domain {config:?}"),
    }

    let Ok(d) = parsed else { return };
    let text = d.as_str();
    assert!(text.is_ascii(), "{s:?} -> {text:?}: not ASCII");
    assert!(!text.is_empty(), "{s:?}: empty domain");
    assert!(
        text.len() <= Domain::MAX_LEN,
        "{s:?} -> {text:?}: {} octets",
        text.len()
    );
    assert!(!text.contains("=?"), "{s:?} -> {text:?}: holds =?");
    assert_eq!(d.to_string(), text);
    match Domain::parse(text) {
        Ok(again) => assert_eq!(again, d, "{s:?} -> {text:?}: re-parse differs"),
        Err(e) => panic!("{s:?} -> {text:?} does not re-parse: {e}"),
    }
    // A plain ASCII host name is kept as given.
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        assert_eq!(text, s, "{s:?}: an ASCII domain was changed");
    }

    let id = MsgId::generate(&d);
    assert_eq!(id.right(), text);
    match MsgId::parse(id.as_str()) {
        Ok(again) => {
            assert_eq!(again, id, "{s:?}: generated {id:?} re-parses as {again:?}");
            assert_eq!(again.right(), text);
        }
        Err(e) => {
            panic!("{s:?}: Domain accepted {text:?}, but generated {id:?} does not parse: {e}")
        }
    }
    let policy = IdentifierPolicy::new();
    let mid = HeaderName::new_from_ascii_str("Message-ID");
    if let Err(e) = policy.encode(&mid, id.as_str()) {
        panic!("{s:?}: the default policy refuses generated {id:?}: {e}");
    }
});

fn check_error(s: &str, e: &Error, prefix: &str) {
    let shown = e.to_string();
    assert!(
        !shown.contains(['\r', '\n']),
        "{s:?}: error holds a line break: {shown:?}"
    );
    assert!(
        shown.starts_with(prefix),
        "{s:?}: error {shown:?} does not start with {prefix:?}"
    );
    assert!(
        matches!(e, Error::InvalidDomain { .. }),
        "{s:?}: unexpected error {e:?}"
    );
}
