//! The last check before anything reaches a message, in two strengths: every value a policy
//! writes is verified here once (identifier rules), and every header of the message and of
//! each MIME part, whatever set it, is checked here before the message is handed out (header
//! rules). Lettre header values are made from checked text only here.

use std::fmt::{self, Write as _};

use lettre::message::header::{HeaderName, HeaderValue, Headers};

use crate::{
    error::HeaderProblem,
    grammar::{is_control_or_format, HARD_LINE_LIMIT},
    Error,
};

/// Checks a header value as it will be written after `name: `, as CPython's
/// `verify_generated_headers` does: every line at most 998 octets (the first counting
/// `name: `), CRLF only ever followed by a space or tab and never by a blank line, no other CR,
/// LF or control character, no `=?`, and ASCII unless `smtputf8`.
///
/// # Errors
///
/// [`Error::Policy`] naming the header and the first problem found.
///
/// # Example
///
/// ```
/// use letterhead::policy::verify;
///
/// assert!(verify("References", "<a@b>\r\n <c@d>", false).is_ok());
/// assert!(verify("References", "<a@b>\r\nBcc: x@y", false).is_err());
/// assert!(verify("Message-ID", "=?utf-8?b?PGFAYj4=?=", false).is_err());
/// ```
pub fn verify(name: &str, encoded: &str, smtputf8: bool) -> Result<(), Error> {
    check(name, encoded, Rules::identifier(smtputf8), None).map_err(|p| policy_error(name, p))
}

fn policy_error(name: &str, problem: HeaderProblem) -> Error {
    Error::Policy {
        header: name.to_owned(),
        reason: problem.to_string(),
    }
}

/// What a value is checked against.
#[derive(Clone, Copy)]
struct Rules {
    /// An identifier header: no `=?`, not empty, and in UTF-8 no format character.
    identifier: bool,
    /// Non-ASCII allowed.
    utf8: bool,
}

impl Rules {
    fn identifier(smtputf8: bool) -> Rules {
        Rules {
            identifier: true,
            utf8: smtputf8,
        }
    }

    /// Any header of a message: what lettre writes raw (UTF-8 in addresses) stays allowed;
    /// what breaks the header block does not.
    const ANY: Rules = Rules {
        identifier: false,
        utf8: true,
    };
}

/// What an octet is to [`check`], as bits.
const NOT_PLAIN: u8 = 1; // not printable ASCII, space or tab
const EQUALS: u8 = 2; // `=`, which may start `=?`
const CONTENT: u8 = 4; // not a blank

const CLASS: [u8; 256] = {
    let mut table = [NOT_PLAIN | CONTENT; 256];
    table[b' ' as usize] = 0;
    table[b'\t' as usize] = 0;
    let mut c = b'!';
    while c <= b'~' {
        table[c as usize] = CONTENT;
        c += 1;
    }
    table[b'=' as usize] = CONTENT | EQUALS;
    table
};

