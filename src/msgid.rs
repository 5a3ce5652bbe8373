//! Message identifiers: [`MsgId`], [`MsgIds`] and [`ContentId`], and the two [`Mode`]s ids
//! from an app or a parent message are read in.
//!
//! RFC 5322 section 3.6.4:
//!
//! ```text
//! msg-id   = [CFWS] "<" id-left "@" id-right ">" [CFWS]
//! id-left  = dot-atom-text
//! id-right = dot-atom-text / no-fold-literal
//! ```
//!
//! One parser reads every id. [`Mode::Strict`] takes that grammar only. [`Mode::Compatible`]
//! (the default of [`IdentifierPolicy`](crate::IdentifierPolicy)) takes whatever can be
//! written safely as given: one `<...>` token of printable ASCII without whitespace (a quoted
//! id-left may hold spaces), including ids RFC 5322 does not allow (`host:port` on the right,
//! empty dot labels, no `@`) and its obsolete forms (section 4.5.4: quoted strings, CFWS
//! around the parts), which are normalised only by removing CFWS and folds, never by changing
//! the id's own characters. In both modes a bare `left@right` gets its angle brackets, a
//! non-ASCII id-right becomes A-labels when nothing but that conversion changes it, and these
//! are errors: a control character, whitespace inside an id outside a quoted string, a
//! non-ASCII id-left outside SMTPUTF8 mode, `=?`, an empty `<>`, an id too long for a
//! 998-octet line.

use std::{collections::HashSet, fmt, str::FromStr};

use crate::{
    domain::Domain,
    error::Reason,
    grammar::{fold_at, id_right, is_atext, skip_cfws, Cfws},
    idn, Error,
};

/// How ids that come from the app or from a parent message are read. Ids letterhead
/// generates are always RFC 5322 msg-ids.
///
/// # Example
///
/// ```
/// use letterhead::{msgid::Mode, MsgId};
///
/// let id = "<7f1c2b9e@localhost:8536>";
/// assert_eq!(MsgId::parse_in(id, Mode::Compatible, false)?.as_str(), id);
/// assert!(MsgId::parse_in(id, Mode::Strict, false).is_err());
/// # Ok::<(), letterhead::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Whatever can be written safely, as given (see the [module docs](self)).
    #[default]
    Compatible,
    /// RFC 5322 msg-ids only.
    Strict,
}

/// The rules a value is read under.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Syntax {
    pub(crate) mode: Mode,
    pub(crate) smtputf8: bool,
}

impl Syntax {
    const STRICT: Syntax = Syntax {
        mode: Mode::Strict,
        smtputf8: false,
    };
}

/// A msg-id that can be written safely, such as `<5f1d6c@mail.example.com>`.
///
/// Always written with its angle brackets; a non-ASCII id-right is held as A-labels (IDNA),
/// so it can be written into any header without encoding. Made by parsing (in either
/// [`Mode`]) or by [`MsgId::generate`].
///
/// # Example
///
/// ```
/// use letterhead::MsgId;
///
/// let id = MsgId::parse("  <1548.4.1614@büro.example> ")?;
/// assert_eq!(id.as_str(), "<1548.4.1614@xn--bro-hoa.example>");
/// assert_eq!(id.left(), "1548.4.1614");
/// assert_eq!(id.right(), "xn--bro-hoa.example");
///
/// // Bare ids are accepted and written with brackets.
/// assert_eq!(MsgId::parse("abc@example.com")?.to_string(), "<abc@example.com>");
///
/// // A line break can never get in.
/// assert!(MsgId::parse("<a@b>\r\nBcc: victim@example.com").is_err());
/// # Ok::<(), letterhead::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsgId {
    /// `<left@right>`, brackets included, so writing it is a copy.
    text: Box<str>,
    /// Byte offset of the `@` that ends id-left in `text`; 0 for an id without one (only
    /// compatible mode and Content-IDs have those).
    at: usize,
}

/// The header name used in errors from parsing an id on its own.
const NO_HEADER: &str = "msg-id";

impl MsgId {
    /// The longest msg-id, brackets included: one that needs a continuation line of its own,
    /// `" " msg-id`, still fits RFC 5322's 998-octet line limit (section 2.1.1).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgId::MAX_LEN, 997);
    /// ```
    pub const MAX_LEN: usize = 997;

    /// Parses one RFC 5322 msg-id ([`Mode::Strict`]) for ASCII mail: id-left must be ASCII,
    /// and a non-ASCII id-right is turned into A-labels.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] naming `msg-id`, with the value and the [`Reason`].
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{MsgId, Reason, Error};
    ///
    /// assert!(MsgId::parse("<a@[127.0.0.1]>").is_ok());
    /// let err = MsgId::parse("<\"a b\"@example.com>").unwrap_err();
    /// assert!(matches!(err, Error::InvalidId { reason: Reason::Quote, .. }));
    /// ```
    pub fn parse(s: &str) -> Result<Self, Error> {
        parse_one(NO_HEADER, s, Syntax::STRICT)
    }

