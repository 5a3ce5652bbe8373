//! The identifier policy, in both modes: raw value -> `policy::write_text` -> written header
//! -> re-parsed ids are equal.
//!
//! Input: `[selector, soft limit, flags, raw value...]`.
//! - selector % 8 picks the header: the six default identifier headers (Content-ID also takes
//!   a bare `<token>`), or a custom single-id header, or a custom id-list header with the
//!   longest name lettre allows (76);
//! - the soft limit byte is the soft line length (clamped by the policy to 1..=998);
//! - flags bit 0 is SMTPUTF8 mode;
//! - the rest, as UTF-8 (invalid bytes become U+FFFD), is the raw header value.
//!
//! Each value goes through `IdentifierPolicy::new()` (`Mode::Compatible`) and
//! `IdentifierPolicy::strict()` (`Mode::Strict`) with those settings. For each: accepted
//! exactly when the value parses in the policy's mode (`MsgIds`/`MsgId`/`ContentId::parse_in`;
//! one id for single-id headers), so every refusal is the parser's and every accepted id can
//! be written. A written value never holds `=?`, no line over 998 octets (the first counting
//! `Name: `), no CR or LF except CRLF + space, no control character, is ASCII unless
//! SMTPUTF8, passes `policy::verify`, folds only between ids (one space between ids on a line,
//! a line holds two or more ids only within the soft limit, a fold only where the next id
//! would not fit, a leading fold only for a first id that cannot fit the first line), is
//! exactly what `HeaderPolicy::write` makes of the parsed ids, re-parses in the same mode to
//! the same ids, and written again through `write_text` comes out unchanged; `write_header`
//! gives the same value. Strict accepting implies Compatible accepting with the same output,
//! and every msg-id Strict accepted is `is_rfc5322()` (a bare Content-ID token is none). An
//! error is one line naming the header. See FUZZING.md.
#![no_main]

use letterhead::{
    message::header::{HeaderName, Headers},
    msgid::Mode,
    policy::{verify, write_header, write_text, Holds, Value, HARD_LINE_LIMIT},
    ContentId, Error, HeaderPolicy, IdentifierPolicy, MsgId, MsgIds,
};
use libfuzzer_sys::fuzz_target;

const HEADERS: [(&str, Holds); 8] = [
    ("Message-ID", Holds::Id),
    ("In-Reply-To", Holds::IdList),
    ("References", Holds::IdList),
    ("Resent-Message-ID", Holds::Id),
    ("Original-Message-ID", Holds::Id),
    ("Content-ID", Holds::ContentId),
    ("X-Entity-Ref-ID", Holds::Id),
    // The longest header name lettre accepts: 76 octets.
    (
        "X-Very-Long-Identifier-List-Header-Name-For-Testing-The-First-Line-Limit-Abc",
        Holds::IdList,
    ),
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (name, holds) = HEADERS[data[0] as usize % HEADERS.len()];
    let soft = match data[1] {
        b @ 0..=199 => b as usize,
        b => (b as usize - 200) * 20, // 0..=1100 in steps of 20, past both ends of the clamp
    };
    let smtputf8 = data[2] & 1 == 1;
    let raw = String::from_utf8_lossy(&data[3..]);
    let raw = raw.as_ref();
    let header = HeaderName::new_from_ascii_str(name);

    let mut results = Vec::with_capacity(2);
    for (mode, base) in [
        (Mode::Compatible, IdentifierPolicy::new()),
        (Mode::Strict, IdentifierPolicy::strict()),
    ] {
        let policy = base
            .single_id_header(HeaderName::new_from_ascii_str(HEADERS[6].0))
            .id_list_header(HeaderName::new_from_ascii_str(HEADERS[7].0))
            .soft_line_length(soft)
            .smtputf8(smtputf8);
        assert_eq!(policy.soft_limit(), soft.clamp(1, HARD_LINE_LIMIT));
        assert_eq!(HeaderPolicy::smtputf8(&policy), smtputf8);
        assert_eq!(HeaderPolicy::mode(&policy), mode);
        assert_eq!(policy.holds(&header), holds, "{name}: holds");
        assert!(
            policy.header_names().iter().any(|n| n == &header),
            "{name}: not among the policy's headers"
        );
        results.push((mode, roundtrip(&policy, name, &header, holds, raw)));
    }

    // Strict accepting implies Compatible accepting, with the same output.
    let (compatible, strict) = (&results[0].1, &results[1].1);
    if let Ok(s) = strict {
        match compatible {
            Ok(c) => assert_eq!(
                c, s,
                "{name}: {raw:?}: strict and compatible write it otherwise"
            ),
            Err(e) => panic!("{name}: {raw:?}: strict wrote {s:?}, compatible refused: {e}"),
        }
    }
});

