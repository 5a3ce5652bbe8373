//! A whole message through `Message::builder()`, with fuzzed identifier settings.
//!
//! Input: two flag bytes, then fields separated by the byte 0xFF (which never occurs in UTF-8,
//! so the fields are readable text in the seeds):
//!
//! ```text
//! flags flags2 0xFF in_reply_to 0xFF message_id 0xFF domain 0xFF extra 0xFF inline_cid
//!              0xFF reference 0xFF reference ...
//! ```
//!
//! flags: bit 0 sets In-Reply-To (bit 7: through `header(InReplyTo)` instead of
//! `in_reply_to`), bit 1 `message_id(Some(..))` (else `message_id(None)`), bit 2
//! `message_id_domain`, bit 3 an SMTPUTF8 policy for the message, bits 4-5 put `extra` into
//! Content-ID (through `header`) / Resent-Message-ID / Original-Message-ID (through
//! `raw_header`), bit 6 sends the references through `header(References)` (one call,
//! replaces) instead of `references` (appends).
//! flags2: bit 0 makes the body a multipart/related with an inline part
//! `Attachment::new_inline(inline_cid)`, bit 1 gives that part `builder.new_content_id()`
//! instead, bit 2 makes the message's policy `IdentifierPolicy::strict()` (`Mode::Strict`;
//! with bit 3 of flags, strict and SMTPUTF8). Missing fields are empty strings.
//!
//! The message's ids are read in its policy's mode (`Mode::Compatible` unless bit 2 of
//! flags2), an inline part's Content-ID in the default policy's (compatible, ASCII). The build
//! succeeds exactly when every identifier value parses in that mode (and the domain, when one
//! is generated, is valid); a built message has no line over 998 octets, no `=?` in an
//! identifier header, continuation lines only after a header, each identifier header holds
//! exactly the ids its input parses to (re-parsed in the same mode), `Message::message_id`
//! gives the one written, and `lint::lint` finds no error in it and nothing to repair.
//! See FUZZING.md.
#![no_main]

use std::sync::Arc;

use letterhead::{
    lint::lint,
    message::{
        header::{self, ContentType, HeaderName, HeaderValue},
        Attachment, MultiPart, SinglePart,
    },
    msgid::Mode,
    policy::HARD_LINE_LIMIT,
    ContentId, Domain, IdentifierPolicy, Message, MsgId, MsgIds,
};
use libfuzzer_sys::fuzz_target;

const FIELD_SEP: u8 = 0xFF;
const ID_HEADERS: [&str; 6] = [
    "message-id",
    "in-reply-to",
    "references",
    "resent-message-id",
    "original-message-id",
    "content-id",
];

/// What an identifier header must hold: its ids, or for Content-ID the one value as written.
#[derive(Debug, PartialEq)]
enum Want {
    Ids(MsgIds),
    ContentId(String),
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (flags, flags2) = (data[0], data[1]);
    let rest = &data[2..];
    let rest = rest.strip_prefix(&[FIELD_SEP]).unwrap_or(rest);
    let fields: Vec<String> = rest
        .split(|&b| b == FIELD_SEP)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let field = |i: usize| fields.get(i).cloned().unwrap_or_default();
    let in_reply_to = (flags & 1 != 0).then(|| field(0));
    let message_id = (flags & 2 != 0).then(|| field(1));
    let domain = (flags & 4 != 0).then(|| field(2));
    let smtputf8 = flags & 8 != 0;
    let extra = match (flags >> 4) & 3 {
        0 => None,
        1 => Some("Content-ID"),
        2 => Some("Resent-Message-ID"),
        _ => Some("Original-Message-ID"),
    }
    .map(|name| (name, field(3)));
    let references_header = flags & 64 != 0;
    let in_reply_to_header = flags & 128 != 0;
    let inline = flags2 & 1 != 0;
    let generated_cid = flags2 & 2 != 0;
    let mode = if flags2 & 4 != 0 {
        Mode::Strict
    } else {
        Mode::Compatible
    };
    let inline_cid = field(4);
    let references: Vec<String> = fields.iter().skip(5).cloned().collect();

