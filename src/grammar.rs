//! RFC 5322 tokens: the characters and shapes every other module checks against. A leaf: it
//! knows nothing of headers, policies or messages.

use std::borrow::Cow;

use crate::{error::Reason, idn};

/// RFC 5322 section 2.1.1: a line MUST be at most 998 octets, excluding CRLF.
///
/// # Example
///
/// ```
/// assert_eq!(letterhead::policy::HARD_LINE_LIMIT, 998);
/// ```
#[cfg(feature = "builder")]
pub const HARD_LINE_LIMIT: usize = 998;

/// RFC 5322 section 2.1.1: a line SHOULD be at most 78 characters, excluding CRLF.
///
/// # Example
///
/// ```
/// assert_eq!(letterhead::policy::SOFT_LINE_LIMIT, 78);
/// ```
#[cfg(feature = "builder")]
pub const SOFT_LINE_LIMIT: usize = 78;

/// Whether `c` is a character a header value must not hold even where UTF-8 is allowed
/// (SMTPUTF8, RFC 6532): a control (C0, DEL, C1), or a format character (general category Cf:
/// the bidi controls U+202A to U+202E and U+2066 to U+2069, zero-width characters, U+FEFF,
/// ...), which change how the text around them reads without being seen.
pub(crate) fn is_control_or_format(c: char) -> bool {
    use icu_properties::{props::GeneralCategory, CodePointMapData};
    c.is_control()
        || (!c.is_ascii()
            && CodePointMapData::<GeneralCategory>::new().get(c) == GeneralCategory::Format)
}

/// RFC 5322 section 3.2.3 atext, as a table over every octet.
pub(crate) const ATEXT: [bool; 256] = {
    let mut table = [false; 256];
    let specials = b"!#$%&'*+-/=?^_`{|}~";
    let mut c = 0;
    while c < 128 {
        table[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    let mut k = 0;
    while k < specials.len() {
        table[specials[k] as usize] = true;
        k += 1;
    }
    table
};

/// RFC 5322 section 3.2.3 atext.
pub(crate) fn is_atext(c: u8) -> bool {
    ATEXT[usize::from(c)]
}

/// RFC 5322 section 3.2.3 dot-atom-text: atext labels joined by single dots, none empty.
#[cfg(feature = "builder")]
pub(crate) fn is_dot_atom_text(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|label| !label.is_empty() && label.bytes().all(is_atext))
}

/// The length of the line break of a fold at `b[i]`: CRLF followed by a space or tab
/// (RFC 5322 section 3.2.2), or, where `lf_folds`, LF followed by one, as IMAP libraries hand
/// over header values. `None` if no fold starts there.
pub(crate) fn fold_at(b: &[u8], i: usize, lf_folds: bool) -> Option<usize> {
    let wsp = |j: usize| matches!(b.get(j), Some(b' ' | b'\t'));
    match b.get(i) {
        Some(b'\r') if b.get(i + 1) == Some(&b'\n') && wsp(i + 2) => Some(2),
        Some(b'\n') if lf_folds && wsp(i + 1) => Some(1),
        _ => None,
    }
}

/// What CFWS (RFC 5322 section 3.2.2) held: whitespace or folds, comments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cfws {
    pub(crate) space: bool,
    pub(crate) comment: bool,
}

/// Skips CFWS from `b[i]`: spaces, tabs, folds and (nested) comments with quoted-pairs.
/// Returns where it ends and what it held.
///
/// # Errors
///
/// [`Reason::Control`] for a CR, LF or other control character that is not part of a fold;
/// [`Reason::Unclosed`] for a comment without its `)`.
pub(crate) fn skip_cfws(b: &[u8], mut i: usize, lf_folds: bool) -> Result<(usize, Cfws), Reason> {
    let mut seen = Cfws::default();
    let mut depth = 0usize;
    while let Some(&c) = b.get(i) {
        match c {
            b' ' | b'\t' => {
                seen.space = true;
                i += 1;
            }
            b'\r' | b'\n' => match fold_at(b, i, lf_folds) {
                Some(n) => {
                    seen.space = true;
                    i += n;
                }
                None => return Err(Reason::Control(c as char)),
            },
            b'(' => {
                seen.comment = true;
                depth += 1;
                i += 1;
            }
            b')' if depth > 0 => {
                depth -= 1;
                i += 1;
            }
            b'\\' if depth > 0 => match b.get(i + 1) {
                Some(&q) if q.is_ascii_control() && q != b'\t' => {
                    return Err(Reason::Control(q as char))
                }
                Some(_) => i += 2,
                None => return Err(Reason::Unclosed),
            },
            c if c.is_ascii_control() => return Err(Reason::Control(c as char)),
            _ if depth > 0 => i += 1,
            _ => break,
        }
    }
    if depth > 0 {
        return Err(Reason::Unclosed);
    }
    Ok((i, seen))
}

