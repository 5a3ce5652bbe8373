//! A whole message with hostile headers on the message and on its MIME parts, header names and
//! display names: whatever builds passes the whole-message check, read here by a checker of
//! this target's own over the formatted bytes; whatever does not build is an error naming a
//! header on one line. Never a panic.
//!
//! Input: fields separated by the byte 0xFF (which never occurs in UTF-8); missing fields are
//! empty strings:
//!
//! ```text
//! flags 0xFF display_name 0xFF subject 0xFF header_name 0xFF header_value
//!       0xFF part_name 0xFF part_value 0xFF part_id 0xFF nested_value
//! ```
//!
//! flags, one bit each: put `header_name: header_value` on the message (bit 0) exactly as
//! given (a custom `Header` whose value is pre-encoded, as `dangerous_new_pre_encoded`
//! makes it) or (bit 1) through `raw_header`; put `part_name: part_value` on the first part,
//! pre-encoded (bit 2); a Content-ID `part_id` on the second part through lettre's own header
//! type (bit 3) or `Attachment::new_inline` (bit 4); a Message-ID `part_id` on the body when
//! it is a single part (bit 5, which makes the body a single part); `nested_value` as a
//! References (bit 6) on a nested multipart; the display name on To (bit 7, else on From).
//!
//! lettre panics when it writes a display name with CR or LF through its typed headers, and a
//! panic aborts the fuzzer even where letterhead catches it; display names go through
//! `from`/`to`, where letterhead refuses them before lettre sees them. See FUZZING.md.
#![no_main]

use letterhead::{
    message::{
        header::{self, ContentType, Header, HeaderName, HeaderValue},
        Attachment, Mailbox, MultiPart, SinglePart,
    },
    Error, Message,
};
use libfuzzer_sys::fuzz_target;

const FIELD_SEP: u8 = 0xFF;

/// A header whose value is written exactly as given.
#[derive(Clone)]
struct PreEncoded(HeaderValue);

impl Header for PreEncoded {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Fuzz")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Err("not read back".into())
    }
    fn display(&self) -> HeaderValue {
        self.0.clone()
    }
}

fn pre_encoded(name: &str, value: &str) -> Option<PreEncoded> {
    let name = HeaderName::new_from_ascii(name.to_owned()).ok()?;
    Some(PreEncoded(HeaderValue::dangerous_new_pre_encoded(
        name,
        value.to_owned(),
        value.to_owned(),
    )))
}

/// The checker of this target: every line of a header block within 998 octets, no CR or LF
/// but as CRLF, no control character but HTAB, a header line `name: value` with a name of
/// printable ASCII without `:`, a continuation line starting with a space or tab and not
/// blank, and no `=?` in an identifier header. Returns the block's headers, unfolded.
fn check_block(block: &str, path: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for (i, line) in block.split("\r\n").enumerate() {
        let at = format!("part {path:?}, line {i}: {line:?}");
        assert!(line.len() <= 998, "{at}: {} octets", line.len());
        assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "{at}: a control character"
        );
        match line.as_bytes().first() {
            Some(b' ' | b'\t') => {
                // Blank as RFC 5322 counts it: nothing but spaces and tabs (WSP).
                assert!(
                    !line.bytes().all(|b| b == b' ' || b == b'\t'),
                    "{at}: a blank continuation line"
                );
                let last = headers
                    .last_mut()
                    .unwrap_or_else(|| panic!("{at}: no header"));
                last.1.push_str(line);
            }
            _ => {
                let (name, value) = line
                    .split_once(':')
                    .unwrap_or_else(|| panic!("{at}: no header name"));
                assert!(
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()),
                    "{at}: a bad header name"
                );
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
    }
    for (name, value) in &headers {
        let id = ["message-id", "in-reply-to", "references", "content-id"]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name));
        assert!(
            !(id && value.contains("=?")),
            "part {path:?}: {name}:{value}"
        );
    }
    headers
}

