//! The hook through which identifier headers are written.
//!
//! The pipeline reads each header a [`HeaderPolicy`] takes over once, as [`Holds`] says
//! (msg-ids in the policy's [`Mode`], or raw text), hands the policy the typed [`Value`], and
//! [`verify`]s what the policy returns before it reaches a message. The default,
//! [`IdentifierPolicy`], takes over Message-ID, In-Reply-To, References, Resent-Message-ID,
//! Original-Message-ID and Content-ID:
//!
//! - ids are read in [`Mode::Compatible`] unless the policy is [`IdentifierPolicy::strict`];
//!   an id that cannot be written safely is an error naming the header, never repaired;
//! - ids are written separated by one space, never as RFC 2047 encoded-words (RFC 2047
//!   section 5 forbids them in a msg-id);
//! - a line is folded (CRLF + one space) only between ids, when it would pass the soft limit
//!   (78); an id longer than that stays whole on the first line, or, if it cannot fit there
//!   within 998 octets, moves whole to a continuation line, as Outlook itself writes;
//! - a line over 998 octets (RFC 5322 section 2.1.1) is an error.
//!
//! Whatever a policy returns, the default's or yours, is checked by [`verify`]: every line
//! within 998 octets, CRLF only ever followed by a space or tab, no other control character,
//! no `=?`, and ASCII unless the policy is in SMTPUTF8 mode.

use std::fmt;

use lettre::message::header::{HeaderName, HeaderValue};

pub use crate::{
    grammar::{HARD_LINE_LIMIT, SOFT_LINE_LIMIT},
    headers::Holds,
    msgid::Mode,
    verify::verify,
};
use crate::{
    headers,
    msgid::{parse_content_id, parse_list, parse_one, Syntax},
    verify::header_value,
    Error, MsgIds,
};

/// A header value as the pipeline hands it to [`HeaderPolicy::write`]: the ids it was read
/// into, or the raw text of a header that holds no ids.
///
/// # Example
///
/// ```
/// use letterhead::{message::header::HeaderName, policy::Value, HeaderPolicy, IdentifierPolicy, MsgIds};
///
/// let ids = MsgIds::parse("<a@x.example>, <b@x.example>")?;
/// let refs = HeaderName::new_from_ascii_str("References");
/// assert_eq!(IdentifierPolicy::new().write(&refs, Value::Ids(&ids))?, "<a@x.example> <b@x.example>");
/// # Ok::<(), letterhead::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Value<'a> {
    /// The msg-ids of an identifier header, in order, repeats dropped.
    Ids(&'a MsgIds),
    /// The raw text of a header whose [`Holds`] is [`Holds::Text`] (or addresses).
    Text(&'a str),
}

/// Writes the headers it names; the one place that decides how they are folded.
///
/// Object safe, `Send + Sync`: a message builder holds one as `Arc<dyn HeaderPolicy>`.
///
/// # Example: a policy of your own
///
/// A policy that writes an `X-Entity-Ref-ID` token header on top of the default identifier
/// rules (what it returns is still checked by [`verify`] before it is written). The header is
/// not in letterhead's table, so [`holds`](HeaderPolicy::holds) says [`Holds::Text`] and
/// [`write`](HeaderPolicy::write) receives its raw text:
///
/// ```
/// use letterhead::{
///     message::header::HeaderName, policy::Value, Error, HeaderPolicy, IdentifierPolicy,
/// };
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
///     fn write(&self, name: &HeaderName, value: Value<'_>) -> Result<String, Error> {
///         match value {
///             Value::Text(raw) if name.eq_ignore_ascii_case("X-Entity-Ref-ID") => {
///                 // A plain token: letters, digits and hyphens only.
///                 if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
///                     return Err(Error::Policy {
///                         header: name.to_string(),
///                         reason: format!("{raw:?} is not a token"),
///                     });
///                 }
///                 Ok(raw.to_owned())
///             }
///             _ => self.ids.write(name, value),
///         }
///     }
/// }
///
/// let policy = WithEntityRef::new();
/// let name = HeaderName::new_from_ascii_str("X-Entity-Ref-ID");
/// assert_eq!(letterhead::policy::write_text(&policy, &name, "abc-123")?, "abc-123");
/// assert!(letterhead::policy::write_text(&policy, &name, "abc\r\nBcc: x@y").is_err());
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

    /// What header `name` holds, which decides what [`write`](Self::write) receives. The
    /// default is letterhead's table: the identifier headers hold ids, any other header
    /// [`Holds::Text`]. Return [`Holds::Text`] to receive an identifier header's raw text.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{message::header::HeaderName, policy::Holds, HeaderPolicy, IdentifierPolicy};
    ///
    /// let p = IdentifierPolicy::new();
    /// assert_eq!(p.holds(&HeaderName::new_from_ascii_str("Message-ID")), Holds::Id);
    /// assert_eq!(p.holds(&HeaderName::new_from_ascii_str("X-Mailer")), Holds::Text);
    /// ```
    fn holds(&self, name: &HeaderName) -> Holds {
        headers::holds(name)
    }

    /// How ids from the app or a parent message are read. Default: [`Mode::Compatible`].
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{policy::Mode, HeaderPolicy, IdentifierPolicy};
    ///
    /// assert_eq!(HeaderPolicy::mode(&IdentifierPolicy::new()), Mode::Compatible);
    /// assert_eq!(HeaderPolicy::mode(&IdentifierPolicy::strict()), Mode::Strict);
    /// ```
    fn mode(&self) -> Mode {
        Mode::Compatible
    }

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

    /// Writes header `name` from its value: returns what follows `Name: ` on the wire,
    /// folded with CRLF + space where needed, or an error.
    ///
    /// # Errors
    ///
    /// Whatever the policy refuses, as an [`Error`] naming the header.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{message::header::HeaderName, policy::Value, HeaderPolicy, IdentifierPolicy, MsgIds};
    ///
    /// let irt = HeaderName::new_from_ascii_str("In-Reply-To");
    /// let ids = MsgIds::parse("a@b, <c@d>")?;
    /// assert_eq!(IdentifierPolicy::new().write(&irt, Value::Ids(&ids))?, "<a@b> <c@d>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    fn write(&self, name: &HeaderName, value: Value<'_>) -> Result<String, Error>;
}