/// An RFC 5322 id-right as a msg-id written here holds it (section 3.6.4): a dot-atom-text,
/// a no-fold-literal limited to what address literals need (letters, digits, `.`, `:`, `-`,
/// `_`: the other dtext characters end or split an id in real parsers), or a non-ASCII host
/// name, which becomes A-labels ([`idn::to_a_labels`]). Also the rule for Message-ID domains.
pub(crate) fn id_right(right: &str) -> Result<Cow<'_, str>, Reason> {
    if right.is_empty() {
        return Err(Reason::EmptyRight);
    }
    if !right.is_ascii() {
        if let Some(c) = right.chars().find(|c| c.is_control()) {
            return Err(Reason::Control(c));
        }
        if right.split('.').any(str::is_empty) {
            return Err(Reason::Dots);
        }
        return idn::to_a_labels(right).map(Cow::Owned);
    }
    if let Some(rest) = right.strip_prefix('[') {
        let inner = rest.strip_suffix(']').ok_or(Reason::InvalidChar('['))?;
        return match inner
            .bytes()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'.' | b':' | b'-' | b'_')))
        {
            Some(c) if c.is_ascii_control() => Err(Reason::Control(c as char)),
            Some(c) => Err(Reason::InvalidChar(c as char)),
            None => Ok(Cow::Borrowed(right)),
        };
    }
    // dot-atom-text, in one pass: labels of atext, none empty.
    let mut label = 0;
    for &c in right.as_bytes() {
        match c {
            b'.' if label == 0 => return Err(Reason::Dots),
            b'.' => label = 0,
            c if is_atext(c) => label += 1,
            c if c.is_ascii_control() => return Err(Reason::Control(c as char)),
            c => return Err(Reason::InvalidChar(c as char)),
        }
    }
    if label == 0 {
        return Err(Reason::Dots);
    }
    Ok(Cow::Borrowed(right))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atext_is_rfc_5322s() {
        let atext: String = (0u8..128)
            .filter(|&c| is_atext(c))
            .map(char::from)
            .collect();
        assert_eq!(
            atext,
            "!#$%&'*+-/0123456789=?ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz{|}~"
        );
        assert!(is_dot_atom_text("a.b"));
        for bad in ["", ".a", "a.", "a..b", "a b", "a@b"] {
            assert!(!is_dot_atom_text(bad), "{bad:?}");
        }
    }

    #[test]
    fn cfws_folds_and_comments() {
        let skip = |s: &str, lf| skip_cfws(s.as_bytes(), 0, lf);
        assert_eq!(
            skip(" \t(a (b) \\) c)\r\n x", false),
            Ok((
                17,
                Cfws {
                    space: true,
                    comment: true
                }
            ))
        );
        assert_eq!(skip("\n x", false), Err(Reason::Control('\n')));
        assert_eq!(skip("\n x", true).map(|r| r.0), Ok(2));
        assert_eq!(skip("\r\nx", false), Err(Reason::Control('\r')));
        assert_eq!(skip("(a", false), Err(Reason::Unclosed));
        assert_eq!(skip("(a\0)", false), Err(Reason::Control('\0')));
    }

    #[test]
    fn id_rights() {
        assert_eq!(id_right("büro.example").unwrap(), "xn--bro-hoa.example");
        assert_eq!(
            id_right("[IPv6:2001:db8::1]").unwrap(),
            "[IPv6:2001:db8::1]"
        );
        assert_eq!(id_right("a..b"), Err(Reason::Dots));
        assert_eq!(id_right("host:8536"), Err(Reason::InvalidChar(':')));
        assert_eq!(id_right("[6>1]"), Err(Reason::InvalidChar('>')));
        assert_eq!(id_right("[1.2"), Err(Reason::InvalidChar('[')));
        assert_eq!(id_right("a b"), Err(Reason::InvalidChar(' ')));
        assert_eq!(id_right("bü_ro.example"), Err(Reason::InvalidChar('_')));
    }
}
