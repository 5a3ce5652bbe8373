//! The hook through which identifier headers are written.
//!
//! A [`HeaderPolicy`] names the headers it takes over and turns each raw value into the value
//! that goes on the wire. The default, [`IdentifierPolicy`], takes over Message-ID,
//! In-Reply-To, References, Resent-Message-ID, Original-Message-ID and Content-ID:
//!
//! - every value is parsed into msg-ids ([`MsgId`]); an invalid one is an error naming the
//!   header, never repaired or dropped;
//! - ids are written separated by one space, never as RFC 2047 encoded-words (RFC 2047
//!   section 5 forbids them in a msg-id);
//! - a line is folded (CRLF + one space) only between ids, when it would pass the soft limit
//!   (78); an id longer than that stays whole on the first line, or, if it cannot fit there
//!   within 998 octets, moves whole to a continuation line, as Outlook itself writes;
//! - a line over 998 octets (RFC 5322 section 2.1.1) is an error.
//!
//! Whatever a policy returns, the default's or yours, is checked by [`verify`] before it
//! reaches a message: every line within 998 octets, CRLF only ever followed by a space or tab,
//! no other control character, no `=?`, and ASCII unless the policy is in SMTPUTF8 mode.

use std::fmt;

use lettre::message::header::{HeaderName, HeaderValue, Headers};

use crate::{
    error::Reason,
    msgid::{parse_content_id, parse_list, scan},
    Error, MsgId,
};

/// RFC 5322 section 2.1.1: a line MUST be at most 998 octets, excluding CRLF.
///
/// # Example
///
/// ```
/// assert_eq!(letterhead::policy::HARD_LINE_LIMIT, 998);
/// ```
pub const HARD_LINE_LIMIT: usize = 998;

/// RFC 5322 section 2.1.1: a line SHOULD be at most 78 characters, excluding CRLF.
///
/// # Example
///
/// ```
/// assert_eq!(letterhead::policy::SOFT_LINE_LIMIT, 78);
/// ```
pub const SOFT_LINE_LIMIT: usize = 78;

/// Writes the headers it names; the one place that decides how they are folded.
///
/// Object safe, `Send + Sync`: a message builder holds one as `Arc<dyn HeaderPolicy>`.
///
/// # Example: a policy of your own
///
/// A policy that writes an `X-Entity-Ref-ID` token header on top of the default identifier
/// rules (what it returns is still checked by [`verify`] before it is written):
///
/// ```
/// use letterhead::{message::header::HeaderName, Error, HeaderPolicy, IdentifierPolicy};
///
/// #[derive(Debug)]
/// struct WithEntityRef {
///     ids: IdentifierPolicy,
///     names: Vec<HeaderName>,
/// }
///
/// impl WithEntityRef {
///     fn new() -> Self {
///         let ids = IdentifierPolicy::new();
///         let mut names = ids.header_names().to_vec();
///         names.push(HeaderName::new_from_ascii_str("X-Entity-Ref-ID"));
///         WithEntityRef { ids, names }
///     }
/// }
///
/// impl HeaderPolicy for WithEntityRef {
///     fn header_names(&self) -> &[HeaderName] {
///         &self.names
///     }
///
///     fn encode(&self, name: &HeaderName, raw: &str) -> Result<String, Error> {
///         if name.eq_ignore_ascii_case("X-Entity-Ref-ID") {
///             // A plain token: letters, digits and hyphens only.
///             if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
///                 return Err(Error::Policy {
///                     header: name.to_string(),
///                     reason: format!("{raw:?} is not a token"),
///                 });
///             }
///             return Ok(raw.to_owned());
///         }
///         self.ids.encode(name, raw)
///     }
/// }
///
/// let policy = WithEntityRef::new();
/// let name = HeaderName::new_from_ascii_str("X-Entity-Ref-ID");
/// assert_eq!(policy.encode(&name, "abc-123")?, "abc-123");
/// assert!(policy.encode(&name, "abc\r\nBcc: x@y").is_err());
/// # Ok::<(), letterhead::Error>(())
/// ```
pub trait HeaderPolicy: fmt::Debug + Send + Sync {
    /// The headers this policy writes, matched without regard to case.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{HeaderPolicy, IdentifierPolicy};
    ///
    /// let names = IdentifierPolicy::new();
    /// assert!(names.header_names().iter().any(|n| n.eq_ignore_ascii_case("references")));
    /// ```
    fn header_names(&self) -> &[HeaderName];