    /// Parses one RFC 5322 msg-id for SMTPUTF8 mail (RFC 6532): as [`MsgId::parse`], but a
    /// non-ASCII id-left is kept as UTF-8.
    ///
    /// # Errors
    ///
    /// As [`MsgId::parse`], except for [`Reason::NonAsciiLeft`].
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::MsgId;
    ///
    /// assert!(MsgId::parse("<grüße@example.com>").is_err());
    /// assert_eq!(MsgId::parse_smtputf8("<grüße@example.com>")?.left(), "grüße");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn parse_smtputf8(s: &str) -> Result<Self, Error> {
        parse_one(
            NO_HEADER,
            s,
            Syntax {
                mode: Mode::Strict,
                smtputf8: true,
            },
        )
    }

    /// Parses one msg-id in `mode`, for SMTPUTF8 mail if `smtputf8`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] naming `msg-id`, with the value and the [`Reason`].
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{msgid::Mode, MsgId};
    ///
    /// let obsolete = MsgId::parse_in("< a (comment) @x.example >", Mode::Compatible, false)?;
    /// assert_eq!(obsolete.as_str(), "<a@x.example>");
    /// assert_eq!(MsgId::parse_in("<\"a b\"@x.example>", Mode::Compatible, false)?.left(), "\"a b\"");
    /// assert!(MsgId::parse_in("<a b@x.example>", Mode::Compatible, false).is_err());
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn parse_in(s: &str, mode: Mode, smtputf8: bool) -> Result<Self, Error> {
        parse_one(NO_HEADER, s, Syntax { mode, smtputf8 })
    }

    /// Makes a new, unique msg-id on `domain`: `<LEFT@domain>`, with LEFT a random (version 4)
    /// UUID written as 32 hex digits, so ids are unique across processes and hosts without
    /// coordination.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{Domain, MsgId};
    ///
    /// let domain = Domain::parse("mail.example.com")?;
    /// let a = MsgId::generate(&domain);
    /// let b = MsgId::generate(&domain);
    /// assert_ne!(a, b);
    /// assert_eq!(a.left().len(), 32);
    /// assert_eq!(a.right(), "mail.example.com");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn generate(domain: &Domain) -> Self {
        let left = uuid::Builder::from_random_bytes(crate::random::bytes16()).into_uuid();
        let mut buf = uuid::Uuid::encode_buffer();
        let left = left.simple().encode_lower(&mut buf);
        MsgId {
            at: left.len() + 1,
            text: format!("<{left}@{domain}>").into_boxed_str(),
        }
    }

    /// The msg-id as written, angle brackets included.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgId::parse("a@b")?.as_str(), "<a@b>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The part before the `@` (all of it, for an id without one).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgId::parse("<left@right>")?.left(), "left");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn left(&self) -> &str {
        let end = if self.at == 0 {
            self.text.len() - 1
        } else {
            self.at
        };
        &self.text[1..end]
    }

    /// The part after the `@`: A-labels, or a `[...]` literal; empty for an id without `@`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgId::parse("<left@right>")?.right(), "right");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn right(&self) -> &str {
        if self.at == 0 {
            return "";
        }
        &self.text[self.at + 1..self.text.len() - 1]
    }

    /// The length as written, in octets.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgId::parse("<a@b>")?.len(), 5);
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    #[allow(clippy::len_without_is_empty)] // a msg-id is never empty
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether the id, as written, is an RFC 5322 msg-id ([`Mode::Strict`] would take it).
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{msgid::Mode, MsgId};
    ///
    /// assert!(MsgId::parse("<a@b.example>")?.is_rfc5322());
    /// assert!(!MsgId::parse_in("<a..b@x.example>", Mode::Compatible, false)?.is_rfc5322());
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn is_rfc5322(&self) -> bool {
        bracketed(
            &self.text[1..self.text.len() - 1],
            Syntax {
                mode: Mode::Strict,
                smtputf8: true,
            },
            false,
        )
        .is_ok()
    }
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MsgId").field(&&*self.text).finish()
    }
}

impl AsRef<str> for MsgId {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl FromStr for MsgId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        MsgId::parse(s)
    }
}

impl TryFrom<&str> for MsgId {
    type Error = Error;

    fn try_from(s: &str) -> Result<Self, Error> {
        MsgId::parse(s)
    }
}

impl TryFrom<String> for MsgId {
    type Error = Error;

    fn try_from(s: String) -> Result<Self, Error> {
        MsgId::parse(&s)
    }
}

impl From<MsgId> for String {
    fn from(id: MsgId) -> String {
        id.text.into()
    }
}

/// One or more msg-ids, as In-Reply-To and References hold (RFC 5322 section 3.6.4).
///
/// Parsing accepts ids separated by whitespace, folding, comments or commas (seen in the wild;
/// dropped), drops repeated ids keeping the first, and keeps the order. Never empty.
///
/// # Example
///
/// ```
/// use letterhead::MsgIds;
///
/// let refs = MsgIds::parse("<a@x.example>, <b@x.example>\r\n (thread) <a@x.example> c@x.example")?;
/// assert_eq!(refs.to_string(), "<a@x.example> <b@x.example> <c@x.example>");
/// assert_eq!(refs.len(), 3);
/// # Ok::<(), letterhead::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MsgIds(Vec<MsgId>);

