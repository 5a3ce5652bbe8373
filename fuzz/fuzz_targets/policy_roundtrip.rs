//! The identifier policy: accepted input -> written header -> re-parsed ids are equal.
//!
//! Input: `[selector, soft limit, flags, raw value...]`.
//! - selector % 8 picks the header: the six default identifier headers (Content-ID also takes
//!   a bare `<token>`, as `ContentId::parse`), or a custom single-id header, or a custom
//!   id-list header with the longest name lettre allows (76);
//! - the soft limit byte is the soft line length (clamped by the policy to 1..=998);
//! - flags bit 0 is SMTPUTF8 mode;
//! - the rest, as UTF-8 (invalid bytes become U+FFFD), is the raw header value.
//!
//! A written value never holds `=?`, never a line over 998 octets (the first counting
//! `Name: `), no CR or LF except CRLF + space, is ASCII unless SMTPUTF8, passes
//! `policy::verify`, folds only between ids (one space between ids on a line, a line holds two
//! or more ids only within the soft limit, a fold only where the next id would not fit), and
//! re-parses to exactly the ids the raw value parses to. An error is one line, and only for a
//! value the parsers refuse. See FUZZING.md.
#![no_main]

use letterhead::{
    message::header::HeaderName,
    policy::{verify, write_header, HARD_LINE_LIMIT},
    ContentId, Error, HeaderPolicy, IdentifierPolicy, MsgIds,
};
use libfuzzer_sys::fuzz_target;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Exactly one msg-id.
    One,
    /// One or more msg-ids.
    List,
    /// A msg-id or a bare `<token>` (RFC 2045 Content-ID, as `ContentId::parse`).
    ContentId,
}

const HEADERS: [(&str, Kind); 8] = [
    ("Message-ID", Kind::One),
    ("In-Reply-To", Kind::List),
    ("References", Kind::List),
    ("Resent-Message-ID", Kind::One),
    ("Original-Message-ID", Kind::One),
    ("Content-ID", Kind::ContentId),
    ("X-Entity-Ref-ID", Kind::One),
    // The longest header name lettre accepts: 76 octets.
    (
        "X-Very-Long-Identifier-List-Header-Name-For-Testing-The-First-Line-Limit-Abc",
        Kind::List,
    ),
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (name, kind) = HEADERS[data[0] as usize % HEADERS.len()];
    let soft = match data[1] {
        b @ 0..=199 => b as usize,
        b => (b as usize - 200) * 20, // 0..=1100 in steps of 20, past both ends of the clamp
    };
    let smtputf8 = data[2] & 1 == 1;
    let raw = String::from_utf8_lossy(&data[3..]);
    let raw = raw.as_ref();

    let header = HeaderName::new_from_ascii_str(name);
    let policy = IdentifierPolicy::new()
        .single_id_header(HeaderName::new_from_ascii_str(HEADERS[6].0))
        .id_list_header(HeaderName::new_from_ascii_str(HEADERS[7].0))
        .soft_line_length(soft)
        .smtputf8(smtputf8);
    assert_eq!(policy.soft_limit(), soft.clamp(1, HARD_LINE_LIMIT));
    assert_eq!(HeaderPolicy::smtputf8(&policy), smtputf8);

    // The ids the value must be written as, if the policy is to accept it.
    let expected = expected_ids(kind, raw, smtputf8);

    match policy.encode(&header, raw) {
        Ok(written) => {
            let Some(ids) = &expected else {
                panic!("{name}: {raw:?} written as {written:?}, but it is not valid");
            };
            check_written(name, raw, &written, ids, policy.soft_limit(), smtputf8);
            // The written value parses to the same ids.
            let again = expected_ids(kind, &written, smtputf8);
            assert_eq!(
                again.as_ref(),
                Some(ids),
                "{name}: {raw:?} -> {written:?}: re-parse"
            );
            if let Err(e) = verify(name, &written, smtputf8) {
                panic!("{name}: {raw:?} -> {written:?} fails verify: {e}");
            }
            // Writing again what was written changes nothing.
            match policy.encode(&header, &written) {
                Ok(twice) => assert_eq!(twice, written, "{name}: {raw:?}: not idempotent"),
                Err(e) => panic!("{name}: {raw:?} -> {written:?} refused when written again: {e}"),
            }
            // The path a message takes.
            if let Err(e) = write_header(&policy, &header, raw) {
                panic!("{name}: {raw:?}: encode accepted, write_header refused: {e}");
            }
        }
        Err(e) => {
            check_error(name, raw, &e);
            assert!(
                expected.is_none(),
                "{name}: {raw:?} is valid ({expected:?}) but the policy refused it: {e}"
            );
            assert!(write_header(&policy, &header, raw).is_err());
        }
    }
});