    let mut b = Message::builder()
        .from("Fuzz <fuzz@from.example>".parse().unwrap())
        .to("rcpt@to.example".parse().unwrap())
        .subject("fuzz");
    if smtputf8 || mode == Mode::Strict {
        b = b.policy(Arc::new(
            IdentifierPolicy::new().mode(mode).smtputf8(smtputf8),
        ));
    }
    if let Some(v) = &in_reply_to {
        b = if in_reply_to_header {
            b.header(header::InReplyTo::from(v.clone()))
        } else {
            b.in_reply_to(v.clone())
        };
    }
    b = b.message_id(message_id.clone());
    if let Some(d) = &domain {
        b = b.message_id_domain(d.as_str());
    }
    if let Some((name, v)) = &extra {
        b = match *name {
            "Content-ID" => b.header(header::ContentId::from(v.clone())),
            n => b.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(n),
                v.clone(),
            )),
        };
    }
    // The value the References header must hold.
    let mut references_raw: Option<String> = None;
    if !references.is_empty() {
        let joined = references.join(" ");
        if references_header {
            b = b.header(header::References::from(joined.clone()));
        } else {
            for r in &references {
                b = b.references(r.clone());
            }
        }
        references_raw = Some(joined);
    }

    // The message's ids are read in its policy's mode.
    let parse = |s: &str| MsgIds::parse_in(s, mode, smtputf8);
    // A single-id header takes exactly one id: `<a@x> <a@x>` is two, though one as a list.
    let parse_one = |s: &str| MsgId::parse_in(s, mode, smtputf8).ok().map(MsgIds::from);
    // Content-ID: a msg-id, or a bare <token>.
    let content_id = |s: &str, mode: Mode, smtputf8: bool| -> Option<String> {
        ContentId::parse_in(s, mode, smtputf8)
            .ok()
            .map(|c| c.as_str().to_owned())
    };
    // The per-message domain the generated ids use, if it is valid.
    let domain_ok = domain.as_deref().map_or(true, |d| Domain::parse(d).is_ok());

    // What the message must hold, if it can be built.
    let mut expected: Vec<(&str, Option<Want>)> = Vec::new();
    if let Some(v) = &in_reply_to {
        expected.push(("In-Reply-To", parse(v).ok().map(Want::Ids)));
    }
    if let Some(r) = &references_raw {
        // Each references() call is validated on its own; header(References) is one value.
        let each_valid = references_header || references.iter().all(|p| parse(p).is_ok());
        let want = if each_valid {
            parse(r).ok().map(Want::Ids)
        } else {
            None
        };
        expected.push(("References", want));
    }
    if let Some((name, v)) = &extra {
        let want = if *name == "Content-ID" {
            content_id(v, mode, smtputf8).map(Want::ContentId)
        } else {
            parse_one(v).map(Want::Ids)
        };
        expected.push((name, want));
    }
    if let Some(v) = &message_id {
        expected.push(("Message-ID", parse_one(v).map(Want::Ids)));
    }
    let mut buildable = expected.iter().all(|(_, want)| want.is_some());
    if message_id.is_none() && !domain_ok {
        buildable = false;
    }

    // The body: plain text, or related HTML with an inline part.
    let mut inline_want: Option<Option<String>> = None;
    let built = if inline {
        let cid = if generated_cid {
            match b.new_content_id() {
                Ok(c) => {
                    assert!(
                        domain_ok,
                        "new_content_id on an invalid domain {domain:?}: {c:?}"
                    );
                    c.to_string()
                }
                Err(e) => {
                    assert!(
                        !domain_ok,
                        "new_content_id refused a valid domain {domain:?}: {e}"
                    );
                    return;
                }
            }
        } else {
            inline_cid.clone()
        };
        // Attachment writes `<cid>` through the default policy (compatible, ASCII), whatever
        // the message's.
        let want = content_id(&format!("<{cid}>"), Mode::Compatible, false);
        if generated_cid {
            assert!(want.is_some(), "generated Content-ID {cid:?} is not valid");
        }
        buildable &= want.is_some();
        inline_want = Some(want);
        let part = Attachment::new_inline(cid)
            .body(vec![1, 2, 3], ContentType::parse("image/png").unwrap());
        b.multipart(
            MultiPart::related()
                .singlepart(SinglePart::html(String::from("<p>hi</p>")))
                .singlepart(part),
        )
    } else {
        b.body(String::from("hi"))
    };

    let email = match built {
        Ok(email) => email,
        Err(e) => {
            let shown = e.to_string();
            assert!(
                !shown.contains(['\r', '\n']),
                "error holds a line break: {shown:?}"
            );
            assert!(
                !buildable,
                "refused ({mode:?}, smtputf8 {smtputf8}), though every value is valid: {e}\n{expected:?}"
            );
            return;
        }
    };
    assert!(
        buildable,
        "built ({mode:?}, smtputf8 {smtputf8}), though a value is invalid: {expected:?} {inline_want:?}"
    );

    let formatted = email.formatted();
    // letterhead's own doctor finds nothing wrong with what letterhead writes.
    let report = lint(&formatted);
    assert!(
        !report.has_errors(),
        "lint errors in a built message: {:?}",
        report.findings()
    );
    assert!(
        report.repaired().is_empty(),
        "lint repairs a built message: {:?}",
        report.repaired()
    );
    assert!(
        report.repaired_parts().is_empty(),
        "lint repairs a built message's part: {:?}",
        report.repaired_parts()
    );
    let text = String::from_utf8_lossy(&formatted);
    for line in text.split("\r\n") {
        assert!(
            line.len() <= HARD_LINE_LIMIT,
            "line of {} octets: {line:?}",
            line.len()
        );
    }
    let head = match text.find("\r\n\r\n") {
        Some(end) => &text[..end],
        None => panic!("no end of header block in {text:?}"),
    };
    let headers = unfold(head);
    check_identifier_lines(&headers, smtputf8);
    let value_of = |want: &str| -> Vec<String> {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(want))
            .map(|(_, lines)| lines.concat()[want.len() + 1..].to_owned())
            .collect()
    };
    let mids = value_of("Message-ID");
    assert_eq!(mids.len(), 1, "Message-ID headers: {mids:?}");
    let mid =
        parse_one(&mids[0]).unwrap_or_else(|| panic!("Message-ID {:?} does not parse", mids[0]));
    assert_eq!(
        email.message_id().as_deref(),
        Some(mid.first()),
        "Message::message_id differs from the header"
    );
    if message_id.is_none() {
        assert!(
            mid.first().is_rfc5322(),
            "generated {mid:?} is not an RFC 5322 msg-id"
        );
        if let Some(d) = &domain {
            let d = Domain::parse(d).unwrap();
            assert_eq!(
                mid.first().right(),
                d.as_str(),
                "generated on another domain"
            );
        }
    }
    for (name, want) in &expected {
        let values = value_of(name);
        assert_eq!(values.len(), 1, "{name} headers: {values:?}");
        let got = match want {
            Some(Want::ContentId(_)) => Want::ContentId(values[0].trim_start().to_owned()),
            _ => Want::Ids(
                parse(&values[0])
                    .unwrap_or_else(|e| panic!("{name}: {:?} does not re-parse: {e}", values[0])),
            ),
        };
        assert_eq!(Some(&got), want.as_ref(), "{name}: ids changed");
    }

    // The inline part's own header block.
    if let Some(Some(want)) = inline_want {
        let body = &text[head.len() + 4..];
        let part_heads: Vec<&str> = body
            .split("\r\n\r\n")
            .filter(|block| block.to_ascii_lowercase().contains("content-id:"))
            .collect();
        assert_eq!(part_heads.len(), 1, "inline parts: {part_heads:?}");
        let block = part_heads[0];
        let start = block.to_ascii_lowercase().find("content-id:").unwrap();
        let headers = unfold(&block[start..]);
        check_identifier_lines(&headers, false);
        let cid = headers[0].1.concat();
        assert_eq!(
            cid["Content-ID:".len()..].trim_start(),
            want,
            "inline Content-ID changed"
        );
    }
});

/// Splits a header block into (name, physical lines), continuation lines under their header.
fn unfold(head: &str) -> Vec<(String, Vec<&str>)> {
    let mut headers: Vec<(String, Vec<&str>)> = Vec::new();
    for line in head.split("\r\n") {
        assert!(!line.contains(['\r', '\n']), "bare CR or LF in {line:?}");
        if line.starts_with([' ', '\t']) {
            let last = headers
                .last_mut()
                .unwrap_or_else(|| panic!("starts with a fold: {head:?}"));
            last.1.push(line);
        } else {
            let (name, _) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("not a header: {line:?}"));
            headers.push((name.to_owned(), vec![line]));
        }
    }
    headers
}

fn check_identifier_lines(headers: &[(String, Vec<&str>)], smtputf8: bool) {
    for (name, lines) in headers {
        if ID_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            for l in lines {
                assert!(!l.contains("=?"), "{name}: =? in {l:?}");
                if !smtputf8 {
                    assert!(l.is_ascii(), "{name}: non-ASCII in {l:?}");
                }
            }
        }
    }
}