    /// Writes header `name` from its raw (unencoded) value: returns what follows `Name: ` on
    /// the wire, folded with CRLF + space where needed, or an error.
    ///
    /// # Errors
    ///
    /// Whatever the policy refuses, as an [`Error`] naming the header.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{message::header::HeaderName, HeaderPolicy, IdentifierPolicy};
    ///
    /// let irt = HeaderName::new_from_ascii_str("In-Reply-To");
    /// assert_eq!(IdentifierPolicy::new().encode(&irt, "a@b, <c@d>")?, "<a@b> <c@d>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    fn encode(&self, name: &HeaderName, raw: &str) -> Result<String, Error>;

    /// Whether values may hold raw UTF-8 (SMTPUTF8 mail, RFC 6532). Default: no.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{HeaderPolicy, IdentifierPolicy};
    ///
    /// assert!(!HeaderPolicy::smtputf8(&IdentifierPolicy::new()));
    /// assert!(HeaderPolicy::smtputf8(&IdentifierPolicy::new().smtputf8(true)));
    /// ```
    fn smtputf8(&self) -> bool {
        false
    }
}

/// The default policy for identifier headers. See the [module docs](self) for its rules.
///
/// # Example
///
/// ```
/// use letterhead::{message::header::HeaderName, IdentifierPolicy, HeaderPolicy};
///
/// let policy = IdentifierPolicy::new();
/// let refs = HeaderName::new_from_ascii_str("References");
/// let ids: Vec<String> = (0..4).map(|i| format!("<{i}.{}@example.com>", "x".repeat(10))).collect();
/// let written = policy.encode(&refs, &ids.join(", "))?;
/// assert_eq!(
///     written,
///     format!("{} {}\r\n {} {}", ids[0], ids[1], ids[2], ids[3]),
/// );
/// # Ok::<(), letterhead::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct IdentifierPolicy {
    soft_limit: usize,
    smtputf8: bool,
    names: Vec<HeaderName>,
    /// Parallel to `names`: what each header holds.
    kinds: Vec<Kind>,
}

/// What an identifier header holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Exactly one msg-id.
    One,
    /// One or more msg-ids.
    List,
    /// One Content-ID: a msg-id or a bare `<token>` (RFC 2045 section 7, as practised).
    ContentId,
}

impl Default for IdentifierPolicy {
    fn default() -> Self {
        let defaults = [
            ("Message-ID", Kind::One),
            ("In-Reply-To", Kind::List),
            ("References", Kind::List),
            ("Resent-Message-ID", Kind::One),
            ("Original-Message-ID", Kind::One),
            ("Content-ID", Kind::ContentId),
        ];
        IdentifierPolicy {
            soft_limit: SOFT_LINE_LIMIT,
            smtputf8: false,
            names: defaults
                .iter()
                .map(|(n, _)| HeaderName::new_from_ascii_str(n))
                .collect(),
            kinds: defaults.iter().map(|(_, k)| *k).collect(),
        }
    }
}

impl IdentifierPolicy {
    /// The default: the six identifier headers, soft limit 78, ASCII only.
    ///
    /// # Example
    ///
    /// ```
    /// let p = letterhead::IdentifierPolicy::new();
    /// assert_eq!(p.soft_limit(), 78);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the soft line length: ids share a line only while it stays within it. Clamped to
    /// 1..=998; 1 puts every id on a line of its own.
    ///
    /// # Example
    ///
    /// ```
    /// let p = letterhead::IdentifierPolicy::new().soft_line_length(120);
    /// assert_eq!(p.soft_limit(), 120);
    /// assert_eq!(letterhead::IdentifierPolicy::new().soft_line_length(5000).soft_limit(), 998);
    /// ```
    pub fn soft_line_length(mut self, len: usize) -> Self {
        self.soft_limit = len.clamp(1, HARD_LINE_LIMIT);
        self
    }