/// The default policy for identifier headers. See the [module docs](self) for its rules.
///
/// # Example
///
/// ```
/// use letterhead::{message::header::HeaderName, policy::write_text, IdentifierPolicy};
///
/// let policy = IdentifierPolicy::new();
/// let refs = HeaderName::new_from_ascii_str("References");
/// let ids: Vec<String> = (0..4).map(|i| format!("<{i}.{}@example.com>", "x".repeat(10))).collect();
/// let written = write_text(&policy, &refs, &ids.join(", "))?;
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
    mode: Mode,
    names: Vec<HeaderName>,
    /// Parallel to `names`: what each header holds.
    holds: Vec<Holds>,
}

impl Default for IdentifierPolicy {
    fn default() -> Self {
        let names: Vec<HeaderName> = headers::identifier_names()
            .map(HeaderName::new_from_ascii_str)
            .collect();
        IdentifierPolicy {
            soft_limit: SOFT_LINE_LIMIT,
            smtputf8: false,
            mode: Mode::Compatible,
            holds: names.iter().map(|n| headers::holds(n)).collect(),
            names,
        }
    }
}

impl IdentifierPolicy {
    /// The default: the six identifier headers, [`Mode::Compatible`], soft limit 78, ASCII
    /// only.
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

    /// As [`new`](Self::new), in [`Mode::Strict`]: ids from the app or a parent message must
    /// be RFC 5322 msg-ids.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{message::header::HeaderName, policy::write_text, IdentifierPolicy};
    ///
    /// let mid = HeaderName::new_from_ascii_str("Message-ID");
    /// let id = "<7f1c2b9e@localhost:8536>";
    /// assert_eq!(write_text(&IdentifierPolicy::new(), &mid, id)?, id);
    /// let err = write_text(&IdentifierPolicy::strict(), &mid, id).unwrap_err();
    /// assert!(err.to_string().starts_with("Message-ID: "));
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn strict() -> Self {
        Self::default().mode(Mode::Strict)
    }

    /// Sets the [`Mode`] ids from the app or a parent message are read in.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{policy::Mode, HeaderPolicy, IdentifierPolicy};
    ///
    /// let p = IdentifierPolicy::new().mode(Mode::Strict);
    /// assert_eq!(HeaderPolicy::mode(&p), Mode::Strict);
    /// ```
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
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
    /// use letterhead::{message::header::HeaderName, policy::write_text, IdentifierPolicy};
    ///
    /// let mid = HeaderName::new_from_ascii_str("Message-ID");
    /// assert!(write_text(&IdentifierPolicy::new(), &mid, "<grüße@example.com>").is_err());
    /// let utf8 = IdentifierPolicy::new().smtputf8(true);
    /// assert_eq!(write_text(&utf8, &mid, "<grüße@example.com>")?, "<grüße@example.com>");
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
    /// use letterhead::{message::header::HeaderName, policy::write_text, IdentifierPolicy};
    ///
    /// let name = HeaderName::new_from_ascii_str("X-Entity-Ref-ID");
    /// let p = IdentifierPolicy::new().single_id_header(name.clone());
    /// assert_eq!(write_text(&p, &name, "ref@example.com")?, "<ref@example.com>");
    /// assert!(write_text(&p, &name, "<a@b> <c@d>").is_err());
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn single_id_header(self, name: HeaderName) -> Self {
        self.with_header(name, Holds::Id)
    }