impl MsgIds {
    /// Parses a list of msg-ids for ASCII mail.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] naming `msg-id` for an empty list or any invalid id.
    ///
    /// # Example
    ///
    /// ```
    /// let ids = letterhead::MsgIds::parse("<a@b> <c@d>")?;
    /// assert_eq!(ids.first().as_str(), "<a@b>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, Error> {
        parse_list(NO_HEADER, s, Syntax::STRICT).map(MsgIds)
    }

    /// Parses a list of msg-ids for SMTPUTF8 mail (non-ASCII id-left kept as UTF-8).
    ///
    /// # Errors
    ///
    /// As [`MsgIds::parse`], except for [`Reason::NonAsciiLeft`].
    ///
    /// # Example
    ///
    /// ```
    /// assert!(letterhead::MsgIds::parse_smtputf8("<ä@b> <c@d>").is_ok());
    /// ```
    pub fn parse_smtputf8(s: &str) -> Result<Self, Error> {
        parse_list(
            NO_HEADER,
            s,
            Syntax {
                mode: Mode::Strict,
                smtputf8: true,
            },
        )
        .map(MsgIds)
    }

    /// Parses a list of msg-ids in `mode`, for SMTPUTF8 mail if `smtputf8`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] naming `msg-id` for an empty list or any id `mode` refuses.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{msgid::Mode, MsgIds};
    ///
    /// // LF-only folds, as IMAP libraries hand over header values.
    /// let ids = MsgIds::parse_in("<a@x.example>\n <b@x.example:25>", Mode::Compatible, false)?;
    /// assert_eq!(ids.to_string(), "<a@x.example> <b@x.example:25>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn parse_in(s: &str, mode: Mode, smtputf8: bool) -> Result<Self, Error> {
        parse_list(NO_HEADER, s, Syntax { mode, smtputf8 }).map(MsgIds)
    }

    /// Appends `id` unless the list holds it already; returns whether it was added.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{MsgId, MsgIds};
    ///
    /// let mut ids = MsgIds::from(MsgId::parse("<a@b>")?);
    /// assert!(ids.push(MsgId::parse("<c@d>")?));
    /// assert!(!ids.push(MsgId::parse("<a@b>")?));
    /// assert_eq!(ids.len(), 2);
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn push(&mut self, id: MsgId) -> bool {
        if self.0.contains(&id) {
            false
        } else {
            self.0.push(id);
            true
        }
    }

    /// The first id.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgIds::parse("<a@b> <c@d>")?.first().as_str(), "<a@b>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn first(&self) -> &MsgId {
        &self.0[0]
    }

    /// The last id.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgIds::parse("<a@b> <c@d>")?.last().as_str(), "<c@d>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn last(&self) -> &MsgId {
        &self.0[self.0.len() - 1]
    }

    /// How many ids the list holds (at least one).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgIds::parse("<a@b> <a@b>")?.len(), 1);
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The ids, in order.
    ///
    /// # Example
    ///
    /// ```
    /// let ids = letterhead::MsgIds::parse("<a@b> <c@d>")?;
    /// let rights: Vec<&str> = ids.as_slice().iter().map(|id| id.right()).collect();
    /// assert_eq!(rights, ["b", "d"]);
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn as_slice(&self) -> &[MsgId] {
        &self.0
    }

    /// Iterates over the ids, in order.
    ///
    /// # Example
    ///
    /// ```
    /// let ids = letterhead::MsgIds::parse("<a@b> <c@d>")?;
    /// assert_eq!(ids.iter().count(), 2);
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, MsgId> {
        self.0.iter()
    }

    /// Takes the ids out, in order.
    ///
    /// # Example
    ///
    /// ```
    /// let ids = letterhead::MsgIds::parse("<a@b> <c@d>")?.into_vec();
    /// assert_eq!(ids.len(), 2);
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn into_vec(self) -> Vec<MsgId> {
        self.0
    }
}

impl From<MsgId> for MsgIds {
    fn from(id: MsgId) -> Self {
        MsgIds(vec![id])
    }
}

impl<'a> IntoIterator for &'a MsgIds {
    type Item = &'a MsgId;
    type IntoIter = std::slice::Iter<'a, MsgId>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromStr for MsgIds {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        MsgIds::parse(s)
    }
}

impl fmt::Display for MsgIds {
    /// The ids separated by one space, unfolded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, id) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(id.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for MsgIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.0).finish()
    }
}

/// A validated Content-ID (RFC 2045 section 7, RFC 2392): a msg-id such as
/// `<logo.1@mail.example.com>`, or, as mail software has always accepted and lettre's own
/// examples write, a bare `<token>` without `@`.
///
/// Written with angle brackets; its `Display` is without them, the form
/// `Attachment::new_inline` takes. [`ContentId::url`] gives the matching `cid:` URL.
///
/// # Example
///
/// ```
/// use letterhead::{ContentId, Domain};
///
/// let logo = ContentId::generate(&Domain::parse("mail.example.com")?);
/// let html = format!(r#"<img src="{}">"#, logo.url());
/// assert!(html.starts_with(r#"<img src="cid:"#));
/// assert_eq!(ContentId::parse("123")?.as_str(), "<123>");
/// assert_eq!(ContentId::parse("<img@büro.example>")?.to_string(), "img@xn--bro-hoa.example");
/// assert!(ContentId::parse("a b").is_err());
/// # Ok::<(), letterhead::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ContentId(MsgId);

