//! Message-ID domain settings: `Domain::parse`, `Config::message_id_domain` and
//! `domain::resolve`.
//!
//! An accepted domain is ASCII, at most 253 octets, re-parses to itself, and every Message-ID
//! and Content-ID generated on it parses back (strictly, and in compatible mode) with that
//! domain as id-right, is an RFC 5322 msg-id, and is written unchanged by both
//! `IdentifierPolicy::new()` and `IdentifierPolicy::strict()`. `Config::message_id_domain`
//! accepts exactly what `Domain::parse` accepts. `domain::resolve` takes the steps in order,
//! and the same text as the author's domain (step 4) is used exactly when `Domain::parse`
//! accepts it; otherwise the order moves on (to the host name or `localhost`; `MESSAGE_ID_DOMAIN`
//! is not set), never an error. See FUZZING.md.
#![no_main]

use letterhead::{
    domain::{resolve, Source, ENV_VAR},
    message::header::HeaderName,
    msgid::Mode,
    policy::{write_text, Value},
    Config, ContentId, Domain, Error, HeaderPolicy, IdentifierPolicy, MsgId, MsgIds,
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

    // Step 4, the author's domain: used when it can be a Message-ID domain, else the order
    // moves on; never an error (MESSAGE_ID_DOMAIN, step 3, is not set for the fuzzer).
    if std::env::var_os(ENV_VAR).is_none() {
        match resolve(None, None, Some(s)) {
            Ok((got, source)) => match &parsed {
                Ok(d) => {
                    assert_eq!((&*got, source), (d, Source::Author), "{s:?}: author step");
                }
                Err(_) => {
                    assert!(
                        matches!(source, Source::Hostname | Source::Localhost),
                        "{s:?}: an author domain that cannot be one must move the order on, \
                         not to {source:?} {got:?}"
                    );
                    if source == Source::Localhost {
                        assert_eq!(got.as_str(), "localhost");
                    }
                }
            },
            Err(e) => panic!("{s:?}: resolve failed on an author domain: {e}"),
        }
    }

    let Ok(d) = parsed else { return };
    // Steps 1 and 2 come first, whatever the author.
    let other = Domain::parse("other.example").unwrap();
    let (got, source) = resolve(Some(&d), Some(&other), Some("author.example")).unwrap();
    assert_eq!((&*got, source), (&d, Source::Message), "{s:?}: step 1");
    let (got, source) = resolve(None, Some(&d), Some("author.example")).unwrap();
    assert_eq!((&*got, source), (&d, Source::Config), "{s:?}: step 2");

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
    assert!(
        id.is_rfc5322(),
        "{s:?}: generated {id:?} is not an RFC 5322 msg-id"
    );
    for mode in [Mode::Strict, Mode::Compatible] {
        match MsgId::parse_in(id.as_str(), mode, false) {
            Ok(again) => {
                assert_eq!(again, id, "{s:?}: generated {id:?} re-parses ({mode:?}) as {again:?}");
                assert_eq!(again.right(), text);
            }
            Err(e) => panic!(
                "{s:?}: Domain accepted {text:?}, but generated {id:?} does not parse ({mode:?}): {e}"
            ),
        }
    }
    let mid = HeaderName::new_from_ascii_str("Message-ID");
    for policy in [IdentifierPolicy::new(), IdentifierPolicy::strict()] {
        let mode = HeaderPolicy::mode(&policy);
        match write_text(&policy, &mid, id.as_str()) {
            Ok(written) => assert_eq!(
                written,
                id.as_str(),
                "{s:?}: {mode:?} policy rewrote {id:?}"
            ),
            Err(e) => panic!("{s:?}: the {mode:?} policy refuses generated {id:?}: {e}"),
        }
        match policy.write(&mid, Value::Ids(&MsgIds::from(id.clone()))) {
            Ok(written) => assert_eq!(written, id.as_str(), "{s:?}: {mode:?} write(Ids)"),
            Err(e) => panic!("{s:?}: the {mode:?} policy cannot write generated {id:?}: {e}"),
        }
    }
    let cid = ContentId::generate(&d);
    assert_eq!(cid.as_msg_id().right(), text);
    match ContentId::parse(cid.as_str()) {
        Ok(again) => assert_eq!(again, cid, "{s:?}: generated {cid:?} re-parses differently"),
        Err(e) => panic!("{s:?}: generated {cid:?} does not parse: {e}"),
    }
    match ContentId::parse(&cid.to_string()) {
        Ok(again) => assert_eq!(again, cid, "{s:?}: {cid:?} from its Display"),
        Err(e) => panic!("{s:?}: generated {cid:?} does not parse from its Display: {e}"),
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