/// Checks the header block of `entity` and, for a multipart, of each of its parts.
fn walk(entity: &str, path: &str, depth: usize) {
    assert!(depth < 8, "nested too deep");
    let (block, body) = entity.split_once("\r\n\r\n").unwrap_or((entity, ""));
    let headers = check_block(block, path);
    if path.is_empty() {
        let ids = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Message-ID"))
            .count();
        assert_eq!(ids, 1, "the message has {ids} Message-IDs");
    }
    let Some((_, content_type)) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
    else {
        return;
    };
    let Some(boundary) = content_type
        .split_once("boundary=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(b, _)| b)
    else {
        return;
    };
    let delimiter = format!("--{boundary}");
    let mut parts = body.split(delimiter.as_str());
    parts.next(); // the preamble
    for (i, part) in parts.enumerate() {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let sub = if path.is_empty() {
            format!("{}", i + 1)
        } else {
            format!("{path}.{}", i + 1)
        };
        walk(part, &sub, depth + 1);
    }
}

fuzz_target!(|data: &[u8]| {
    let fields: Vec<String> = data
        .split(|&b| b == FIELD_SEP)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let field = |i: usize| fields.get(i).map_or("", String::as_str);
    let flags = field(0).bytes().next().unwrap_or(0);
    let bit = |n: u8| flags & (1 << n) != 0;

    let named = |address: &str| {
        Mailbox::new(
            Some(field(1).to_owned()).filter(|n| !n.is_empty()),
            address.parse().unwrap(),
        )
    };
    let mut b = Message::builder();
    b = if bit(7) {
        b.from("app@example.com".parse().unwrap())
            .to(named("user@example.org"))
    } else {
        b.from(named("app@example.com"))
            .to("user@example.org".parse().unwrap())
    };
    b = b.subject(field(2));
    if bit(0) {
        if let Some(h) = pre_encoded(field(3), field(4)) {
            b = b.header(h);
        }
    }
    if bit(1) {
        if let Ok(name) = HeaderName::new_from_ascii(field(3).to_owned()) {
            b = b.raw_header(HeaderValue::new(name, field(4).to_owned()));
        }
    }

    let mut first = SinglePart::builder().header(ContentType::TEXT_PLAIN);
    if bit(2) {
        if let Some(h) = pre_encoded(field(5), field(6)) {
            first = first.header(h);
        }
    }
    let result = if bit(5) {
        let body = first
            .header(header::MessageId::from(field(7).to_owned()))
            .body(String::from("hi"));
        b.singlepart(body)
    } else {
        let png = ContentType::parse("image/png").unwrap();
        let second = if bit(4) {
            Attachment::new_inline(field(7).to_owned()).body(vec![1u8, 2, 3], png)
        } else {
            let builder = SinglePart::builder().header(png);
            let builder = if bit(3) {
                builder.header(header::ContentId::from(field(7).to_owned()))
            } else {
                builder
            };
            builder.body(vec![1u8, 2, 3])
        };
        let mut nested = MultiPart::related().singlepart(second);
        if bit(6) {
            nested.headers_mut().insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str("References"),
                field(8).to_owned(),
            ));
        }
        b.multipart(
            MultiPart::mixed()
                .singlepart(first.body(String::from("hi")))
                .multipart(nested),
        )
    };
    match result {
        Ok(m) => {
            let formatted = m.formatted();
            let text = String::from_utf8(formatted).expect("a message is UTF-8 here");
            walk(&text, "", 0);
            // The doctor finds nothing to repair in it either, in any part.
            let report = letterhead::lint::lint(text.as_bytes());
            assert!(
                report.repaired().is_empty() && report.repaired_parts().is_empty(),
                "lint repairs a built message: {:?}",
                report.findings()
            );
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(!shown.contains(['\r', '\n']), "{shown:?}");
            assert!(!shown.is_empty());
            // Every refusal here is about a header (or a part's).
            assert!(
                matches!(
                    e,
                    Error::InvalidHeader { .. }
                        | Error::InvalidId { .. }
                        | Error::Policy { .. }
                        | Error::Part { .. }
                        | Error::InvalidDomain { .. }
                ),
                "{e:?}"
            );
        }
    }
});