impl ContentId {
    /// Parses a Content-ID, with or without angle brackets.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] naming `Content-ID`.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(letterhead::ContentId::parse("part1.06090408.01060107").is_ok());
    /// ```
    pub fn parse(s: &str) -> Result<Self, Error> {
        parse_content_id("Content-ID", s, Syntax::STRICT)
    }

    /// Parses a Content-ID for SMTPUTF8 mail: a non-ASCII id-left is kept as UTF-8.
    ///
    /// # Errors
    ///
    /// As [`ContentId::parse`], except for [`Reason::NonAsciiLeft`] in a msg-id.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(letterhead::ContentId::parse_smtputf8("<bild@example.com>").is_ok());
    /// ```
    pub fn parse_smtputf8(s: &str) -> Result<Self, Error> {
        parse_content_id(
            "Content-ID",
            s,
            Syntax {
                mode: Mode::Strict,
                smtputf8: true,
            },
        )
    }

    /// Parses a Content-ID in `mode`, for SMTPUTF8 mail if `smtputf8`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] naming `Content-ID`.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{msgid::Mode, ContentId};
    ///
    /// assert_eq!(ContentId::parse_in("< logo@x.example >", Mode::Compatible, false)?.as_str(), "<logo@x.example>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn parse_in(s: &str, mode: Mode, smtputf8: bool) -> Result<Self, Error> {
        parse_content_id("Content-ID", s, Syntax { mode, smtputf8 })
    }

    /// A new, unique Content-ID on `domain`, shaped like a generated [`MsgId`].
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{ContentId, Domain};
    ///
    /// let d = Domain::parse("example.com")?;
    /// assert_ne!(ContentId::generate(&d), ContentId::generate(&d));
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn generate(domain: &Domain) -> Self {
        ContentId(MsgId::generate(domain))
    }

    /// As written in the header, with angle brackets.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::ContentId::parse("a@b")?.as_str(), "<a@b>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The Content-ID as the msg-id a policy writes.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::ContentId::parse("a@b")?.as_msg_id().right(), "b");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn as_msg_id(&self) -> &MsgId {
        &self.0
    }

    /// The `cid:` URL that refers to this part from HTML (RFC 2392), percent-encoded.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::ContentId::parse("<a/b@c>")?.url(), "cid:a%2Fb@c");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn url(&self) -> String {
        let mut url = String::from("cid:");
        for b in self.inner().bytes() {
            if b.is_ascii_alphanumeric() || b"-._~@!$&'*+=".contains(&b) {
                url.push(b as char);
            } else {
                url.push_str(&format!("%{b:02X}"));
            }
        }
        url
    }
}

impl fmt::Display for ContentId {
    /// Without angle brackets, as `Attachment::new_inline` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.inner())
    }
}

impl ContentId {
    fn inner(&self) -> &str {
        let text = self.0.as_str();
        &text[1..text.len() - 1]
    }
}

impl fmt::Debug for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ContentId").field(&self.0.as_str()).finish()
    }
}

/// Parses a header value that holds exactly one msg-id.
pub(crate) fn parse_one(header: &str, s: &str, syntax: Syntax) -> Result<MsgId, Error> {
    let mut ids = Vec::with_capacity(1);
    scan(s, syntax, false, |id| ids.push(id)).map_err(|r| Error::invalid_id(header, s, r))?;
    match ids.len() {
        1 => Ok(ids.remove(0)),
        found => Err(Error::invalid_id(header, s, Reason::NotOne { found })),
    }
}

/// Parses a header value that holds one or more msg-ids; drops repeats, keeps order.
pub(crate) fn parse_list(header: &str, s: &str, syntax: Syntax) -> Result<Vec<MsgId>, Error> {
    let mut ids = Vec::new();
    scan(s, syntax, false, |id| ids.push(id)).map_err(|r| Error::invalid_id(header, s, r))?;
    dedup(&mut ids);
    Ok(ids)
}

/// Parses a Content-ID value: a msg-id, or a bare `<token>` (RFC 2045 section 7, as mail
/// software has always written it).
pub(crate) fn parse_content_id(header: &str, s: &str, syntax: Syntax) -> Result<ContentId, Error> {
    let mut ids = Vec::with_capacity(1);
    scan(s, syntax, true, |id| ids.push(id)).map_err(|r| Error::invalid_id(header, s, r))?;
    match ids.len() {
        1 => Ok(ContentId(ids.remove(0))),
        found => Err(Error::invalid_id(header, s, Reason::NotOne { found })),
    }
}

/// Drops repeated ids, keeping the first of each, in one pass.
pub(crate) fn dedup(ids: &mut Vec<MsgId>) {
    if ids.len() < 2 {
        return;
    }
    let keep: Vec<bool> = {
        let mut seen = HashSet::with_capacity(ids.len());
        ids.iter().map(|id| seen.insert(id.as_str())).collect()
    };
    let mut keep = keep.into_iter();
    ids.retain(|_| keep.next().unwrap_or(true));
}