    /// The soft line length in force.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::IdentifierPolicy::new().soft_limit(), 78);
    /// ```
    pub fn soft_limit(&self) -> usize {
        self.soft_limit
    }

    /// SMTPUTF8 mode (RFC 6532): a non-ASCII id-left is written as raw UTF-8 instead of
    /// rejected. Use it only for mail sent to servers that announce SMTPUTF8.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{message::header::HeaderName, IdentifierPolicy, HeaderPolicy};
    ///
    /// let mid = HeaderName::new_from_ascii_str("Message-ID");
    /// assert!(IdentifierPolicy::new().encode(&mid, "<grüße@example.com>").is_err());
    /// let utf8 = IdentifierPolicy::new().smtputf8(true);
    /// assert_eq!(utf8.encode(&mid, "<grüße@example.com>")?, "<grüße@example.com>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn smtputf8(mut self, on: bool) -> Self {
        self.smtputf8 = on;
        self
    }

    /// Also treats `name` as an identifier header holding exactly one msg-id.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{message::header::HeaderName, IdentifierPolicy, HeaderPolicy};
    ///
    /// let name = HeaderName::new_from_ascii_str("X-Entity-Ref-ID");
    /// let p = IdentifierPolicy::new().single_id_header(name.clone());
    /// assert_eq!(p.encode(&name, "ref@example.com")?, "<ref@example.com>");
    /// assert!(p.encode(&name, "<a@b> <c@d>").is_err());
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn single_id_header(self, name: HeaderName) -> Self {
        self.with_header(name, Kind::One)
    }

    /// Also treats `name` as an identifier header holding one or more msg-ids.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{message::header::HeaderName, IdentifierPolicy, HeaderPolicy};
    ///
    /// let name = HeaderName::new_from_ascii_str("X-Thread-IDs");
    /// let p = IdentifierPolicy::new().id_list_header(name.clone());
    /// assert_eq!(p.encode(&name, "<a@b>,<c@d>")?, "<a@b> <c@d>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn id_list_header(self, name: HeaderName) -> Self {
        self.with_header(name, Kind::List)
    }

    fn with_header(mut self, name: HeaderName, kind: Kind) -> Self {
        match self.position(&name) {
            Some(i) => self.kinds[i] = kind,
            None => {
                self.names.push(name);
                self.kinds.push(kind);
            }
        }
        self
    }

    fn position(&self, name: &str) -> Option<usize> {
        // As spelled here (the common case, and cheaper), then in any case.
        (self.names.iter().position(|n| **n == *name))
            .or_else(|| self.names.iter().position(|n| n.eq_ignore_ascii_case(name)))
    }

    /// Writes `ids` as the value of header `name`: one space between ids, folded only between
    /// them. See the [module docs](self).
    ///
    /// # Errors
    ///
    /// [`Error::Policy`] if a line would pass 998 octets, which only a header name of over
    /// 900 octets can cause.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{IdentifierPolicy, MsgId};
    ///
    /// let heroku = MsgId::parse(
    ///     "<154810422972.4.16142961424846318784@aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com>",
    /// )?;
    /// let written = IdentifierPolicy::new().write("Message-ID", &[heroku.clone()])?;
    /// assert_eq!(written, heroku.as_str()); // whole, unencoded, on the first line
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn write(&self, name: &str, ids: &[MsgId]) -> Result<String, Error> {
        let out = self.fold(name, ids.iter().map(MsgId::as_str));
        verify(name, &out, self.smtputf8)?;
        Ok(out)
    }

    /// Writes validated ids, folding only between them.
    ///
    /// Not verified here: [`write`](Self::write) and [`write_header`] verify what they hand
    /// out, once.
    fn fold<'a>(&self, name: &str, ids: impl Iterator<Item = &'a str> + Clone) -> String {
        let mut out = Folder::new(self, name, ids.clone().map(|id| id.len() + 3).sum());
        ids.for_each(|id| out.push(id));
        out.text
    }
}

/// A header value being written: validated ids, one space between them, folded only between
/// them.
struct Folder {
    text: String,
    soft_limit: usize,
    /// The length of the line being written; the first line already holds `Name: `.
    line: usize,
    empty: bool,
}