    /// Also treats `name` as an identifier header holding one or more msg-ids.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{message::header::HeaderName, policy::write_text, IdentifierPolicy};
    ///
    /// let name = HeaderName::new_from_ascii_str("X-Thread-IDs");
    /// let p = IdentifierPolicy::new().id_list_header(name.clone());
    /// assert_eq!(write_text(&p, &name, "<a@b>,<c@d>")?, "<a@b> <c@d>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn id_list_header(self, name: HeaderName) -> Self {
        self.with_header(name, Holds::IdList)
    }

    fn with_header(mut self, name: HeaderName, holds: Holds) -> Self {
        match self.position(&name) {
            Some(i) => self.holds[i] = holds,
            None => {
                self.names.push(name);
                self.holds.push(holds);
            }
        }
        self
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.eq_ignore_ascii_case(name))
    }
}

/// A header value being written: ids, one space between them, folded only between them.
struct Folder {
    text: String,
    soft_limit: usize,
    /// The length of the line being written; the first line already holds `Name: `.
    line: usize,
}

impl Folder {
    fn push(&mut self, id: &str) {
        let w = id.len();
        let first = self.text.is_empty();
        let fold = if first {
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
        } else if !first {
            self.text.push(' ');
            self.line += 1;
        }
        self.text.push_str(id);
        self.line += w;
    }
}

impl HeaderPolicy for IdentifierPolicy {
    fn header_names(&self) -> &[HeaderName] {
        &self.names
    }

    fn holds(&self, name: &HeaderName) -> Holds {
        self.position(name)
            .map_or_else(|| headers::holds(name), |i| self.holds[i])
    }

    fn mode(&self) -> Mode {
        self.mode
    }

    fn smtputf8(&self) -> bool {
        self.smtputf8
    }

    fn write(&self, name: &HeaderName, value: Value<'_>) -> Result<String, Error> {
        let Value::Ids(ids) = value else {
            return Err(Error::Policy {
                header: name.to_string(),
                reason: "holds no msg-ids; not an identifier header of this policy".into(),
            });
        };
        let mut out = Folder {
            text: String::with_capacity(ids.iter().map(|id| id.len() + 3).sum()),
            soft_limit: self.soft_limit,
            line: name.len() + 2,
        };
        ids.iter().for_each(|id| out.push(id.as_str()));
        Ok(out.text)
    }
}

/// A header value read as its [`Holds`] says.
pub(crate) enum Parsed<'a> {
    Ids(MsgIds),
    Text(&'a str),
}

impl Parsed<'_> {
    pub(crate) fn value(&self) -> Value<'_> {
        match self {
            Parsed::Ids(ids) => Value::Ids(ids),
            Parsed::Text(t) => Value::Text(t),
        }
    }
}

/// The rules `policy` reads ids under.
pub(crate) fn syntax(policy: &dyn HeaderPolicy) -> Syntax {
    Syntax {
        mode: policy.mode(),
        smtputf8: policy.smtputf8(),
    }
}

/// Reads `raw`, the value of header `name`, as `policy` says it holds: the one place a
/// header's ids are parsed.
pub(crate) fn parse<'a>(
    policy: &dyn HeaderPolicy,
    name: &HeaderName,
    raw: &'a str,
) -> Result<Parsed<'a>, Error> {
    let syntax = syntax(policy);
    Ok(match policy.holds(name) {
        Holds::Id => Parsed::Ids(parse_one(name, raw, syntax)?.into()),
        Holds::IdList => Parsed::Ids(parse_list(name, raw, syntax)?),
        Holds::ContentId => Parsed::Ids(parse_content_id(name, raw, syntax)?.into()),
        Holds::Addresses | Holds::Text => Parsed::Text(raw),
    })
}