/// Reads the msg-ids of a header value in order, handing each to `emit`. Between ids:
/// whitespace, folds, comments and commas (seen in the wild). An id is `<...>`, or a bare
/// `left@right` (a bare token without `@` where `tokens`, for Content-ID), which gets its
/// brackets.
fn scan(s: &str, syntax: Syntax, tokens: bool, mut emit: impl FnMut(MsgId)) -> Result<(), Reason> {
    let b = s.as_bytes();
    let lf_folds = syntax.mode == Mode::Compatible;
    let between = |mut i: usize| -> Result<usize, Reason> {
        loop {
            i = skip_cfws(b, i, lf_folds)?.0;
            match b.get(i) {
                Some(b',') => i += 1,
                _ => return Ok(i),
            }
        }
    };
    let mut found = 0;
    let mut i = between(0)?;
    while i < b.len() {
        let (id, next) = if b[i] == b'<' {
            let end = i + 1 + s[i + 1..].find('>').ok_or(Reason::Unclosed)?;
            (bracketed(&s[i + 1..end], syntax, tokens)?, end + 1)
        } else {
            let len = s[i..]
                .find([' ', '\t', '\r', '\n', ',', '<', '('])
                .unwrap_or(s.len() - i);
            let token = &s[i..i + len];
            if !tokens && !token.contains('@') {
                return Err(Reason::Unexpected(token.chars().next().unwrap_or(' ')));
            }
            (bracketed(token, syntax, tokens)?, i + len)
        };
        emit(id);
        found += 1;
        i = between(next)?;
    }
    if found == 0 {
        return Err(Reason::Empty);
    }
    Ok(())
}

/// A piece of the text between an id's angle brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    /// A run of characters other than the ones below.
    Word(&'a str),
    /// A quoted string, quotes included.
    Quoted(&'a str),
    /// A domain literal, brackets included.
    Literal(&'a str),
    Dot,
    At,
    Cfws(Cfws),
}

impl Piece<'_> {
    fn is_word(&self) -> bool {
        matches!(self, Piece::Word(_) | Piece::Quoted(_) | Piece::Literal(_))
    }

    fn text(&self) -> &str {
        match self {
            Piece::Word(t) | Piece::Quoted(t) | Piece::Literal(t) => t,
            Piece::Dot => ".",
            Piece::At => "@",
            Piece::Cfws(_) => "",
        }
    }
}

/// Splits the text between an id's brackets into pieces.
fn pieces(inner: &str, syntax: Syntax) -> Result<Vec<Piece<'_>>, Reason> {
    let b = inner.as_bytes();
    let compatible = syntax.mode == Mode::Compatible;
    // The worst problem first: a control character could break the header open. In
    // compatible mode tabs and folds are whitespace (CFWS), as RFC 5322 4.5.4 allows.
    let mut i = 0;
    for (at, c) in inner.char_indices() {
        if at < i {
            continue;
        }
        i = at + c.len_utf8();
        if compatible {
            if c == '\t' {
                continue;
            }
            if let Some(n) = fold_at(b, at, true) {
                i = at + n;
                continue;
            }
        }
        if c.is_control() || c == '\u{feff}' {
            return Err(Reason::Control(c));
        }
    }
    let mut out = Vec::with_capacity(4);
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let piece = match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b'(' => {
                let (end, seen) = skip_cfws(b, i, compatible)?;
                i = end;
                Piece::Cfws(seen)
            }
            b'"' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err(Reason::Unclosed),
                        Some(b'"') => break,
                        Some(b'\\') => match b.get(i + 1) {
                            Some(&c) if c.is_ascii_control() => {
                                return Err(Reason::Control(c as char))
                            }
                            _ => i += 2,
                        },
                        Some(b'<') => return Err(Reason::InvalidChar('<')),
                        // Only a space: a tab or fold is a control character inside quotes.
                        Some(&c) if c.is_ascii_control() => return Err(Reason::Control(c as char)),
                        Some(_) => i += 1,
                    }
                }
                i += 1;
                Piece::Quoted(&inner[start..i.min(b.len())])
            }
            b'[' => {
                let len = inner[i..].find(']').ok_or(Reason::InvalidChar('['))?;
                i += len + 1;
                let literal = &inner[start..i];
                if let Some(c) = literal[1..len]
                    .chars()
                    .find(|&c| matches!(c, '[' | '\\' | '<') || c.is_whitespace())
                {
                    return Err(if c.is_whitespace() {
                        Reason::Whitespace
                    } else {
                        Reason::InvalidChar(c)
                    });
                }
                Piece::Literal(literal)
            }
            b'.' => {
                i += 1;
                Piece::Dot
            }
            b'@' => {
                i += 1;
                Piece::At
            }
            c @ (b'<' | b']' | b')' | b'\\') => return Err(Reason::InvalidChar(c as char)),
            _ => {
                let len = inner[i..]
                    .find(|c: char| {
                        matches!(
                            c,
                            ' ' | '\t' | '\r' | '\n' | '(' | ')' | '"' | '[' | ']' | '.'
                        ) || matches!(c, '@' | '<' | '\\')
                    })
                    .unwrap_or(b.len() - i);
                i += len;
                let word = &inner[start..i];
                if word.chars().any(char::is_whitespace) {
                    return Err(Reason::Whitespace);
                }
                Piece::Word(word)
            }
        };
        out.push(piece);
    }
    Ok(out)
}