/// Checks `encoded` as written after `name: ` under `rules`; with `unfolded`, also appends
/// the value without its line breaks, as `Headers::get_raw` shows it.
fn check(
    name: &str,
    encoded: &str,
    rules: Rules,
    mut unfolded: Option<&mut String>,
) -> Result<(), HeaderProblem> {
    let b = encoded.as_bytes();
    let mut any = false;
    let (mut start, mut line) = (0, 1);
    loop {
        // The line runs to the next CR; a CR is only ever the start of CRLF + space or tab.
        let end = memchr::memchr(b'\r', &b[start..]).map_or(b.len(), |p| start + p);
        let text = &encoded[start..end];
        let len = text.len() + if line == 1 { name.len() + 2 } else { 0 };
        if len > HARD_LINE_LIMIT {
            return Err(HeaderProblem::LineTooLong { line, len });
        }
        // What the line holds, over all of it; what needs a closer look gets one.
        let class = text.bytes().fold(0, |f, c| f | CLASS[usize::from(c)]);
        if class & NOT_PLAIN != 0 {
            if !rules.utf8 && !text.is_ascii() {
                return Err(HeaderProblem::NonAscii);
            }
            // Controls, and in UTF-8 the characters other software takes for line breaks
            // (U+2028, U+2029; NEL is a control); in identifiers also those that change the
            // text unseen (format characters: bidi controls, zero-width characters, U+FEFF).
            let odd = |c: char| {
                (c.is_control() && c != '\t')
                    || c == '\u{2028}'
                    || c == '\u{2029}'
                    || (rules.identifier
                        && c != '\t'
                        && (is_control_or_format(c) || (c.is_whitespace() && c != ' ')))
            };
            if let Some(char) = text.chars().find(|&c| odd(c)) {
                return Err(if char.is_control() || char.is_whitespace() {
                    HeaderProblem::Control { line, char }
                } else {
                    HeaderProblem::FormatChar { line, char }
                });
            }
        }
        if rules.identifier && class & EQUALS != 0 && text.contains("=?") {
            return Err(HeaderProblem::EncodedWordLike);
        }
        let content = class & CONTENT != 0;
        if line > 1 && !content {
            return Err(HeaderProblem::BlankLine { line });
        }
        any |= content;
        if let Some(out) = unfolded.as_deref_mut() {
            out.push_str(text);
        }
        if end == b.len() {
            break;
        }
        if b.get(end + 1) != Some(&b'\n') {
            return Err(HeaderProblem::Control { line, char: '\r' });
        }
        line += 1;
        if !matches!(b.get(end + 2), Some(b' ' | b'\t')) {
            return Err(HeaderProblem::LineBreak { line });
        }
        start = end + 2;
    }
    if rules.identifier && !any {
        return Err(HeaderProblem::Empty);
    }
    Ok(())
}

/// Checks a header name: printable ASCII other than `:` (RFC 5322 section 2.2), not empty.
fn check_name(name: &str) -> Result<(), HeaderProblem> {
    if name.is_empty() {
        return Err(HeaderProblem::Name { char: None });
    }
    let bad = |b: u8| !b.is_ascii_graphic() || b == b':';
    // Over the whole name, no early exit, so the compiler checks many octets at once; where
    // the problem is is looked for only when there is one.
    if !name.bytes().fold(false, |any, b| any | bad(b)) {
        return Ok(());
    }
    let i = name.bytes().position(bad).unwrap_or_default();
    Err(HeaderProblem::Name {
        char: name[i..].chars().next(),
    })
}

/// Checks a header name as [`check_header`] does, for a header whose value was verified as it
/// was written.
pub(crate) fn check_header_name(name: &str) -> Result<(), Error> {
    check_name(name).map_err(|problem| Error::InvalidHeader {
        header: name.to_owned(),
        problem,
    })
}

/// Checks one header of a message or part as it will be written, `name: encoded`, whatever
/// wrote it: the name, and every line of the value.
pub(crate) fn check_header(name: &str, encoded: &str) -> Result<(), Error> {
    check_name(name)
        .and_then(|()| check(name, encoded, Rules::ANY, None))
        .map_err(|problem| Error::InvalidHeader {
            header: name.to_owned(),
            problem,
        })
}

/// Hands `each` every header of `headers` in order, as it will be written: its name and its
/// encoded value. lettre's `Headers` exposes no list of its headers, but writes each as four
/// pieces, the name, `": "`, the encoded value and `"\r\n"`, which is what this reads; a test
/// holds lettre to that shape.
pub(crate) fn each_header(
    headers: &Headers,
    mut each: impl FnMut(&str, &str) -> Result<(), Error>,
) -> Result<(), Error> {
    struct Pieces<'f, F> {
        each: &'f mut F,
        piece: usize,
        name: String,
        failed: Option<Error>,
    }
    impl<F: FnMut(&str, &str) -> Result<(), Error>> fmt::Write for Pieces<'_, F> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let piece = self.piece % 4;
            self.piece += 1;
            match piece {
                0 => {
                    self.name.clear();
                    self.name.push_str(s);
                }
                2 => {
                    if let Err(e) = (self.each)(&self.name, s) {
                        self.failed = Some(e);
                        return Err(fmt::Error);
                    }
                }
                // The separators: `": "`, then `"\r\n"`.
                _ => debug_assert!(s == ": " || s == "\r\n", "lettre wrote {s:?}"),
            }
            Ok(())
        }
    }
    let mut pieces = Pieces {
        each: &mut each,
        piece: 0,
        // Room for any header name lettre allows (76 octets).
        name: String::with_capacity(76),
        failed: None,
    };
    match write!(pieces, "{headers}") {
        Ok(()) => Ok(()),
        Err(fmt::Error) => Err(pieces
            .failed
            .take()
            .expect("only a failed check stops the writer")),
    }
}

