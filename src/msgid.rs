//! Message identifiers: [`MsgId`] and [`MsgIds`].
//!
//! RFC 5322 section 3.6.4:
//!
//! ```text
//! msg-id   = [CFWS] "<" id-left "@" id-right ">" [CFWS]
//! id-left  = dot-atom-text
//! id-right = dot-atom-text / no-fold-literal
//! ```
//!
//! A [`MsgId`] exists only if it is valid: the only ways in are [`MsgId::parse`] (and its
//! SMTPUTF8 twin) and [`MsgId::generate`]. Parsing is liberal where real mail is harmlessly
//! sloppy (surrounding whitespace and comments, a bare `left@right` without angle brackets,
//! commas between ids, extra dots in id-left) and strict wherever a value could break the
//! header: whitespace, quotes, comments or control characters inside an id, a non-ASCII
//! id-left outside SMTPUTF8 mode, `=?`, or an id too long for a 998-octet line.

use std::{borrow::Cow, fmt, str::FromStr};

use crate::{domain::Domain, error::Reason, Error};

/// A valid RFC 5322 msg-id, such as `<5f1d6c@mail.example.com>`.
///
/// Always written with its angle brackets; a non-ASCII id-right is held as A-labels
/// (IDNA / UTS 46), so it can be written into any header without encoding.
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
    /// Byte offset of the `@` in `text`.
    at: usize,
}

/// The header name used in errors from [`MsgId::parse`] and [`MsgIds::parse`], which are not
/// tied to a header.
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

    /// Parses one msg-id for ASCII mail: id-left must be ASCII, and a non-ASCII id-right is
    /// turned into A-labels.
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
        parse_one(NO_HEADER, s, false)
    }

    /// Parses one msg-id for SMTPUTF8 mail (RFC 6532): as [`MsgId::parse`], but a non-ASCII
    /// id-left is kept as UTF-8.
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
        parse_one(NO_HEADER, s, true)
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
        let mut text = String::with_capacity(left.len() + domain.as_str().len() + 3);
        text.push('<');
        text.push_str(left);
        text.push('@');
        text.push_str(domain.as_str());
        text.push('>');
        MsgId {
            at: left.len() + 1,
            text: text.into_boxed_str(),
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

    /// The part before the `@`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgId::parse("<left@right>")?.left(), "left");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn left(&self) -> &str {
        &self.text[1..self.at]
    }

    /// The part after the `@`: A-labels, or a `[...]` literal.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgId::parse("<left@right>")?.right(), "right");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn right(&self) -> &str {
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
        parse_list(NO_HEADER, s, false).map(MsgIds)
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
        parse_list(NO_HEADER, s, true).map(MsgIds)
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
pub struct ContentId(Box<str>);

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
        parse_content_id("Content-ID", s, false)
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
        parse_content_id("Content-ID", s, true)
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
        ContentId(MsgId::generate(domain).text)
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
        for b in self.0[1..self.0.len() - 1].bytes() {
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
        f.write_str(&self.0[1..self.0.len() - 1])
    }
}

impl fmt::Debug for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ContentId").field(&&*self.0).finish()
    }
}

/// Parses a Content-ID value: a msg-id, or a bare `<token>` of id-left characters.
pub(crate) fn parse_content_id(header: &str, s: &str, smtputf8: bool) -> Result<ContentId, Error> {
    let err = |reason| Error::invalid_id(header, s, reason);
    if !s.contains('@') {
        let trimmed = trim_fws(s);
        let inner = match trimmed.strip_prefix('<') {
            Some(rest) => rest
                .strip_suffix('>')
                .ok_or_else(|| err(Reason::Unclosed))?,
            None => trimmed,
        };
        if inner.is_empty() {
            return Err(err(Reason::Empty));
        }
        if let Some(c) = inner.chars().find(|c| c.is_control()) {
            return Err(err(Reason::Control(c)));
        }
        if let Some(c) = inner
            .chars()
            .find(|&c| !(c.is_ascii() && (is_atext(c as u8) || c == '.')))
        {
            return Err(err(if c.is_whitespace() {
                Reason::Whitespace
            } else if !c.is_ascii() {
                Reason::NonAsciiLeft
            } else {
                Reason::InvalidChar(c)
            }));
        }
        if inner.contains("=?") {
            return Err(err(Reason::EncodedWordLike));
        }
        if inner.len() + 2 > MsgId::MAX_LEN {
            return Err(err(Reason::TooLong {
                len: inner.len() + 2,
                max: MsgId::MAX_LEN,
            }));
        }
        return Ok(ContentId(format!("<{inner}>").into()));
    }
    parse_one(header, s, smtputf8).map(|id| ContentId(id.text))
}