/// Reads the text between an id's angle brackets (or a bare id) under `syntax`. `token`: an
/// id without `@` is a Content-ID token, taken in both modes.
fn bracketed(inner: &str, syntax: Syntax, token: bool) -> Result<MsgId, Reason> {
    let pieces = pieces(inner, syntax)?;
    let strict = syntax.mode == Mode::Strict;
    if pieces.iter().all(|p| matches!(p, Piece::Cfws(_))) {
        return Err(Reason::Empty);
    }
    // Strict: no quoted string, comment or whitespace anywhere inside.
    // Compatible: CFWS is dropped, except between two words, where dropping it would join
    // them into another id.
    if strict && pieces.iter().any(|p| matches!(p, Piece::Quoted(_))) {
        return Err(Reason::Quote);
    }
    for (k, p) in pieces.iter().enumerate() {
        if let Piece::Cfws(seen) = p {
            let joins =
                k > 0 && pieces[k - 1].is_word() && pieces.get(k + 1).is_some_and(Piece::is_word);
            if strict || joins {
                return Err(if seen.comment && (strict || !seen.space) {
                    Reason::Comment
                } else {
                    Reason::Whitespace
                });
            }
        }
    }
    let pieces: Vec<Piece<'_>> = pieces
        .into_iter()
        .filter(|p| !matches!(p, Piece::Cfws(_)))
        .collect();
    let ats = pieces.iter().filter(|p| **p == Piece::At).count();
    let at = pieces.iter().rposition(|p| *p == Piece::At);
    if strict && ats > 1 {
        return Err(Reason::MultipleAt);
    }
    let (left, right) = match at {
        Some(k) => (&pieces[..k], Some(&pieces[k + 1..])),
        None => (&pieces[..], None),
    };
    let mut text = String::with_capacity(inner.len() + 2);
    text.push('<');
    left.iter().for_each(|p| text.push_str(p.text()));
    if left.iter().any(|p| matches!(p, Piece::Literal(_))) {
        return Err(Reason::InvalidChar('['));
    }
    if !syntax.smtputf8 && !text.is_ascii() {
        return Err(Reason::NonAsciiLeft);
    }
    let strict_left = |t: &str| {
        if let Some(c) = t
            .chars()
            .find(|&c| c.is_ascii() && c != '.' && !is_atext(c as u8))
        {
            return Err(Reason::InvalidChar(c));
        }
        if t.split('.').any(str::is_empty) {
            return Err(Reason::Dots);
        }
        Ok(())
    };
    let at_offset = match right {
        None if strict && !token => return Err(Reason::MissingAt),
        None => {
            if strict {
                // A Content-ID token: id-left characters, dots as they come.
                if let Some(c) = text[1..]
                    .chars()
                    .find(|&c| c.is_ascii() && c != '.' && !is_atext(c as u8))
                {
                    return Err(Reason::InvalidChar(c));
                }
            }
            0
        }
        Some(right) => {
            if strict {
                if text.len() == 1 {
                    return Err(Reason::EmptyLeft);
                }
                strict_left(&text[1..])?;
            }
            if right.iter().any(|p| matches!(p, Piece::Quoted(_))) {
                return Err(Reason::Quote);
            }
            let right: String = right.iter().map(Piece::text).collect();
            let at = text.len();
            text.push('@');
            if strict {
                text.push_str(&id_right(&right)?);
            } else if right.is_ascii() {
                text.push_str(&right);
            } else {
                text.push_str(&idn::to_a_labels(&right)?);
            }
            at
        }
    };
    text.push('>');
    if text.contains("=?") {
        return Err(Reason::EncodedWordLike);
    }
    if text.len() > MsgId::MAX_LEN {
        return Err(Reason::TooLong {
            len: text.len(),
            max: MsgId::MAX_LEN,
        });
    }
    Ok(MsgId {
        text: text.into_boxed_str(),
        at: at_offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason_in(s: &str, mode: Mode) -> Reason {
        match MsgId::parse_in(s, mode, false) {
            Err(Error::InvalidId { reason, .. }) => reason,
            other => panic!("{s:?} parsed as {other:?}"),
        }
    }

    fn reason(s: &str) -> Reason {
        reason_in(s, Mode::Strict)
    }

    fn compatible(s: &str) -> String {
        MsgId::parse_in(s, Mode::Compatible, false)
            .unwrap_or_else(|e| panic!("{s:?}: {e}"))
            .as_str()
            .to_owned()
    }

    #[test]
    fn heroku_id_is_kept_whole() {
        let s = "<154810422972.4.16142961424846318784@aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com>";
        let id = MsgId::parse(s).unwrap();
        assert_eq!(id.as_str(), s);
        assert_eq!(id.left(), "154810422972.4.16142961424846318784");
        assert!(id.is_rfc5322());
    }

    #[test]
    fn liberal_forms_outside_the_brackets() {
        assert_eq!(MsgId::parse(" \t<a@b> ").unwrap().as_str(), "<a@b>");
        assert_eq!(MsgId::parse("(c) <a@b> (d)").unwrap().as_str(), "<a@b>");
        assert_eq!(MsgId::parse("\r\n <a@b>").unwrap().as_str(), "<a@b>");
        assert_eq!(MsgId::parse("a@b").unwrap().as_str(), "<a@b>");
        assert_eq!(
            MsgId::parse("<a@[127.0.0.1]>").unwrap().right(),
            "[127.0.0.1]"
        );
        assert_eq!(
            MsgId::parse("<!#$%&'*+-/^_`{|}~@x>").unwrap().left(),
            "!#$%&'*+-/^_`{|}~"
        );
    }

    #[test]
    fn compatible_mode_writes_what_is_safe_as_given() {
        for given in [
            "<7f1c2b9e-1a2b-4c3d-9e8f-001122334455@localhost:8536>",
            "<a..b@x.example>",
            "<.a@x>",
            "<a.@x>",
            "<abc123>",
            "<\"a b\"@x.example>",
            "<\"a\\\"b\"@x.example>",
            "<a@b@x.example>",
            "<a@[IPv6:2001:db8::1]:25>",
        ] {
            assert_eq!(compatible(given), given);
            let id = MsgId::parse_in(given, Mode::Compatible, false).unwrap();
            assert!(!id.is_rfc5322(), "{given:?}");
        }
        assert_eq!(compatible("<a(comment)@x.example>"), "<a@x.example>");
        assert_eq!(compatible("< a@x.example >"), "<a@x.example>");
        assert_eq!(compatible("<a . b @ x . example>"), "<a.b@x.example>");
        assert_eq!(compatible("<a@x.example\r\n >"), "<a@x.example>");
        assert_eq!(compatible("<a@\n x.example>"), "<a@x.example>");
        assert_eq!(compatible("<a@büro.example>"), "<a@xn--bro-hoa.example>");
        // Each of these is refused by strict mode, with its reason.
        for (given, why) in [
            ("<7f1c2b9e@localhost:8536>", Reason::InvalidChar(':')),
            ("<a..b@x.example>", Reason::Dots),
            ("<abc123>", Reason::MissingAt),
            ("<\"a b\"@x.example>", Reason::Quote),
            ("<a(comment)@x.example>", Reason::Comment),
            ("< a@x.example >", Reason::Whitespace),
        ] {
            assert_eq!(reason(given), why, "{given:?}");
        }
    }

    #[test]
    fn compatible_mode_still_refuses_what_cannot_be_written_safely() {
        for (given, why) in [
            ("<a b@x.example>", Reason::Whitespace),
            ("<a(c)b@x.example>", Reason::Comment),
            ("<a\u{a0}b@x.example>", Reason::Whitespace),
            ("<a@x\"y\">", Reason::Quote),
            ("<>", Reason::Empty),
            ("< >", Reason::Empty),
            ("<=?utf-8?q?x?=@b>", Reason::EncodedWordLike),
            ("<ä@b>", Reason::NonAsciiLeft),
            ("<a@b\r\n>", Reason::Control('\r')),
            ("<a@b\n>", Reason::Control('\n')),
            ("<a\0@b>", Reason::Control('\0')),
            ("<a\u{85}@b>", Reason::Control('\u{85}')),
            ("<a@exa\u{200b}mple.cöm>", Reason::IdnaChanges('\u{200b}')),
            ("<a@x\u{ff0e}büro>", Reason::IdnaChanges('\u{ff0e}')),
            ("<a<b@x>", Reason::InvalidChar('<')),
            ("<a\\b@x>", Reason::InvalidChar('\\')),
            ("<a@büro.example:25>", Reason::InvalidChar(':')),
        ] {
            assert_eq!(reason_in(given, Mode::Compatible), why, "{given:?}");
        }
        let long = format!("<{}@x.example>", "a".repeat(990));
        assert!(matches!(
            reason_in(&long, Mode::Compatible),
            Reason::TooLong { .. }
        ));
    }

    #[test]
    fn idn_right_becomes_a_labels() {
        assert_eq!(
            MsgId::parse("<x@büro.example>").unwrap().right(),
            "xn--bro-hoa.example"
        );
        assert_eq!(
            MsgId::parse("<x@例え.テスト>").unwrap().right(),
            "xn--r8jz45g.xn--zckzah"
        );
        assert_eq!(reason("<x@bü_ro.example>"), Reason::InvalidChar('_'));
        assert_eq!(reason("<x@bü..example>"), Reason::Dots);
        for c in ['\u{200b}', '\u{ad}', '\u{2060}', '\u{ff0e}'] {
            assert_eq!(
                reason(&format!("<x@bü{c}ro.example>")),
                Reason::IdnaChanges(c)
            );
        }
    }

    #[test]
    fn each_rejection_has_its_reason() {
        assert_eq!(reason("<>"), Reason::Empty);
        assert_eq!(reason(""), Reason::Empty);
        assert_eq!(reason("   "), Reason::Empty);
        assert_eq!(reason("<ab>"), Reason::MissingAt);
        assert_eq!(reason("<a@b@c>"), Reason::MultipleAt);
        assert_eq!(reason("<@b>"), Reason::EmptyLeft);
        assert_eq!(reason("<a@>"), Reason::EmptyRight);
        assert_eq!(reason("<a@b"), Reason::Unclosed);
        assert_eq!(reason("(x <a@b>"), Reason::Unclosed);
        assert_eq!(reason("hello"), Reason::Unexpected('h'));
        assert_eq!(reason("<a b@c>"), Reason::Whitespace);
        assert_eq!(reason("<\"a b\"@c>"), Reason::Quote);
        assert_eq!(reason("<a(c)@b>"), Reason::Comment);
        assert_eq!(reason("<ä@b>"), Reason::NonAsciiLeft);
        assert_eq!(reason("<a..b@c>"), Reason::Dots);
        assert_eq!(reason("<.a@c>"), Reason::Dots);
        assert_eq!(reason("<a.@c>"), Reason::Dots);
        assert_eq!(reason("<a@b..c>"), Reason::Dots);
        assert_eq!(reason("<a@.b>"), Reason::Dots);
        assert_eq!(reason("<a;b@c>"), Reason::InvalidChar(';'));
        assert_eq!(reason("<a@b,c>"), Reason::InvalidChar(','));
        assert_eq!(reason("<a@[1.2\\]>"), Reason::InvalidChar('\\'));
        // '>' and '"' are dtext, but end or break an id in parsers.
        assert_eq!(reason("<a@[6>1]>"), Reason::InvalidChar('['));
        assert!(crate::Domain::parse("[6>1]").is_err());
        assert!(crate::Domain::parse("[\"92.0.2.1]").is_err());
        assert_eq!(
            MsgId::parse("<a@[IPv6:2001:db8::1]>").unwrap().right(),
            "[IPv6:2001:db8::1]"
        );
        assert_eq!(reason("<a@[1.2>"), Reason::InvalidChar('['));
        assert_eq!(reason("<=?utf-8?q?x?=@b>"), Reason::EncodedWordLike);
        assert_eq!(reason("<a@b> <c@d>"), Reason::NotOne { found: 2 });
    }

    #[test]
    fn control_characters_and_injection_are_rejected_in_both_modes() {
        for bad in [
            "<a@b>\r\nBcc: victim@example.com",
            "<a@b>\nBcc: victim@example.com",
            "<a@b>\rX: y",
            "<a\r\n@b>",
            "<a@b\r\n>",
            "<a\0@b>",
            "<a\x1b@b>",
            "<a\x7f@b>",
            "<a\u{85}@b>",
            "<a\u{feff}@b>",
            "a@b\r\nBcc: x@y",
            "(\r\nBcc: x) <a@b>",
            "<a@b>\r\n",
            "<\"a\tb\"@c>",
            "<\"a\\\tb\"@c>",
        ] {
            for mode in [Mode::Strict, Mode::Compatible] {
                assert!(
                    matches!(reason_in(bad, mode), Reason::Control(_)),
                    "{bad:?} {mode:?}: {:?}",
                    reason_in(bad, mode)
                );
            }
        }
        // Control wins over every other complaint.
        assert_eq!(reason("<a \"b\r\n@c>"), Reason::Control('\r'));
    }

    #[test]
    fn length_limit() {
        let left = "a".repeat(MsgId::MAX_LEN - "<@example.com>".len());
        let ok = format!("<{left}@example.com>");
        assert_eq!(MsgId::parse(&ok).unwrap().len(), MsgId::MAX_LEN);
        let too_long = format!("<{left}a@example.com>");
        assert_eq!(
            reason(&too_long),
            Reason::TooLong {
                len: 998,
                max: MsgId::MAX_LEN
            }
        );
    }

    #[test]
    fn lists_drop_commas_and_repeats_and_keep_order() {
        let ids = MsgIds::parse("<c@x>,<a@x> , <b@x>\r\n\t<a@x> (comment (nested)) d@x").unwrap();
        let v: Vec<&str> = ids.iter().map(MsgId::as_str).collect();
        assert_eq!(v, ["<c@x>", "<a@x>", "<b@x>", "<d@x>"]);
        assert!(MsgIds::parse(" , ").is_err());
        // A repeat after IDNA conversion is still a repeat.
        assert_eq!(
            MsgIds::parse("<a@büro.example> <a@xn--bro-hoa.example>")
                .unwrap()
                .len(),
            1
        );
        // LF-only folds, as IMAP libraries hand them over: compatible mode only.
        assert!(MsgIds::parse("<a@x>\n <b@x>").is_err());
        assert_eq!(
            MsgIds::parse_in("<a@x>\n <b@x>", Mode::Compatible, false)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn long_lists_drop_repeats() {
        let ids: Vec<String> = (0..100).map(|i| format!("<{i}@x.example>")).collect();
        let list = format!("{} {} 7@x.example", ids.join(" "), ids.join(", "));
        let parsed = MsgIds::parse(&list).unwrap();
        assert_eq!(parsed.to_string(), ids.join(" "));
    }

    #[test]
    fn generated_ids_are_compact_and_unique() {
        let d = Domain::parse("example.com").unwrap();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let id = MsgId::generate(&d);
            assert_eq!(id.left().len(), 32);
            assert!(id.left().bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(MsgId::parse(id.as_str()).unwrap(), id);
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn content_ids() {
        assert_eq!(ContentId::parse("123").unwrap().as_str(), "<123>");
        assert_eq!(
            ContentId::parse("<part1.06090408.01060107>")
                .unwrap()
                .to_string(),
            "part1.06090408.01060107"
        );
        assert!(ContentId::parse("a b").is_err());
        assert!(ContentId::parse("<a@b> <c@d>").is_err());
        // A token moved whole to a continuation line reads back.
        let token = format!("<{}>", "u".repeat(990));
        assert_eq!(
            ContentId::parse(&format!("\r\n {token}")).unwrap().as_str(),
            token
        );
        for bad in [
            format!("\r\n{token}"),
            format!("{token}\r\n"),
            format!("\n {token}"),
        ] {
            assert!(ContentId::parse(&bad).is_err(), "{bad:?}");
        }
    }
}