/// Checks every header of `headers` with [`check_header`].
#[cfg(test)]
fn check_headers(headers: &Headers) -> Result<(), Error> {
    each_header(headers, check_header)
}

/// Verifies `written` (what follows `name: ` on the wire) and makes it a lettre header value:
/// with [`copy`], the only place letterhead calls `HeaderValue::dangerous_new_pre_encoded`, so
/// lettre writes nothing it did not check.
pub(crate) fn header_value(
    name: &HeaderName,
    written: String,
    smtputf8: bool,
) -> Result<HeaderValue, Error> {
    // What `Headers::get_raw` shows: the value unfolded, without the blanks a fold leaves at
    // its start.
    let mut raw = String::with_capacity(written.len());
    check(name, &written, Rules::identifier(smtputf8), Some(&mut raw))
        .map_err(|p| policy_error(name, p))?;
    let blanks = raw.len() - raw.trim_start_matches([' ', '\t']).len();
    raw.drain(..blanks);
    Ok(HeaderValue::dangerous_new_pre_encoded(
        name.clone(),
        raw,
        written,
    ))
}

/// A header value as lettre wrote it (`raw`, and `encoded` as it goes on the wire), checked
/// with [`check_header`]: to carry an unchanged header into a part rebuilt around it.
pub(crate) fn copy(name: &str, raw: &str, encoded: &str) -> Result<HeaderValue, Error> {
    check_header(name, encoded)?;
    let name = HeaderName::new_from_ascii(name.to_owned()).map_err(|_| Error::InvalidHeader {
        header: name.to_owned(),
        problem: HeaderProblem::Name { char: None },
    })?;
    Ok(HeaderValue::dangerous_new_pre_encoded(
        name,
        raw.to_owned(),
        encoded.to_owned(),
    ))
}

/// A text header (Subject, Comments) written as RFC 2047 encoded-words, one to a line, so
/// that every line fits however long its words are, and a reader decodes exactly `raw`
/// (whitespace between adjacent encoded-words is not part of the text, RFC 2047 section 6.2).
pub(crate) fn encoded_text(name: &HeaderName, raw: &str) -> Result<HeaderValue, Error> {
    let written = crate::rfc2047::encode(raw, name.len() + 2);
    check_header(name, &written)?;
    Ok(HeaderValue::dangerous_new_pre_encoded(
        name.clone(),
        raw.to_owned(),
        written,
    ))
}