impl Folder {
    fn new(policy: &IdentifierPolicy, name: &str, capacity: usize) -> Self {
        Folder {
            text: String::with_capacity(capacity),
            soft_limit: policy.soft_limit,
            line: name.len() + 2,
            empty: true,
        }
    }

    fn push(&mut self, id: &str) {
        let w = id.len();
        let fold = if self.empty {
            // A first id that cannot fit the first line at all goes whole to a line of its
            // own (" " + id, at most 998 octets), as Outlook writes it. One that only passes
            // the soft limit stays: the limit is a SHOULD, and a value that starts with a
            // fold trips up naive parsers.
            self.line + w > HARD_LINE_LIMIT
        } else {
            self.line + 1 + w > self.soft_limit
        };
        if fold {
            self.text.push_str("\r\n ");
            self.line = 1;
        } else if !self.empty {
            self.text.push(' ');
            self.line += 1;
        }
        self.text.push_str(id);
        self.line += w;
        self.empty = false;
    }
}

impl HeaderPolicy for IdentifierPolicy {
    fn header_names(&self) -> &[HeaderName] {
        &self.names
    }

    fn encode(&self, name: &HeaderName, raw: &str) -> Result<String, Error> {
        let kind = match self.position(name) {
            Some(i) => self.kinds[i],
            None => {
                return Err(Error::Policy {
                    header: name.to_string(),
                    reason: "not an identifier header of this policy".into(),
                })
            }
        };
        // What this returns is verified by `write_header` before it reaches a message.
        let smtputf8 = self.smtputf8;
        Ok(match kind {
            Kind::List | Kind::One => {
                // Ids go straight from the scan into the written value.
                let mut out = Folder::new(self, name, raw.len() + raw.len() / 16 + 8);
                let found = scan(raw, smtputf8, |id, _| out.push(id))
                    .map_err(|reason| Error::invalid_id(name, raw, reason))?;
                if kind == Kind::One && found != 1 {
                    return Err(Error::invalid_id(name, raw, Reason::NotOne { found }));
                }
                out.text
            }
            Kind::ContentId => {
                let cid = parse_content_id(name, raw, smtputf8)?;
                self.fold(name, std::iter::once(cid.as_str()))
            }
        })
    }

    fn smtputf8(&self) -> bool {
        self.smtputf8
    }
}

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
    if plainly_valid(name.len(), encoded, None) {
        return Ok(());
    }
    check_closely(name, encoded, smtputf8)
}