/// One policy's round trip; returns what it wrote.
fn roundtrip(
    policy: &IdentifierPolicy,
    name: &str,
    header: &HeaderName,
    holds: Holds,
    raw: &str,
) -> Result<String, String> {
    let mode = HeaderPolicy::mode(policy);
    let smtputf8 = HeaderPolicy::smtputf8(policy);
    let ctx = format!(
        "{name} ({mode:?}, smtputf8 {smtputf8}, soft {}): {raw:?}",
        policy.soft_limit()
    );
    // The ids the value must be written as, if the policy is to accept it.
    let expected = expected_ids(holds, raw, mode, smtputf8);

    // The typed entry point refuses text for an identifier header.
    assert!(
        policy.write(header, Value::Text(raw)).is_err(),
        "{ctx}: write(Value::Text) accepted for an identifier header"
    );

    match write_text(policy, header, raw) {
        Ok(written) => {
            let ids = match &expected {
                Ok(ids) => ids,
                Err(e) => panic!("{ctx}: written as {written:?}, but the parser refuses it: {e}"),
            };
            let ctx = format!("{ctx} -> {written:?}");
            let texts: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
            check_written(&ctx, name, &written, &texts, policy.soft_limit(), smtputf8);
            if let Err(e) = verify(name, &written, smtputf8) {
                panic!("{ctx}: fails verify: {e}");
            }
            if mode == Mode::Strict {
                for id in ids {
                    // A bare Content-ID token (no '@') is no msg-id in either mode.
                    let token = holds == Holds::ContentId && !id.as_str().contains('@');
                    assert!(
                        token || id.is_rfc5322(),
                        "{ctx}: strict wrote {id:?}, not is_rfc5322()"
                    );
                }
            }
            // The policy writes exactly the parsed ids.
            match policy.write(header, Value::Ids(ids)) {
                Ok(direct) => assert_eq!(direct, written, "{ctx}: write(Value::Ids) differs"),
                Err(e) => panic!("{ctx}: write(Value::Ids) refused the parsed ids: {e}"),
            }
            // The written value parses, in the same mode, to the same ids.
            match expected_ids(holds, &written, mode, smtputf8) {
                Ok(again) => assert_eq!(&again, ids, "{ctx}: re-parse"),
                Err(e) => panic!("{ctx}: does not re-parse: {e}"),
            }
            // Writing again what was written changes nothing.
            match write_text(policy, header, &written) {
                Ok(twice) => assert_eq!(twice, written, "{ctx}: not idempotent"),
                Err(e) => panic!("{ctx}: refused when written again: {e}"),
            }
            // The path a message takes: the same value, unfolded for get_raw.
            match write_header(policy, header, raw) {
                Ok(value) => {
                    let mut headers = Headers::new();
                    headers.insert_raw(value);
                    assert_eq!(
                        headers.to_string(),
                        format!("{name}: {written}\r\n"),
                        "{ctx}: write_header writes otherwise"
                    );
                    assert_eq!(
                        headers.get_raw(name),
                        Some(texts.join(" ").as_str()),
                        "{ctx}: get_raw"
                    );
                }
                Err(e) => panic!("{ctx}: write_text accepted, write_header refused: {e}"),
            }
            Ok(written)
        }
        Err(e) => {
            check_error(&ctx, name, &e);
            if let Ok(ids) = &expected {
                panic!("{ctx}: parses as {ids:?}, but the policy refused it: {e}");
            }
            assert!(
                write_header(policy, header, raw).is_err(),
                "{ctx}: write_text refused, write_header accepted"
            );
            Err(e.to_string())
        }
    }
}