/// Several fields of one name as one lettre header value, since lettre's `Headers` holds one
/// value a name: `first` (what follows `name: `), then each of `more` (a field's name as
/// written and what follows its colon) on lines of its own. Each is verified as
/// [`header_value`] verifies one; `Headers::get_raw` shows `first`, unfolded.
#[cfg(feature = "dkim")]
pub(crate) fn header_fields(
    name: &HeaderName,
    first: String,
    more: &[(&str, &str)],
) -> Result<HeaderValue, Error> {
    let mut raw = String::with_capacity(first.len());
    check(name, &first, Rules::identifier(false), Some(&mut raw))
        .map_err(|p| policy_error(name, p))?;
    let blanks = raw.len() - raw.trim_start_matches([' ', '\t']).len();
    raw.drain(..blanks);
    let mut written = first;
    for (field, value) in more {
        if !field.eq_ignore_ascii_case(name) {
            return Err(Error::Policy {
                header: name.to_string(),
                reason: format!("a {field:?} field cannot join {name} fields"),
            });
        }
        check(field, value, Rules::identifier(false), None).map_err(|p| policy_error(field, p))?;
        written.push_str("\r\n");
        written.push_str(field);
        written.push(':');
        written.push_str(value);
    }
    Ok(HeaderValue::dangerous_new_pre_encoded(
        name.clone(),
        raw,
        written,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_rejects_every_broken_shape() {
        let long = "a".repeat(990);
        for (bad, utf8) in [
            ("", false),
            ("  ", false),
            ("=?utf-8?q?x?=", false),
            ("<ä@b>", false),
            ("<a@b>\r\nBcc: x", false),
            ("<a@b>\r\n \r\n <c@d>", false),
            ("<a@b>\n <c@d>", false),
            ("<a@b>\r <c@d>", false),
            ("<a@b>\0", false),
            (long.as_str(), false),
        ] {
            assert!(verify("Message-ID", bad, utf8).is_err(), "{bad:?}");
        }
        for bad in [
            "<a@b>\r\n",
            "<a@b>\r\n ",
            "<a\u{85}b@c>",
            "<a\x7fb@c>",
            "<a\u{2028}b@c>",
            "<a\u{feff}b@c>",
            "<a\u{202e}b@c>",
            "<a\u{2066}b@c>",
            "<a\u{200b}b@c>",
        ] {
            assert!(verify("Message-ID", bad, true).is_err(), "{bad:?}");
        }
        assert!(verify("Message-ID", "<ä@b>", true).is_ok());
        // "Message-ID: " is 12 octets: 986 more make a 998-octet line.
        assert!(verify("Message-ID", &long[..986], false).is_ok());
        assert!(verify("Message-ID", &long[..987], false).is_err());
    }

    #[test]
    fn any_header_may_hold_encoded_words_and_utf8_but_nothing_that_breaks_the_block() {
        for ok in [
            "=?utf-8?b?w6Q=?=",
            "Jürgen <j@büro.example>",
            "",
            "a\tb",
            "a\r\n b",
        ] {
            assert!(check_header("Subject", ok).is_ok(), "{ok:?}");
        }
        for (bad, problem) in [
            ("a\r\nBcc: x@y", HeaderProblem::LineBreak { line: 2 }),
            (
                "a\nb",
                HeaderProblem::Control {
                    line: 1,
                    char: '\n',
                },
            ),
            (
                "a\rb",
                HeaderProblem::Control {
                    line: 1,
                    char: '\r',
                },
            ),
            (
                "a\x0bb",
                HeaderProblem::Control {
                    line: 1,
                    char: '\x0b',
                },
            ),
            (
                "a\x1b[0m",
                HeaderProblem::Control {
                    line: 1,
                    char: '\x1b',
                },
            ),
            (
                "a\x7f",
                HeaderProblem::Control {
                    line: 1,
                    char: '\x7f',
                },
            ),
            (
                "a\u{85}",
                HeaderProblem::Control {
                    line: 1,
                    char: '\u{85}',
                },
            ),
            (
                "a\u{2028}",
                HeaderProblem::Control {
                    line: 1,
                    char: '\u{2028}',
                },
            ),
            ("a\r\n \r\n b", HeaderProblem::BlankLine { line: 2 }),
        ] {
            match check_header("X-Test", bad) {
                Err(Error::InvalidHeader { header, problem: p }) => {
                    assert_eq!(header, "X-Test");
                    assert_eq!(p, problem, "{bad:?}");
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        // "Subject: " is 9 octets: 989 more make a 998-octet line.
        assert!(check_header("Subject", &"a".repeat(989)).is_ok());
        assert!(matches!(
            check_header("Subject", &"a".repeat(990)),
            Err(Error::InvalidHeader {
                problem: HeaderProblem::LineTooLong { line: 1, len: 999 },
                ..
            })
        ));
        for (name, c) in [
            ("X-Trace\r\nBcc", Some('\r')),
            ("X Trace", Some(' ')),
            ("X-Trace\tBcc", Some('\t')),
            ("X:Y", Some(':')),
            ("", None),
        ] {
            match check_header(name, "x") {
                Err(Error::InvalidHeader {
                    problem: HeaderProblem::Name { char },
                    ..
                }) => assert_eq!(char, c, "{name:?}"),
                other => panic!("{name:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn headers_are_read_one_by_one_as_lettre_writes_them() {
        let mut headers = Headers::new();
        for (name, value) in [
            ("Subject", "Grüße"),
            ("X-One", "a"),
            ("References", "<a@b>"),
        ] {
            headers.insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii(name.to_owned()).unwrap(),
                value.to_owned(),
            ));
        }
        headers.insert_raw(HeaderValue::dangerous_new_pre_encoded(
            HeaderName::new_from_ascii_str("X-Two"),
            "b c".to_owned(),
            "b\r\n c".to_owned(),
        ));
        let mut seen = Vec::new();
        each_header(&headers, |name, encoded| {
            seen.push(format!("{name}: {encoded}\r\n"));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert_eq!(seen.concat(), headers.to_string());
        assert!(seen[0].starts_with("Subject: =?utf-8?"), "{seen:?}");
        // A value that injects a line is caught as its own header's problem.
        headers.insert_raw(HeaderValue::dangerous_new_pre_encoded(
            HeaderName::new_from_ascii_str("X-Two"),
            "b".to_owned(),
            "b\r\nBcc: victim@example.net".to_owned(),
        ));
        match check_headers(&headers) {
            Err(Error::InvalidHeader { header, problem }) => {
                assert_eq!(header, "X-Two");
                assert_eq!(problem, HeaderProblem::LineBreak { line: 2 });
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn header_values_unfold_for_get_raw() {
        let name = HeaderName::new_from_ascii_str("References");
        let value = header_value(&name, "<a@b>\r\n <c@d>".into(), false).unwrap();
        let mut headers = Headers::new();
        headers.insert_raw(value);
        assert_eq!(headers.get_raw("References"), Some("<a@b> <c@d>"));
        assert_eq!(headers.to_string(), "References: <a@b>\r\n <c@d>\r\n");
        assert!(header_value(&name, "<a@b>\r\nBcc: x@y".into(), false).is_err());
    }

    #[test]
    fn long_text_becomes_encoded_words_that_fit_and_decode_to_the_text() {
        let name = HeaderName::new_from_ascii_str("Subject");
        for raw in [
            format!("Re: {}", "x".repeat(1500)),
            format!("{} tail", "ü".repeat(700)),
            "a".repeat(2000),
            "short".to_owned(),
        ] {
            let value = encoded_text(&name, &raw).unwrap();
            let mut headers = Headers::new();
            headers.insert_raw(value);
            let block = headers.to_string();
            for (i, line) in block.trim_end_matches("\r\n").split("\r\n").enumerate() {
                assert!(line.len() <= 78, "line {i}: {} octets", line.len());
                assert!(i == 0 || line.starts_with(' '));
            }
            let value = block["Subject: ".len()..].trim_end_matches("\r\n");
            assert_eq!(crate::rfc2047::decode(value).unwrap(), raw);
            assert_eq!(headers.get_raw("Subject"), Some(raw.as_str()));
        }
    }

    #[cfg(feature = "dkim")]
    #[test]
    fn fields_of_one_name_are_each_verified() {
        let name = HeaderName::new_from_ascii_str("DKIM-Signature");
        let value = header_fields(
            &name,
            "v=1; b=new".into(),
            &[("DKIM-Signature", " v=1; b=old")],
        )
        .unwrap();
        let mut headers = lettre::message::header::Headers::new();
        headers.insert_raw(value);
        assert_eq!(headers.get_raw("DKIM-Signature"), Some("v=1; b=new"));
        assert_eq!(
            headers.to_string(),
            "DKIM-Signature: v=1; b=new\r\nDKIM-Signature: v=1; b=old\r\n"
        );
        assert!(header_fields(&name, "a".into(), &[("DKIM-Signature", " x\r\nBcc: y")]).is_err());
        assert!(header_fields(&name, "a".into(), &[("Bcc", " y")]).is_err());
        assert!(header_fields(&name, "a\r\nBcc: y".into(), &[]).is_err());
    }
}
