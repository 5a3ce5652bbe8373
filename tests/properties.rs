//! Property tests: whatever the policy accepts, it writes as ids that re-parse to the same
//! ids, with no `=?`, no line over 998 octets and no CR or LF other than CRLF + space; and
//! nothing panics, whatever the input.

use letterhead::{
    message::header::HeaderName,
    msgid::Mode,
    policy::{write_text, HeaderPolicy},
    ContentId, Error, IdentifierPolicy, MsgId, MsgIds,
};
use proptest::prelude::*;

const NAMES: [&str; 6] = [
    "Message-ID",
    "In-Reply-To",
    "References",
    "Resent-Message-ID",
    "Original-Message-ID",
    "Content-ID",
];

/// A msg-id-shaped string: sometimes valid, often with one thing wrong.
fn id_like() -> impl Strategy<Value = String> {
    let left = prop_oneof![
        "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]{1,40}",
        "[a-z0-9]{1,300}",
        "[a-zA-Z0-9 \"()<>@,;:\\\\\\[\\]\r\n\t\u{0}\u{7f}äß=?]{0,20}",
    ];
    let right = prop_oneof![
        "[a-z0-9-]{1,20}(\\.[a-z0-9-]{1,20}){0,4}",
        Just("büro.example".to_owned()),
        Just("例え.テスト".to_owned()),
        Just("[127.0.0.1]".to_owned()),
        Just("aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com".to_owned()),
        "[a-zA-Z0-9 .\r\n<>\\[\\]=?ü-]{0,20}",
    ];
    (left, right, any::<u8>()).prop_map(|(l, r, form)| match form % 4 {
        0 | 1 => format!("<{l}@{r}>"),
        2 => format!("{l}@{r}"),
        _ => format!(" (c) <{l}@{r}> "),
    })
}

fn header_value() -> impl Strategy<Value = String> {
    let sep = prop_oneof![
        Just(" "),
        Just(", "),
        Just("\r\n "),
        Just("\t"),
        Just(" (comment) "),
        Just("\r\n"),
        Just(""),
    ];
    prop::collection::vec((id_like(), sep), 1..40).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(id, sep)| format!("{id}{sep}"))
            .collect()
    })
}

fn check_written(name: &str, written: &str, smtputf8: bool) {
    assert!(!written.contains("=?"), "{written:?}");
    if !smtputf8 {
        assert!(written.is_ascii());
    }
    for (i, line) in written.split("\r\n").enumerate() {
        let len = line.len() + if i == 0 { name.len() + 2 } else { 0 };
        assert!(len <= 998, "line {i} is {len} octets");
        assert!(!line.contains(['\r', '\n']), "bare CR or LF in {written:?}");
        if i > 0 {
            assert!(line.starts_with(' ') && line.len() > 1, "{written:?}");
        }
    }
}

/// The ids a header value holds, written as one unfolded string, as `name` reads them.
fn ids(name: &str, s: &str, mode: Mode, utf8: bool) -> Result<String, Error> {
    if name == "Content-ID" {
        ContentId::parse_in(s, mode, utf8).map(|c| c.as_str().to_owned())
    } else {
        MsgIds::parse_in(s, mode, utf8).map(|ids| ids.to_string())
    }
}

fn roundtrip(policy: &IdentifierPolicy, name: &'static str, raw: &str) {
    let header = HeaderName::new_from_ascii_str(name);
    let (mode, utf8) = (HeaderPolicy::mode(policy), HeaderPolicy::smtputf8(policy));
    match write_text(policy, &header, raw) {
        Ok(written) => {
            check_written(name, &written, utf8);
            let expected = ids(name, raw, mode, utf8).expect("accepted input parses");
            assert_eq!(
                ids(name, &written, mode, utf8).expect("output re-parses"),
                expected
            );
            // Written as it is read: a second pass changes nothing.
            assert_eq!(
                write_text(policy, &header, &written).ok(),
                Some(written.clone())
            );
            let unfolded = written.replace("\r\n", "");
            assert_eq!(unfolded.trim_start(), expected);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with(name), "{msg}");
            assert!(!msg.contains(['\r', '\n']), "{msg:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn policy_output_reparses_to_the_same_ids(raw in header_value(), n in 0usize..6, soft in 1usize..200) {
        roundtrip(&IdentifierPolicy::new(), NAMES[n], &raw);
        roundtrip(&IdentifierPolicy::strict(), NAMES[n], &raw);
        roundtrip(&IdentifierPolicy::new().soft_line_length(soft), NAMES[n], &raw);
        roundtrip(&IdentifierPolicy::new().smtputf8(true), NAMES[n], &raw);
    }

    /// Strict mode takes a subset of what compatible mode takes, and writes it the same.
    #[test]
    fn strict_is_a_subset_of_compatible(raw in header_value(), n in 0usize..6) {
        let header = HeaderName::new_from_ascii_str(NAMES[n]);
        if let Ok(strict) = write_text(&IdentifierPolicy::strict(), &header, &raw) {
            prop_assert_eq!(write_text(&IdentifierPolicy::new(), &header, &raw).ok(), Some(strict));
        }
    }

    #[test]
    fn arbitrary_input_never_panics(raw in any::<String>(), n in 0usize..6) {
        let _ = MsgId::parse(&raw);
        let _ = MsgId::parse_smtputf8(&raw);
        let _ = MsgIds::parse(&raw);
        let _ = letterhead::Domain::parse(&raw);
        roundtrip(&IdentifierPolicy::new(), NAMES[n], &raw);
        roundtrip(&IdentifierPolicy::strict(), NAMES[n], &raw);
    }

    #[test]
    fn valid_ids_are_accepted_and_kept(left in "[a-zA-Z0-9!#$%&'*+/^_`{|}~-]{1,60}(\\.[a-z0-9]{1,10}){0,3}",
                                       right in "[a-z0-9]{1,20}(\\.[a-z0-9-]{1,20}){0,3}") {
        let s = format!("<{left}@{right}>");
        let id = MsgId::parse(&s).unwrap();
        prop_assert_eq!(id.as_str(), s.as_str());
        let written = write_text(&IdentifierPolicy::strict(), &HeaderName::new_from_ascii_str("Message-ID"), &s)
            .unwrap();
        prop_assert_eq!(written.trim_start_matches("\r\n "), s.as_str());
    }
}