/// `s` without the spaces, tabs and folds (CRLF + space or tab) around it: what the policy
/// writes around a Content-ID token, a long one on a continuation line. A CR or LF that is no
/// fold stays, for the caller to refuse.
fn trim_fws(s: &str) -> &str {
    let b = s.as_bytes();
    let mut start = 0;
    loop {
        match b.get(start) {
            Some(b' ' | b'\t') => start += 1,
            Some(b'\r') if fold_at(b, start) => start += 3,
            _ => break,
        }
    }
    let mut end = b.len();
    while end > start && matches!(b[end - 1], b' ' | b'\t') {
        end -= 1;
        if end >= start + 2 && &b[end - 2..end] == b"\r\n" {
            end -= 2;
        }
    }
    &s[start..end]
}

/// Parses a header value that holds exactly one msg-id.
pub(crate) fn parse_one(header: &str, s: &str, smtputf8: bool) -> Result<MsgId, Error> {
    let mut first = None;
    let found = scan(s, smtputf8, |text, at| {
        first.get_or_insert_with(|| MsgId {
            text: text.into(),
            at,
        });
    })
    .map_err(|reason| Error::invalid_id(header, s, reason))?;
    match first {
        Some(id) if found == 1 => Ok(id),
        _ => Err(Error::invalid_id(header, s, Reason::NotOne { found })),
    }
}

/// Parses a header value that holds one or more msg-ids; drops repeats, keeps order.
pub(crate) fn parse_list(header: &str, s: &str, smtputf8: bool) -> Result<Vec<MsgId>, Error> {
    let mut ids = Vec::new();
    scan(s, smtputf8, |text, at| {
        ids.push(MsgId {
            text: text.into(),
            at,
        });
    })
    .map_err(|reason| Error::invalid_id(header, s, reason))?;
    Ok(ids)
}

/// Scans a header value of msg-ids and hands each new one to `emit` in its written form
/// (`<left@right>`) with the offset of its `@`, in order, repeats dropped; returns how many
/// it handed over. An id the input already holds in its written form is handed over as a
/// slice of the input: scanning allocates only for ids it has to rewrite (bare or IDN ones)
/// and for the repeat check.
pub(crate) fn scan<'s>(
    s: &'s str,
    smtputf8: bool,
    mut emit: impl FnMut(&str, usize),
) -> Result<usize, Reason> {
    let b = s.as_bytes();
    let mut seen = Seen {
        input_len: s.len(),
        ..Seen::default()
    };
    let mut i = skip_cfws(b, 0)?;
    while i < b.len() {
        let (id, at, next): (Cow<'s, str>, usize, usize) = if b[i] == b'<' {
            if let Some((end, at)) = quick_id(b, i + 1) {
                // Already in its written form: borrowed.
                (Cow::Borrowed(&s[i..=end]), at - i, end + 1)
            } else {
                let end = i + 1 + s[i + 1..].find('>').ok_or(Reason::Unclosed)?;
                let id = id_from_parts(&s[i + 1..end], smtputf8)?;
                (Cow::Owned(id.text.into()), id.at, end + 1)
            }
        } else {
            // A bare `left@right`: runs up to whitespace, a fold, a comma, or a bracket.
            let mut j = i;
            while j < b.len()
                && !matches!(b[j], b' ' | b'\t' | b',' | b'<' | b'(')
                && !fold_at(b, j)
            {
                j += 1;
            }
            let token = &s[i..j];
            if !token.contains('@') {
                let c = token.chars().next().unwrap_or(' ');
                return Err(if c.is_control() {
                    Reason::Control(c)
                } else {
                    Reason::Unexpected(c)
                });
            }
            let id = id_from_parts(token, smtputf8)?;
            (Cow::Owned(id.text.into()), id.at, j)
        };
        i = skip_cfws(b, next)?;
        // The last id need not be remembered: a one-id header allocates nothing here.
        if seen.first_time(&id, i < b.len()) {
            emit(&id, at);
        }
    }
    if seen.count == 0 {
        return Err(Reason::Empty);
    }
    Ok(seen.count)
}