/// The ids, as written, that a value of header kind `kind` holds; None if it is not valid.
fn expected_ids(kind: Kind, raw: &str, smtputf8: bool) -> Option<Vec<String>> {
    let parse = |s: &str| {
        if smtputf8 {
            MsgIds::parse_smtputf8(s)
        } else {
            MsgIds::parse(s)
        }
    };
    let strings = |ids: MsgIds| ids.iter().map(|id| id.as_str().to_owned()).collect();
    match kind {
        Kind::List => parse(raw).ok().map(strings),
        Kind::One => parse(raw).ok().filter(|ids| ids.len() == 1).map(strings),
        Kind::ContentId if raw.contains('@') => {
            parse(raw).ok().filter(|ids| ids.len() == 1).map(strings)
        }
        Kind::ContentId => ContentId::parse(raw)
            .ok()
            .map(|c| vec![c.as_str().to_owned()]),
    }
}

fn check_written(name: &str, raw: &str, written: &str, ids: &[String], soft: usize, utf8: bool) {
    let ctx = || format!("{name}: {raw:?} -> {written:?}");
    assert!(!written.contains("=?"), "{}: holds =?", ctx());
    if !utf8 {
        assert!(written.is_ascii(), "{}: non-ASCII outside SMTPUTF8", ctx());
    }
    let lines: Vec<&str> = written.split("\r\n").collect();
    let mut line_ids: Vec<Vec<&str>> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let len = line.len() + if i == 0 { name.len() + 2 } else { 0 };
        assert!(
            len <= HARD_LINE_LIMIT,
            "{}: line {} is {len} octets",
            ctx(),
            i + 1
        );
        assert!(!line.contains(['\r', '\n']), "{}: bare CR or LF", ctx());
        assert!(
            !line.chars().any(|c| c.is_control()),
            "{}: control character on line {}",
            ctx(),
            i + 1
        );
        let body = if i == 0 {
            *line
        } else {
            // A continuation line is exactly one space, then ids.
            line.strip_prefix(' ')
                .unwrap_or_else(|| panic!("{}: line {} starts without a space", ctx(), i + 1))
        };
        if i == 0 && body.is_empty() && lines.len() > 1 {
            // The first id moved whole to a continuation line: only when it cannot fit the
            // first.
            let first = lines[1]
                .trim_start_matches(' ')
                .split(' ')
                .next()
                .unwrap_or("");
            assert!(
                name.len() + 2 + first.len() > HARD_LINE_LIMIT,
                "{}: leading fold, though the first id fits the first line",
                ctx()
            );
            line_ids.push(Vec::new());
            continue;
        }
        let on_line: Vec<&str> = body.split(' ').collect();
        assert!(
            on_line.iter().all(|id| !id.is_empty()),
            "{}: empty id or doubled space on line {}",
            ctx(),
            i + 1
        );
        if on_line.len() > 1 {
            assert!(
                len <= soft,
                "{}: line {} holds {} ids in {len} octets, soft limit {soft}",
                ctx(),
                i + 1,
                on_line.len()
            );
        }
        line_ids.push(on_line);
    }
    // A fold only where the next id would not fit the soft limit.
    for i in 0..lines.len().saturating_sub(1) {
        if line_ids[i].is_empty() {
            continue;
        }
        let len = lines[i].len() + if i == 0 { name.len() + 2 } else { 0 };
        let next = line_ids[i + 1][0];
        assert!(
            len + 1 + next.len() > soft,
            "{}: fold after line {} ({len} octets), though {next:?} fits the soft limit {soft}",
            ctx(),
            i + 1
        );
    }
    // Unfolded, the value is the ids, one space apart, in parse order.
    let flat: Vec<&str> = line_ids.into_iter().flatten().collect();
    assert_eq!(flat, ids, "{}: ids as written", ctx());
}

fn check_error(name: &str, raw: &str, e: &Error) {
    let shown = e.to_string();
    assert!(
        !shown.contains(['\r', '\n']),
        "{name}: {raw:?}: error message holds a line break: {shown:?}"
    );
    assert!(
        shown.starts_with(&format!("{name}: ")),
        "{name}: {raw:?}: error does not name the header: {shown:?}"
    );
}
