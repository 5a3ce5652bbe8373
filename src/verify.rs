//! The last check before anything reaches a message: every header value letterhead writes,
//! whatever policy wrote it, is verified here once, and made into a lettre header value only
//! here.

use lettre::message::header::{HeaderName, HeaderValue};

use crate::{grammar::HARD_LINE_LIMIT, Error};

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
    check(name, encoded, smtputf8, None)
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

/// [`verify`]; with `unfolded`, also appends the value without its line breaks, as
/// `Headers::get_raw` shows it.
fn check(
    name: &str,
    encoded: &str,
    smtputf8: bool,
    mut unfolded: Option<&mut String>,
) -> Result<(), Error> {
    let fail = |reason: String| {
        Err(Error::Policy {
            header: name.to_owned(),
            reason,
        })
    };
    let b = encoded.as_bytes();
    let mut any = false;
    let (mut start, mut line) = (0, 1);
    loop {
        // The line runs to the next CR; a CR is only ever the start of CRLF + space or tab.
        let end = encoded[start..].find('\r').map_or(b.len(), |p| start + p);
        let text = &encoded[start..end];
        let len = text.len() + if line == 1 { name.len() + 2 } else { 0 };
        if len > HARD_LINE_LIMIT {
            return fail(format!(
                "line {line} is {len} octets; RFC 5322 allows {HARD_LINE_LIMIT}"
            ));
        }
        // What the line holds, over all of it; what needs a closer look gets one.
        let class = text.bytes().fold(0, |f, c| f | CLASS[usize::from(c)]);
        if class & NOT_PLAIN != 0 {
            if !smtputf8 && !text.is_ascii() {
                return fail("non-ASCII value outside SMTPUTF8 mode".into());
            }
            // Controls, and in UTF-8 the characters other software takes for line breaks
            // (U+2028, U+2029; NEL is a control) or hides (U+FEFF).
            if let Some(c) = text.chars().find(|&c| {
                (c.is_control() && c != '\t')
                    || (c.is_whitespace() && c != ' ' && c != '\t')
                    || c == '\u{feff}'
            }) {
                return fail(format!(
                    "line {line} holds control character U+{:04X}",
                    c as u32
                ));
            }
        }
        if class & EQUALS != 0 && text.contains("=?") {
            return fail(r#"value holds "=?", an RFC 2047 encoded-word or lookalike"#.into());
        }
        let content = class & CONTENT != 0;
        if line > 1 && !content {
            return fail(format!("line {line} is blank"));
        }
        any |= content;
        if let Some(out) = unfolded.as_deref_mut() {
            out.push_str(text);
        }
        if end == b.len() {
            break;
        }
        if b.get(end + 1) != Some(&b'\n') {
            return fail(format!("line {line} holds control character U+000D"));
        }
        line += 1;
        if !matches!(b.get(end + 2), Some(b' ' | b'\t')) {
            return fail(format!(
                "line {line} follows a line break without a space: header injection"
            ));
        }
        start = end + 2;
    }
    if !any {
        return fail("empty value".into());
    }
    Ok(())
}

/// Verifies `written` (what follows `name: ` on the wire) and makes it a lettre header value:
/// the only place letterhead calls `HeaderValue::dangerous_new_pre_encoded`, so lettre writes
/// nothing it did not check.
pub(crate) fn header_value(
    name: &HeaderName,
    written: String,
    smtputf8: bool,
) -> Result<HeaderValue, Error> {
    // What `Headers::get_raw` shows: the value unfolded, without the blanks a fold leaves at
    // its start.
    let mut raw = String::with_capacity(written.len());
    check(name, &written, smtputf8, Some(&mut raw))?;
    let blanks = raw.len() - raw.trim_start_matches([' ', '\t']).len();
    raw.drain(..blanks);
    Ok(HeaderValue::dangerous_new_pre_encoded(
        name.clone(),
        raw,
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
    check(name, &first, false, Some(&mut raw))?;
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
        check(field, value, false, None)?;
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
        ] {
            assert!(verify("Message-ID", bad, true).is_err(), "{bad:?}");
        }
        assert!(verify("Message-ID", "<ä@b>", true).is_ok());
        // "Message-ID: " is 12 octets: 986 more make a 998-octet line.
        assert!(verify("Message-ID", &long[..986], false).is_ok());
        assert!(verify("Message-ID", &long[..987], false).is_err());
    }

    #[test]
    fn header_values_unfold_for_get_raw() {
        let name = HeaderName::new_from_ascii_str("References");
        let value = header_value(&name, "<a@b>\r\n <c@d>".into(), false).unwrap();
        let mut headers = lettre::message::header::Headers::new();
        headers.insert_raw(value);
        assert_eq!(headers.get_raw("References"), Some("<a@b> <c@d>"));
        assert_eq!(headers.to_string(), "References: <a@b>\r\n <c@d>\r\n");
        assert!(header_value(&name, "<a@b>\r\nBcc: x@y".into(), false).is_err());
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