/// The ids a scan has handed over, for dropping repeats: up to [`Seen::SMALL`] ids compared
/// by a quick hash first, then a set keyed by a randomly seeded hash, so a long list stays
/// linear whatever its ids are.
#[derive(Default)]
struct Seen<'s> {
    /// Octets of input the ids come from: sizes the set, so it need not grow id by id.
    input_len: usize,
    count: usize,
    small: Vec<(u64, Cow<'s, str>)>,
    large: Option<std::collections::HashSet<Cow<'s, str>>>,
}

impl<'s> Seen<'s> {
    const SMALL: usize = 32;

    /// Whether `id` is new; records it if `keep`. A borrowed id is recorded without a copy.
    #[allow(clippy::ptr_arg)] // the `Cow` itself is what gets cloned: free when borrowed
    fn first_time(&mut self, id: &Cow<'s, str>, keep: bool) -> bool {
        let new = match &mut self.large {
            // One hash per id: inserting is the check.
            Some(set) => set.insert(id.clone()),
            // Nothing to compare with and nothing to keep: no hash needed.
            None if self.small.is_empty() && !keep => true,
            None => {
                let h = quick_hash(id.as_bytes());
                let new = !self.small.iter().any(|(k, t)| *k == h && t == id);
                if new && keep {
                    self.keep(h, id.clone());
                }
                new
            }
        };
        self.count += usize::from(new);
        new
    }

    fn keep(&mut self, hash: u64, id: Cow<'s, str>) {
        if self.small.len() < Self::SMALL {
            if self.small.is_empty() {
                self.small.reserve_exact(Self::SMALL / 2);
            }
            self.small.push((hash, id));
            return;
        }
        // Past a few ids, a set keyed by a randomly seeded hash, sized for the ids the rest
        // of the input holds if they are as long as these, so it need not grow id by id.
        let average = self.small.iter().map(|(_, t)| t.len()).sum::<usize>() / Self::SMALL;
        let room = (self.input_len / average.max(1)).max(2 * Self::SMALL);
        let mut set = std::collections::HashSet::with_capacity(room);
        set.extend(self.small.drain(..).map(|(_, t)| t));
        set.insert(id);
        self.large = Some(set);
    }
}

/// A fast non-cryptographic hash for the few ids of a short list (FxHash's mixing, eight
/// octets at a time). Only a filter before comparing the ids themselves.
fn quick_hash(b: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = b.len() as u64;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    for &c in words.remainder() {
        h = (h.rotate_left(5) ^ u64::from(c)).wrapping_mul(K);
    }
    h
}

/// The common case in one quick pass: at `b[start]`, just after a `<`, an ASCII `left@right>`
/// with a dot-atom-text right, no `=?`, within [`MsgId::MAX_LEN`]. Returns the offsets of the
/// `>` and the `@`; `None` sends the id to [`id_from_parts`], which accepts or rejects it with
/// its reason. Never accepts what `id_from_parts` refuses, and then means exactly the same id
/// (checked by a test).
fn quick_id(b: &[u8], start: usize) -> Option<(usize, usize)> {
    // id-left: atext and dots (obs-id-left); then the `@`.
    let at = run_id(b, start, &LEFT)?;
    if at == start || b[at] != b'@' {
        return None;
    }
    // id-right: labels of atext joined by single dots; then the `>`.
    let mut end = at + 1;
    loop {
        let label_end = run_id(b, end, &LABEL)?;
        if label_end == end {
            return None;
        }
        end = label_end;
        match b[end] {
            b'.' => end += 1,
            b'>' => break,
            _ => return None,
        }
    }
    (end - start + 2 <= MsgId::MAX_LEN).then_some((end, at))
}