/// Writes header `name` from its raw value through `policy`: read as the policy says it
/// holds, written by the policy, [`verify`]d. Returns what follows `Name: ` on the wire.
///
/// # Errors
///
/// The reading's error (an invalid id, naming the header), the policy's, or [`verify`]'s.
///
/// # Example
///
/// ```
/// use letterhead::{message::header::HeaderName, policy::write_text, IdentifierPolicy};
///
/// let irt = HeaderName::new_from_ascii_str("In-Reply-To");
/// assert_eq!(write_text(&IdentifierPolicy::new(), &irt, "a@büro.example")?, "<a@xn--bro-hoa.example>");
/// # Ok::<(), letterhead::Error>(())
/// ```
pub fn write_text(
    policy: &dyn HeaderPolicy,
    name: &HeaderName,
    raw: &str,
) -> Result<String, Error> {
    let written = policy.write(name, parse(policy, name, raw)?.value())?;
    verify(name, &written, policy.smtputf8())?;
    Ok(written)
}

/// As [`write_text`], made into the lettre header value a message holds: how letterhead makes
/// every header value it writes.
///
/// # Errors
///
/// As [`write_text`].
///
/// # Example
///
/// ```
/// use letterhead::{message::header::{HeaderName, Headers}, policy::write_header, IdentifierPolicy};
///
/// let name = HeaderName::new_from_ascii_str("In-Reply-To");
/// let mut headers = Headers::new();
/// headers.insert_raw(write_header(&IdentifierPolicy::new(), &name, "<a@büro.example>")?);
/// assert_eq!(headers.get_raw("In-Reply-To"), Some("<a@xn--bro-hoa.example>"));
/// # Ok::<(), letterhead::Error>(())
/// ```
pub fn write_header(
    policy: &dyn HeaderPolicy,
    name: &HeaderName,
    raw: &str,
) -> Result<HeaderValue, Error> {
    write_value(policy, name, parse(policy, name, raw)?.value())
}

/// Writes `value` as header `name` through `policy` and verifies it.
pub(crate) fn write_value(
    policy: &dyn HeaderPolicy,
    name: &HeaderName,
    value: Value<'_>,
) -> Result<HeaderValue, Error> {
    header_value(name, policy.write(name, value)?, policy.smtputf8())
}

/// The default policy, made once.
pub(crate) fn default_identifier_policy() -> &'static IdentifierPolicy {
    static DEFAULT: std::sync::LazyLock<IdentifierPolicy> =
        std::sync::LazyLock::new(IdentifierPolicy::new);
    &DEFAULT
}

/// Whether `policy` writes header `name`.
pub(crate) fn takes(policy: &dyn HeaderPolicy, name: &str) -> bool {
    policy
        .header_names()
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(name: &'static str, raw: &str) -> Result<String, Error> {
        write_text(
            &IdentifierPolicy::new(),
            &HeaderName::new_from_ascii_str(name),
            raw,
        )
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
        assert_eq!(write_text(&p, &name, "a@b").unwrap(), "<a@b>");
        // Case-insensitive, and a second registration changes arity, not the list length.
        let n = p.header_names().len();
        let p = p.id_list_header(HeaderName::new_from_ascii_str("x-entity-ref-id"));
        assert_eq!(p.header_names().len(), n);
        assert_eq!(write_text(&p, &name, "a@b c@d").unwrap(), "<a@b> <c@d>");

        let p = IdentifierPolicy::new().soft_line_length(1);
        let refs = HeaderName::new_from_ascii_str("References");
        assert_eq!(
            write_text(&p, &refs, "<a@b> <c@d>").unwrap(),
            "<a@b>\r\n <c@d>"
        );
    }

    #[test]
    fn compatible_by_default_strict_on_request() {
        let strict = IdentifierPolicy::strict();
        let mid = HeaderName::new_from_ascii_str("Message-ID");
        for (given, written) in [
            (
                "<7f1c2b9e-1a2b-4c3d-9e8f-001122334455@localhost:8536>",
                None,
            ),
            ("<a..b@x.example>", None),
            ("<abc123>", None),
            ("<\"a b\"@x.example>", None),
            ("<a(comment)@x.example>", Some("<a@x.example>")),
            ("< a@x.example >", Some("<a@x.example>")),
        ] {
            assert_eq!(enc("Message-ID", given).unwrap(), written.unwrap_or(given));
            let err = write_text(&strict, &mid, given).unwrap_err().to_string();
            assert!(err.starts_with("Message-ID: "), "{err}");
        }
    }

    #[test]
    fn other_text_is_refused_by_the_identifier_policy() {
        let p = IdentifierPolicy::new();
        let subject = HeaderName::new_from_ascii_str("Subject");
        assert!(p.write(&subject, Value::Text("hi")).is_err());
    }
}