/// [`verify`] octet by octet, naming the first problem.
fn check_closely(name: &str, encoded: &str, smtputf8: bool) -> Result<(), Error> {
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
        let end = b[start..]
            .iter()
            .position(|&c| c == b'\r')
            .map_or(b.len(), |p| start + p);
        let text = &b[start..end];
        let len = text.len() + if line == 1 { name.len() + 2 } else { 0 };
        if len > HARD_LINE_LIMIT {
            return fail(format!(
                "line {line} is {len} octets; RFC 5322 allows {HARD_LINE_LIMIT}"
            ));
        }
        // Printable ASCII, space and tab: one quick pass; anything else is looked at closely.
        if !text.iter().all(|&c| matches!(c, b' '..=b'~' | b'\t')) {
            let text = &encoded[start..end];
            if !smtputf8 && !text.is_ascii() {
                return fail("non-ASCII value outside SMTPUTF8 mode".into());
            }
            // Controls, and in UTF-8 the characters other software takes for line breaks
            // (U+2028, U+2029, NEL is a control) or hides (U+FEFF).
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
        let mut from = 0;
        while let Some(p) = text[from..].iter().position(|&c| c == b'=') {
            if text.get(from + p + 1) == Some(&b'?') {
                return fail(r#"value holds "=?", an RFC 2047 encoded-word or lookalike"#.into());
            }
            from += p + 1;
        }
        let content = text.iter().any(|&c| c != b' ' && c != b'\t');
        if line > 1 && !content {
            return fail(format!("line {line} is blank"));
        }
        any |= content;
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

/// The common case of [`verify`], in one pass: printable ASCII and tabs, in lines within the
/// limit joined by CRLF + space or tab, none blank after the first, no `=?`. `false` sends the
/// value through the full check, which finds the problem, if there is one, and names it. Never
/// `true` for a value the full check refuses.
///
/// With `unfolded`, it also appends the value with its line breaks taken out, as
/// `Headers::get_raw` shows it.
fn plainly_valid(name_len: usize, s: &str, mut unfolded: Option<&mut String>) -> bool {
    let b = s.as_bytes();
    if name_len + 2 > HARD_LINE_LIMIT {
        return false;
    }
    // Where the current line starts, how long it may be, and what is not yet copied.
    let (mut line, mut limit, mut copied) = (0, HARD_LINE_LIMIT - (name_len + 2), 0);
    let mut i = 0;
    while i < b.len() {
        if let Some(word) = b.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
            if printable8(word) && !has_equals8(word) {
                i += 8;
                continue;
            }
        } else if let Some(last) = b.len().checked_sub(8).filter(|&l| l >= line) {
            // The last few octets, as the last eight: those before `i` passed already.
            if let Ok(word) = <[u8; 8]>::try_from(&b[last..]) {
                if printable8(word) && !has_equals8(word) {
                    break;
                }
            }
        }
        match b[i] {
            b'=' if b.get(i + 1) == Some(&b'?') => return false,
            b' '..=b'~' | b'\t' => i += 1,
            b'\r' => {
                if i - line > limit
                    || b.get(i + 1) != Some(&b'\n')
                    || !matches!(b.get(i + 2), Some(b' ' | b'\t'))
                {
                    return false;
                }
                if let Some(out) = unfolded.as_deref_mut() {
                    out.push_str(&s[copied..i]);
                }
                // The new line starts at its space or tab and must hold more than blanks.
                line = i + 2;
                limit = HARD_LINE_LIMIT;
                copied = line;
                i = line + 1;
                while matches!(b.get(i), Some(b' ' | b'\t')) {
                    i += 1;
                }
                if matches!(b.get(i), None | Some(b'\r')) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    if b.len() - line > limit || (line == 0 && b.iter().all(|&c| c == b' ' || c == b'\t')) {
        return false;
    }
    if let Some(out) = unfolded {
        out.push_str(&s[copied..]);
    }
    true
}

/// Whether any of eight octets is `=`, tested at once.
fn has_equals8(word: [u8; 8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    // Lanes that were `=` are zero in x; `x - 1` sets the high bit of a zero lane first.
    let x = u64::from_ne_bytes(word) ^ (ONES * u64::from(b'='));
    x.wrapping_sub(ONES) & !x & (ONES * 0x80) != 0
}

/// Whether all eight octets are printable ASCII (`' '..='~'`), tested at once.
fn printable8(word: [u8; 8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    let x = u64::from_ne_bytes(word);
    // The high bit of a lane is set by `x - 0x20` for octets below 0x20 (and kept only where
    // x had it clear), and by `x + 1` or x itself for 0x7f and above.
    ((x.wrapping_sub(ONES * 0x20) & !x) | x.wrapping_add(ONES) | x) & (ONES * 0x80) == 0
}

/// Writes header `name` through `policy` and verifies the result: how letterhead makes every
/// pre-encoded [`HeaderValue`] (a Message-ID it generated skips only the policy's parsing).
///
/// # Errors
///
/// The policy's error, or [`verify`]'s.
///
/// # Example
///
/// ```
/// use letterhead::{message::header::HeaderName, policy::write_header, IdentifierPolicy};
///
/// let name = HeaderName::new_from_ascii_str("In-Reply-To");
/// let value = write_header(&IdentifierPolicy::new(), &name, "<a@büro.example>")?;
/// # let _ = value;
/// # Ok::<(), letterhead::Error>(())
/// ```
pub fn write_header(
    policy: &dyn HeaderPolicy,
    name: &HeaderName,
    raw: &str,
) -> Result<HeaderValue, Error> {
    checked_value(name, policy.encode(name, raw)?, policy.smtputf8())
}

/// Verifies `encoded` and makes it a lettre header value: the only place letterhead calls
/// `HeaderValue::dangerous_new_pre_encoded`.
fn checked_value(name: &HeaderName, encoded: String, smtputf8: bool) -> Result<HeaderValue, Error> {
    // The raw value a reader of `Headers::get_raw` sees: the written value, unfolded.
    let mut raw = String::with_capacity(encoded.len());
    if !plainly_valid(name.len(), &encoded, Some(&mut raw)) {
        check_closely(name, &encoded, smtputf8)?;
        // Verified: a CR or LF is only ever part of a fold.
        raw = encoded.replace("\r\n", "");
    }
    let blanks = raw.len() - raw.trim_start_matches([' ', '\t']).len();
    if blanks > 0 {
        raw.drain(..blanks);
    }
    Ok(HeaderValue::dangerous_new_pre_encoded(
        name.clone(),
        raw,
        encoded,
    ))
}

/// Writes a Message-ID that letterhead itself generated through the default policy: the id
/// is valid by construction, so it is not parsed back; its written form is still verified.
pub(crate) fn write_generated(name: &HeaderName, id: MsgId) -> Result<HeaderValue, Error> {
    let policy = default_identifier_policy();
    let encoded = if name.len() + 2 + id.len() <= HARD_LINE_LIMIT {
        // What the policy writes for one id that fits the first line: the id itself.
        String::from(id)
    } else {
        policy.fold(name, std::iter::once(id.as_str()))
    };
    checked_value(name, encoded, policy.smtputf8)
}

/// The References pieces a builder collected (one per `references()` call), each validated on
/// its own, joined: `None` when there are none.
pub(crate) fn parse_references<'a>(
    name: &HeaderName,
    pieces: &'a [String],
    smtputf8: bool,
) -> Result<Option<std::borrow::Cow<'a, str>>, Error> {
    match pieces {
        [] => Ok(None),
        // One piece is validated by the policy itself; no copy needed.
        [one] => Ok(Some(std::borrow::Cow::Borrowed(one))),
        _ => {
            let mut joined = String::new();
            for piece in pieces {
                for id in parse_list(name, piece, smtputf8)? {
                    if !joined.is_empty() {
                        joined.push(' ');
                    }
                    joined.push_str(id.as_str());
                }
            }
            Ok(Some(std::borrow::Cow::Owned(joined)))
        }
    }
}

pub(crate) fn default_identifier_policy() -> &'static IdentifierPolicy {
    static DEFAULT: std::sync::LazyLock<IdentifierPolicy> =
        std::sync::LazyLock::new(IdentifierPolicy::new);
    &DEFAULT
}

/// The policy in force when a message or part names none: the installed
/// [`Config`](crate::Config)'s, else the default [`IdentifierPolicy`].
pub(crate) fn default_policy() -> &'static dyn HeaderPolicy {
    match crate::Config::installed().and_then(|c| c.policy_ref()) {
        Some(p) => p.as_ref(),
        None => default_identifier_policy(),
    }
}

/// A raw value that replaces what `headers` holds for `name` (or adds it).
#[derive(Clone, Copy)]
pub(crate) struct Override<'a> {
    pub(crate) name: &'a HeaderName,
    pub(crate) raw: &'a str,
}

/// Rewrites every header of `headers` that `policy` takes over, taking the raw value from
/// `overrides` where one is given. An override the policy does not take over (a custom policy
/// that leaves out Message-ID, say) is written by the default [`IdentifierPolicy`]: the
/// identifier headers the builder holds are never left to lettre's encoder.
///
/// `scan`: whether `headers` may hold a header the policy takes over besides the overrides.
/// Without it only the overrides are written.
pub(crate) fn apply_with(
    policy: &dyn HeaderPolicy,
    headers: &mut Headers,
    overrides: &[Override<'_>],
    scan: bool,
) -> Result<(), Error> {
    let names = policy.header_names();
    for o in overrides {
        let own = names.iter().any(|n| **n == **o.name) || names.contains(o.name);
        let writer = if own {
            policy
        } else {
            default_identifier_policy()
        };
        headers.insert_raw(write_header(writer, o.name, o.raw)?);
    }
    if scan {
        for name in names {
            if overrides.iter().any(|o| o.name == name) {
                continue;
            }
            if let Some(raw) = headers.get_raw(name) {
                let value = write_header(policy, name, raw)?;
                headers.insert_raw(value);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(name: &'static str, raw: &str) -> Result<String, Error> {
        IdentifierPolicy::new().encode(&HeaderName::new_from_ascii_str(name), raw)
    }

    fn lines<'a>(name: &str, encoded: &'a str) -> Vec<(usize, &'a str)> {
        encoded
            .split("\r\n")
            .enumerate()
            .map(|(i, l)| (l.len() + if i == 0 { name.len() + 2 } else { 0 }, l))
            .collect()
    }

    const HEROKU: &str = "<154810422972.4.16142961424846318784@aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com>";

    #[test]
    fn heroku_message_id_is_written_whole_and_unencoded() {
        let out = enc("Message-ID", HEROKU).unwrap();
        assert_eq!(out, HEROKU);
        assert!(!out.contains("=?"));
    }

    #[test]
    fn thirty_long_references_fold_only_between_ids() {
        let ids: Vec<String> = (0..30)
            .map(|i| format!("<{i:02}.{}@mail.example.com>", "q".repeat(68)))
            .collect();
        assert!(ids.iter().all(|id| (88..=92).contains(&id.len())));
        let out = enc("References", &ids.join(" ")).unwrap();
        let ls = lines("References", &out);
        assert_eq!(ls.len(), 30, "each ~90-octet id on a line of its own");
        for (i, (len, l)) in ls.iter().enumerate() {
            assert!(*len <= 998);
            let body = l.trim_start();
            // Each line holds whole ids only.
            assert_eq!(body, ids[i]);
            if body.contains(' ') {
                assert!(*len <= 78);
            }
        }
        assert_eq!(out.replace("\r\n", ""), ids.join(" "));
    }

    #[test]
    fn short_ids_share_lines_up_to_the_soft_limit() {
        let ids: Vec<String> = (0..40)
            .map(|i| format!("<{i:03}.abcdefgh@example.com>"))
            .collect();
        let out = enc("References", &ids.join(",")).unwrap();
        let ls = lines("References", &out);
        assert!(ls.len() > 1);
        for (len, l) in &ls {
            assert!(*len <= 78, "{l:?}");
        }
        // Folding is only ever CRLF + one space, and unfolds to single spaces.
        assert_eq!(out.replace("\r\n", ""), ids.join(" "));
        // Lines are filled: a line plus the next id would pass 78.
        for w in ls.windows(2) {
            let next = w[1].1.trim_start().split(' ').next().unwrap();
            assert!(w[0].0 + 1 + next.len() > 78);
        }
    }

    #[test]
    fn a_first_id_moves_to_a_continuation_line_only_when_it_cannot_fit_the_first() {
        let id = format!("<{}@example.com>", "a".repeat(60)); // 74 octets: over 78 with the name
        assert_eq!(enc("Original-Message-ID", &id).unwrap(), id);
        let huge = format!("<{}@example.com>", "a".repeat(980));
        let out = enc("Message-ID", &huge).unwrap();
        assert_eq!(out, format!("\r\n {huge}"));
        for (len, _) in lines("Message-ID", &out) {
            assert!(len <= 998);
        }
        // The longest id that still fits the first line stays there.
        let fits = format!("<{}@example.com>", "a".repeat(998 - 12 - 14));
        assert_eq!(enc("Message-ID", &fits).unwrap(), fits);
        let moved = format!("<{}@example.com>", "a".repeat(998 - 12 - 13));
        assert!(enc("Message-ID", &moved).unwrap().starts_with("\r\n "));
    }

    #[test]
    fn single_id_headers_take_exactly_one() {
        for h in [
            "Message-ID",
            "Content-ID",
            "Original-Message-ID",
            "Resent-Message-ID",
        ] {
            let err = enc(h, "<a@b> <c@d>").unwrap_err();
            assert!(err.to_string().starts_with(&format!("{h}: ")), "{err}");
        }
        assert_eq!(enc("In-Reply-To", "<a@b> <c@d>").unwrap(), "<a@b> <c@d>");
    }

    #[test]
    fn idn_and_injection() {
        assert_eq!(
            enc("In-Reply-To", "<x@büro.example>").unwrap(),
            "<x@xn--bro-hoa.example>"
        );
        let err = enc("In-Reply-To", "<a@b>\r\nBcc: victim@example.com").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"In-Reply-To: "<a@b>\r\nBcc: victim@example.com": control character U+000D in a msg-id; a header value cannot hold one"#
        );
        assert!(enc("References", "<a@b>\nX: y").is_err());
    }

    #[test]
    fn custom_names_and_soft_limit() {
        let name = HeaderName::new_from_ascii_str("X-Entity-Ref-ID");
        let p = IdentifierPolicy::new().single_id_header(name.clone());
        assert!(p.header_names().iter().any(|n| n == &name));
        assert_eq!(p.encode(&name, "a@b").unwrap(), "<a@b>");
        // Case-insensitive, and a second registration changes arity, not the list length.
        let n = p.header_names().len();
        let p = p.id_list_header(HeaderName::new_from_ascii_str("x-entity-ref-id"));
        assert_eq!(p.header_names().len(), n);
        assert_eq!(p.encode(&name, "a@b c@d").unwrap(), "<a@b> <c@d>");

        let p = IdentifierPolicy::new().soft_line_length(1);
        let refs = HeaderName::new_from_ascii_str("References");
        assert_eq!(p.encode(&refs, "<a@b> <c@d>").unwrap(), "<a@b>\r\n <c@d>");
        let other = HeaderName::new_from_ascii_str("Subject");
        assert!(p.encode(&other, "<a@b>").is_err());
    }

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
    fn write_header_unfolds_the_raw_value() {
        let mut headers = Headers::new();
        headers.set(lettre::message::header::References::from(
            (0..10)
                .map(|i| format!("<{i}.{}@example.com>", "z".repeat(30)))
                .collect::<Vec<_>>()
                .join(", "),
        ));
        apply_with(&IdentifierPolicy::new(), &mut headers, &[], true).unwrap();
        let raw = headers.get_raw("References").unwrap();
        assert!(!raw.contains('\r') && !raw.contains(','));
        let text = headers.to_string();
        assert!(text.starts_with("References: <0."));
        assert!(text.contains("\r\n <"));
        assert!(!text.contains("=?"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// The quick path of `verify` passes only what the close check passes.
        #[test]
        fn plainly_valid_agrees_with_check_closely(
            parts in proptest::collection::vec(
                proptest::sample::select(&[
                    "<a@b>", " ", "\t", "\r\n ", "\r\n\t", "\r\n", "\r", "\n", "=", "?", "=?",
                    "x", "\u{7f}", "\u{1}", "ü", "\u{2028}", "\u{feff}",
                ][..]),
                0..12,
            ),
            long in 0usize..3,
            name in proptest::sample::select(&["References", "X"][..]),
        ) {
            let mut value = parts.concat();
            // Lines around the 998-octet limit.
            value.insert_str(0, &"y".repeat([0, 985, 990][long]));
            let mut unfolded = String::new();
            if plainly_valid(name.len(), &value, Some(&mut unfolded)) {
                proptest::prop_assert!(check_closely(name, &value, false).is_ok(), "{:?}", value);
                proptest::prop_assert_eq!(unfolded, value.replace("\r\n", ""));
            }
        }

        /// The eight-at-a-time printable check is the octet-by-octet one.
        #[test]
        fn printable_is_exact(
            b in proptest::array::uniform8(proptest::prop_oneof![
                6 => 0x20u8..0x7f,
                1 => proptest::prelude::any::<u8>(),
                1 => proptest::sample::select(&[0x1f, 0x20, 0x3c, 0x3d, 0x3e, 0x7e, 0x7f, 0x80, 0xff][..]),
            ]),
        ) {
            proptest::prop_assert_eq!(printable8(b), b.iter().all(|c| matches!(c, b' '..=b'~')));
            proptest::prop_assert_eq!(has_equals8(b), b.contains(&b'='));
        }
    }
}