/// Whether `b` is an ASCII dot-atom-text without `=?`: labels of atext joined by single
/// dots, as [`quick_id`] takes an id-right.
pub(crate) fn plain_dot_atom(b: &[u8]) -> bool {
    let mut start = 0;
    loop {
        let end = run_id(b, start, &LABEL).unwrap_or(b.len());
        if end == start {
            return false;
        }
        match b.get(end) {
            None => return true,
            Some(b'.') => start = end + 1,
            Some(_) => return false,
        }
    }
}

/// [`run`] over an id's octets: the tables leave out `=`, which may continue a run unless a
/// `?` follows it (`=?` starts an encoded-word).
#[inline(always)]
fn run_id(b: &[u8], from: usize, table: &[bool; 256]) -> Option<usize> {
    let mut i = from;
    loop {
        let stop = run(b, i, table)?;
        if b[stop] == b'=' && b.get(stop + 1) != Some(&b'?') {
            i = stop + 1;
        } else {
            return Some(stop);
        }
    }
}

/// The offset of the first octet from `from` on that `table` refuses; `None` if there is
/// none. Four octets per bounds check.
#[inline(always)]
fn run(b: &[u8], from: usize, table: &[bool; 256]) -> Option<usize> {
    let ok = |i: usize| table[usize::from(b[i])];
    let mut i = from;
    while i + 4 <= b.len() {
        if !ok(i) {
            return Some(i);
        }
        if !ok(i + 1) {
            return Some(i + 1);
        }
        if !ok(i + 2) {
            return Some(i + 2);
        }
        if !ok(i + 3) {
            return Some(i + 3);
        }
        i += 4;
    }
    (i..b.len()).find(|&i| !ok(i))
}

/// What [`quick_id`] runs over in an id-right label: atext but `=`, indexed by any octet.
const LABEL: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 128 {
        table[c] = ATEXT[c] && c != b'=' as usize;
        c += 1;
    }
    table
};

/// What [`quick_id`] runs over in an id-left: atext but `=`, and `.` (dot-atom-text or
/// obs-id-left), indexed by any octet.
const LEFT: [bool; 256] = {
    let mut table = LABEL;
    table[b'.' as usize] = true;
    table
};

/// `CRLF` followed by a space or tab: a fold, which is whitespace between ids.
fn fold_at(b: &[u8], i: usize) -> bool {
    b.len() > i + 2 && b[i] == b'\r' && b[i + 1] == b'\n' && matches!(b[i + 2], b' ' | b'\t')
}