/// The ids a value of a header that holds `holds` is read as, in `mode`.
fn expected_ids(holds: Holds, raw: &str, mode: Mode, smtputf8: bool) -> Result<MsgIds, Error> {
    match holds {
        Holds::IdList => MsgIds::parse_in(raw, mode, smtputf8),
        Holds::Id => {
            let one = MsgId::parse_in(raw, mode, smtputf8);
            // The list parser agrees: a single id is a one-id list, and a list of two or more
            // (after repeats are dropped) is no single id.
            let list = MsgIds::parse_in(raw, mode, smtputf8);
            if let Ok(id) = &one {
                assert!(
                    list.as_ref().is_ok_and(|l| l.len() == 1 && l.first() == id),
                    "{raw:?} ({mode:?}): MsgId::parse_in {id:?} vs MsgIds::parse_in {list:?}"
                );
            }
            if list.as_ref().is_ok_and(|l| l.len() > 1) {
                assert!(one.is_err(), "{raw:?} ({mode:?}): a list read as one id");
            }
            one.map(MsgIds::from)
        }
        Holds::ContentId => ContentId::parse_in(raw, mode, smtputf8).map(MsgIds::from),
        other => unreachable!("{other:?}"),
    }
}

/// Splits a line of ids at the spaces between them (a quoted id-left may hold spaces).
fn split_ids(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut literal, mut escaped) = (false, false, false);
    let mut start = 0;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            _ if literal => literal = c != ']',
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => literal = true,
            ' ' if !quoted => {
                out.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&line[start..]);
    out
}

fn check_written(ctx: &str, name: &str, written: &str, ids: &[&str], soft: usize, utf8: bool) {
    assert!(!written.contains("=?"), "{ctx}: holds =?");
    if !utf8 {
        assert!(written.is_ascii(), "{ctx}: non-ASCII outside SMTPUTF8");
    }
    let lines: Vec<&str> = written.split("\r\n").collect();
    let mut line_ids: Vec<Vec<&str>> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let len = line.len() + if i == 0 { name.len() + 2 } else { 0 };
        assert!(
            len <= HARD_LINE_LIMIT,
            "{ctx}: line {} is {len} octets",
            i + 1
        );
        assert!(!line.contains(['\r', '\n']), "{ctx}: bare CR or LF");
        assert!(
            !line.chars().any(|c| c.is_control()),
            "{ctx}: control character on line {}",
            i + 1
        );
        let body = if i == 0 {
            *line
        } else {
            // A continuation line is exactly one space, then ids.
            line.strip_prefix(' ')
                .unwrap_or_else(|| panic!("{ctx}: line {} starts without a space", i + 1))
        };
        if i == 0 && body.is_empty() && lines.len() > 1 {
            // The first id moved whole to a continuation line: only when it cannot fit the
            // first.
            let first = lines[1]
                .strip_prefix(' ')
                .map(split_ids)
                .unwrap_or_default();
            let first = first.first().copied().unwrap_or("");
            assert!(
                name.len() + 2 + first.len() > HARD_LINE_LIMIT,
                "{ctx}: leading fold, though the first id fits the first line"
            );
            line_ids.push(Vec::new());
            continue;
        }
        let on_line = split_ids(body);
        assert!(
            on_line.iter().all(|id| !id.is_empty()),
            "{ctx}: empty id or doubled space on line {}",
            i + 1
        );
        if on_line.len() > 1 {
            assert!(
                len <= soft,
                "{ctx}: line {} holds {} ids in {len} octets, soft limit {soft}",
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
            "{ctx}: fold after line {} ({len} octets), though {next:?} fits the soft limit {soft}",
            i + 1
        );
    }
    // Unfolded, the value is the ids, one space apart, in parse order.
    let flat: Vec<&str> = line_ids.into_iter().flatten().collect();
    assert_eq!(flat, ids, "{ctx}: ids as written");
}

fn check_error(ctx: &str, name: &str, e: &Error) {
    let shown = e.to_string();
    assert!(
        !shown.contains(['\r', '\n']),
        "{ctx}: error message holds a line break: {shown:?}"
    );
    assert!(
        shown.starts_with(&format!("{name}: ")),
        "{ctx}: error does not name the header: {shown:?}"
    );
}