/// Skips whitespace, folds, commas and (nested) comments between ids.
fn skip_cfws(b: &[u8], mut i: usize) -> Result<usize, Reason> {
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b',' => i += 1,
            b'\r' if fold_at(b, i) => i += 3,
            b'(' => {
                // A comment, possibly nested, with quoted-pairs and folds.
                let mut depth = 0usize;
                loop {
                    let Some(&c) = b.get(i) else {
                        return Err(Reason::Unclosed);
                    };
                    match c {
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        b'\\' => {
                            i += 1;
                            match b.get(i) {
                                None => return Err(Reason::Unclosed),
                                Some(&q) if q.is_ascii_control() && q != b'\t' => {
                                    return Err(Reason::Control(q as char))
                                }
                                Some(_) => {}
                            }
                        }
                        b'\r' if fold_at(b, i) => i += 2,
                        c if c.is_ascii_control() && c != b'\t' => {
                            return Err(Reason::Control(c as char))
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            _ => break,
        }
    }
    Ok(i)
}

/// Validates the text between the angle brackets (or a bare id) and builds the [`MsgId`].
fn id_from_parts(inner: &str, smtputf8: bool) -> Result<MsgId, Reason> {
    if inner.is_empty() {
        return Err(Reason::Empty);
    }
    // One pass notes what the checks below need; they then report the worst problem first:
    // a control character could break the header open. Bytes, for speed: a non-ASCII
    // character is decoded only where one starts.
    let mut control = None;
    let (mut quote, mut paren, mut space, mut encoded_word) = (false, false, false, false);
    let (mut at, mut ats) = (None, 0);
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'@' => {
                ats += 1;
                at.get_or_insert(i);
            }
            b'"' => quote = true,
            b'(' | b')' => paren = true,
            b'?' if i > 0 && b[i - 1] == b'=' => encoded_word = true,
            c @ (0..=0x1f | 0x7f) => {
                control.get_or_insert(c as char);
            }
            b' ' => space = true,
            0x80.. => {
                let c = inner[i..].chars().next().unwrap_or_default();
                // U+FEFF counts as a control here, as in `policy::verify`: readers hide it.
                if c.is_control() || c == '\u{feff}' {
                    control.get_or_insert(c);
                } else if c.is_whitespace() {
                    space = true;
                }
                i += c.len_utf8();
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if let Some(c) = control {
        return Err(Reason::Control(c));
    }
    if quote {
        return Err(Reason::Quote);
    }
    if paren {
        return Err(Reason::Comment);
    }
    if space {
        return Err(Reason::Whitespace);
    }
    let at = at.ok_or(Reason::MissingAt)?;
    if ats > 1 {
        return Err(Reason::MultipleAt);
    }
    let (left, right) = (&inner[..at], &inner[at + 1..]);
    if left.is_empty() {
        return Err(Reason::EmptyLeft);
    }
    for &c in left.as_bytes() {
        if c.is_ascii() {
            // dot-atom-text; extra dots (obs-id-left) are harmless and occur in real mail.
            if !(is_atext(c) || c == b'.') {
                return Err(Reason::InvalidChar(c as char));
            }
        } else if !smtputf8 {
            return Err(Reason::NonAsciiLeft);
        }
    }
    let right = parse_id_right(right)?;
    let len = left.len() + right.len() + 3;
    if len > MsgId::MAX_LEN {
        return Err(Reason::TooLong {
            len,
            max: MsgId::MAX_LEN,
        });
    }
    // A-labels and literals hold neither '=' nor '?', so the input alone decides.
    if encoded_word {
        return Err(Reason::EncodedWordLike);
    }
    let mut text = String::with_capacity(len);
    text.push('<');
    text.push_str(left);
    text.push('@');
    text.push_str(&right);
    text.push('>');
    Ok(MsgId {
        at: left.len() + 1,
        text: text.into_boxed_str(),
    })
}

/// Validates an id-right (also used for Message-ID domains): a dot-atom-text, a
/// no-fold-literal (`[...]`), or a non-ASCII domain, which becomes A-labels.
pub(crate) fn parse_id_right(right: &str) -> Result<Cow<'_, str>, Reason> {
    if right.is_empty() {
        return Err(Reason::EmptyRight);
    }
    if let Some(rest) = right.strip_prefix('[') {
        // no-fold-literal = "[" *dtext "]". dtext also allows <, >, @, quotes and parens,
        // which end or split a msg-id in every real parser; address literals
        // ([192.0.2.1], [IPv6:2001:db8::1]) need only letters, digits, '.', ':' and '-'.
        let inner = rest.strip_suffix(']').ok_or(Reason::InvalidChar('['))?;
        return match inner
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '_')))
        {
            Some(c) if c.is_control() => Err(Reason::Control(c)),
            Some(c) => Err(Reason::InvalidChar(c)),
            None => Ok(Cow::Borrowed(right)),
        };
    }
    if right.is_ascii() {
        // dot-atom-text, in one pass: labels of atext, none empty.
        let mut label = 0;
        for b in right.bytes() {
            if b == b'.' {
                if label == 0 {
                    return Err(Reason::Dots);
                }
                label = 0;
            } else if b.is_ascii_control() {
                return Err(Reason::Control(b as char));
            } else if !is_atext(b) {
                return Err(Reason::InvalidChar(b as char));
            } else {
                label += 1;
            }
        }
        return if label == 0 {
            Err(Reason::Dots)
        } else {
            Ok(Cow::Borrowed(right))
        };
    }
    if let Some(c) = right.chars().find(|c| c.is_control()) {
        return Err(Reason::Control(c));
    }
    if let Some(c) = right
        .chars()
        .find(|&c| c.is_ascii() && !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
    {
        // A non-ASCII id-right must be a host name (letters, digits, hyphens), as IDNA needs.
        return Err(Reason::InvalidChar(c));
    }
    let ascii = idna::domain_to_ascii_strict(right).map_err(|_| Reason::Idna)?;
    if ascii.is_empty() || ascii.split('.').any(str::is_empty) {
        return Err(Reason::Dots);
    }
    Ok(Cow::Owned(ascii))
}

/// RFC 5322 section 3.2.3 atext, as a table.
const ATEXT: [bool; 128] = {
    let mut table = [false; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'/'
                    | b'='
                    | b'?'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            );
        c += 1;
    }
    table
};

fn is_atext(c: u8) -> bool {
    ATEXT.get(usize::from(c)).copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> Reason {
        match MsgId::parse(s) {
            Err(Error::InvalidId { reason, .. }) => reason,
            other => panic!("{s:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn heroku_id_is_kept_whole() {
        let s = "<154810422972.4.16142961424846318784@aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com>";
        let id = MsgId::parse(s).unwrap();
        assert_eq!(id.as_str(), s);
        assert_eq!(id.left(), "154810422972.4.16142961424846318784");
        assert_eq!(
            id.right(),
            "aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com"
        );
    }

    #[test]
    fn liberal_forms() {
        assert_eq!(MsgId::parse(" \t<a@b> ").unwrap().as_str(), "<a@b>");
        assert_eq!(MsgId::parse("(c) <a@b> (d)").unwrap().as_str(), "<a@b>");
        assert_eq!(MsgId::parse("\r\n <a@b>").unwrap().as_str(), "<a@b>");
        assert_eq!(MsgId::parse("a@b").unwrap().as_str(), "<a@b>");
        assert_eq!(
            MsgId::parse("<a@[127.0.0.1]>").unwrap().right(),
            "[127.0.0.1]"
        );
        assert_eq!(MsgId::parse("<a..b.@c>").unwrap().left(), "a..b.");
        assert_eq!(
            MsgId::parse("<!#$%&'*+-/^_`{|}~@x>").unwrap().left(),
            "!#$%&'*+-/^_`{|}~"
        );
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
        assert_eq!(reason("<x@bü..example>"), Reason::Idna);
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
        assert_eq!(reason("<a@b..c>"), Reason::Dots);
        assert_eq!(reason("<a@.b>"), Reason::Dots);
        assert_eq!(reason("<a;b@c>"), Reason::InvalidChar(';'));
        assert_eq!(reason("<a@b,c>"), Reason::InvalidChar(','));
        assert_eq!(reason("<a@[1.2\\]>"), Reason::InvalidChar('\\'));
        // Found by fuzzing: '>' and '"' are dtext, but end or break an id in parsers.
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
    fn control_characters_and_injection_are_rejected() {
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
        ] {
            assert!(
                matches!(reason(bad), Reason::Control(_)),
                "{bad:?}: {:?}",
                reason(bad)
            );
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
        // A repeat after IDNA normalisation is still a repeat.
        assert_eq!(
            MsgIds::parse("<a@büro.example> <a@xn--bro-hoa.example>")
                .unwrap()
                .len(),
            1
        );
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

    /// Pieces of ids: mostly valid ones, and every class of octet the checks tell apart.
    const VALID: &[&str] = &[
        "a", "Z", "0", "-", ".", "..", "=", "?", "=?", "_", "!", "~", "xn--",
    ];
    const INVALID: &[&str] = &[
        "@", "[", "]", "\"", "(", ")", " ", "\t", "\r", "\n", "\u{7f}", "\u{0}", "<", ">", ",",
        ":", "ü", "\u{feff}", "\u{2028}", "é",
    ];

    /// `left@right` (the `@` left out one time in ten), each side a few pieces.
    fn pieces() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            8 => proptest::sample::select(VALID),
            1 => proptest::sample::select(INVALID),
        ];
        let side = || proptest::collection::vec(piece.clone(), 0..6).prop_map(|v| v.concat());
        (side(), proptest::bool::weighted(0.9), side())
            .prop_map(|(l, at, r)| format!("{l}{}{r}", if at { "@" } else { "" }))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// The quick path accepts only what the full check accepts, with the same text.
        #[test]
        fn quick_id_agrees_with_id_from_parts(inner in pieces(), tail in "[> ]{0,2}") {
            let text = format!("<{inner}{tail}");
            if let Some((end, at)) = quick_id(text.as_bytes(), 1) {
                proptest::prop_assert_eq!(end, text.find('>').expect("ends at the first '>'"));
                let full = id_from_parts(&text[1..end], false).expect("full check accepts it");
                proptest::prop_assert_eq!(&*full.text, &text[..=end]);
                proptest::prop_assert_eq!(full.at, at);
            }
        }

        /// Lists: what the scan hands over (borrowed or built) equals the ids parsed one by one.
        #[test]
        fn scan_agrees_with_single_ids(a in pieces(), b in pieces(), sep in "[ ,\t]{1,2}") {
            let list = format!("<{a}>{sep}<{b}>");
            let mut got = Vec::new();
            let scanned = scan(&list, false, |t, at| got.push((t.to_owned(), at)));
            let one = |s: &str| id_from_parts(s, false).map(|id| (String::from(id.text), id.at));
            match (one(&a), one(&b)) {
                (Ok(x), Ok(y)) => {
                    let want = if x == y { vec![x] } else { vec![x, y] };
                    proptest::prop_assert_eq!(scanned, Ok(want.len()));
                    proptest::prop_assert_eq!(got, want);
                }
                _ => proptest::prop_assert!(scanned.is_err()),
            }
        }
    }

    #[test]
    fn a_content_id_token_reads_back_from_a_continuation_line() {
        // The policy moves a token too long for the first line to a line of its own.
        let token = format!("<{}>", "u".repeat(990));
        let name = lettre::message::header::HeaderName::new_from_ascii_str("Content-ID");
        let policy = crate::IdentifierPolicy::new();
        let written = crate::HeaderPolicy::encode(&policy, &name, &token).unwrap();
        assert_eq!(written, format!("\r\n {token}"));
        assert_eq!(ContentId::parse(&written).unwrap().as_str(), token);
        assert_eq!(
            ContentId::parse(&format!(" \t{token}\r\n "))
                .unwrap()
                .as_str(),
            token
        );
        // A CR or LF that is no fold is still refused, before or after.
        for bad in [
            format!("\r\n{token}"),
            format!("{token}\r\n"),
            format!("\n {token}"),
        ] {
            assert!(ContentId::parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn long_lists_drop_repeats_past_the_small_set() {
        let ids: Vec<String> = (0..100).map(|i| format!("<{i}@x.example>")).collect();
        let mut list = ids.join(" ");
        list.push(' ');
        list.push_str(&ids.join(", ")); // every id again, after the set took over
        list.push_str(" 7@x.example <7@x.example>");
        let parsed = MsgIds::parse(&list).unwrap();
        assert_eq!(parsed.len(), 100);
        assert_eq!(parsed.to_string(), ids.join(" "));
    }
}
