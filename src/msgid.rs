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

use std::{fmt, hash, str::FromStr};

use crate::{
    domain::Domain,
    error::Reason,
    grammar::{fold_at, id_right, is_atext, is_control_or_format, skip_cfws, Cfws},
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

/// A msg-id that can be written safely, such as `<5f1d6c@mail.example.com>`: owned, as
/// `String` is to `str`. It derefs to [`MsgIdStr`], the borrowed form a [`MsgIds`] list
/// hands out, where its methods live.
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
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsgId(String);

/// A msg-id, borrowed: what [`MsgIds`] hands out and [`MsgId`] derefs to, as `str` is to
/// `String`. Only letterhead's reader and [`MsgId`] make one, so it always holds a msg-id
/// that can be written safely.
///
/// # Example
///
/// ```
/// use letterhead::{msgid::MsgIdStr, MsgIds};
///
/// let refs = MsgIds::parse("<a@x.example> <b@y.example>")?;
/// let last: &MsgIdStr = refs.last();
/// assert_eq!(last.right(), "y.example");
/// assert_eq!(last.to_owned().as_str(), "<b@y.example>");
/// # Ok::<(), letterhead::Error>(())
/// ```
#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct MsgIdStr(str);

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
        let mut text = String::with_capacity(left.len() + domain.as_str().len() + 3);
        text.push('<');
        text.push_str(left);
        text.push('@');
        text.push_str(domain.as_str());
        text.push('>');
        MsgId(text)
    }

    /// The id as a [`MsgIdStr`] (also reached through `Deref`).
    ///
    /// # Example
    ///
    /// ```
    /// let id = letterhead::MsgId::parse("<a@b>")?;
    /// assert_eq!(id.as_msg_id_str().right(), "b");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn as_msg_id_str(&self) -> &MsgIdStr {
        MsgIdStr::from_checked(&self.0)
    }
}

impl MsgIdStr {
    /// `s`, which the reader (or [`MsgId`]) made: a msg-id that can be written safely.
    fn from_checked(s: &str) -> &MsgIdStr {
        // SAFETY: `MsgIdStr` is `#[repr(transparent)]` over `str`, so the two references have
        // the same layout and metadata; the lifetime is kept.
        unsafe { &*(s as *const str as *const MsgIdStr) }
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
        &self.0
    }

    /// Where the `@` that ends id-left is: the last one outside a quoted string or a
    /// literal, as the reader found it; `None` for an id without one (only compatible mode
    /// and Content-IDs have those).
    fn at(&self) -> Option<usize> {
        let b = self.0.as_bytes();
        let (mut i, mut at) = (0, None);
        while i < b.len() {
            match b[i] {
                b'"' => {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'[' => i += self.0[i..].find(']').unwrap_or(b.len() - i),
                b'@' => at = Some(i),
                _ => {}
            }
            i += 1;
        }
        at
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
        &self.0[1..self.at().unwrap_or(self.0.len() - 1)]
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
        self.at().map_or("", |at| &self.0[at + 1..self.0.len() - 1])
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
        self.0.len()
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
            &self.0[1..self.0.len() - 1],
            Syntax {
                mode: Mode::Strict,
                smtputf8: true,
            },
            false,
        )
        .is_ok()
    }
}

impl std::ops::Deref for MsgId {
    type Target = MsgIdStr;

    fn deref(&self) -> &MsgIdStr {
        self.as_msg_id_str()
    }
}

impl std::borrow::Borrow<MsgIdStr> for MsgId {
    fn borrow(&self) -> &MsgIdStr {
        self
    }
}

impl ToOwned for MsgIdStr {
    type Owned = MsgId;

    fn to_owned(&self) -> MsgId {
        MsgId(self.0.to_owned())
    }
}

impl AsRef<MsgIdStr> for MsgId {
    fn as_ref(&self) -> &MsgIdStr {
        self
    }
}

impl AsRef<MsgIdStr> for MsgIdStr {
    fn as_ref(&self) -> &MsgIdStr {
        self
    }
}

impl PartialEq<MsgIdStr> for MsgId {
    fn eq(&self, other: &MsgIdStr) -> bool {
        **self == *other
    }
}

impl PartialEq<MsgId> for MsgIdStr {
    fn eq(&self, other: &MsgId) -> bool {
        *self == **other
    }
}

impl PartialEq<MsgId> for &MsgIdStr {
    fn eq(&self, other: &MsgId) -> bool {
        **self == **other
    }
}

impl fmt::Display for MsgIdStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MsgIdStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MsgId").field(&&self.0).finish()
    }
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl fmt::Debug for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl AsRef<str> for MsgIdStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for MsgId {
    fn as_ref(&self) -> &str {
        &self.0
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
        id.0
    }
}

impl From<&MsgIdStr> for MsgId {
    fn from(id: &MsgIdStr) -> MsgId {
        id.to_owned()
    }
}

/// One or more msg-ids, as In-Reply-To and References hold (RFC 5322 section 3.6.4), in one
/// buffer: a list allocates twice, however many ids it holds.
///
/// Parsing accepts ids separated by whitespace, folding, comments or commas (seen in the wild;
/// dropped), drops repeated ids keeping the first, and keeps the order. Never empty. The ids
/// are handed out as [`MsgIdStr`]s.
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
#[derive(Clone)]
pub struct MsgIds {
    /// The ids, one after another (and, after repeats were dropped, text no span covers).
    text: String,
    /// Where each id is in `text`, in order.
    spans: Vec<(usize, usize)>,
}

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
        parse_list(NO_HEADER, s, Syntax::STRICT)
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
        parse_list(NO_HEADER, s, Syntax { mode, smtputf8 })
    }

    /// Appends `id` unless the list holds it already; returns whether it was added. Looks
    /// through the whole list: to join lists, use [`extend`](Self::extend).
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{MsgId, MsgIds};
    ///
    /// let mut ids = MsgIds::from(MsgId::parse("<a@b>")?);
    /// assert!(ids.push(&MsgId::parse("<c@d>")?));
    /// assert!(!ids.push(&MsgId::parse("<a@b>")?));
    /// assert_eq!(ids.len(), 2);
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn push(&mut self, id: &MsgIdStr) -> bool {
        if self.contains(id) {
            return false;
        }
        self.append(id.as_str());
        true
    }

    /// Appends the ids of `other` that the list does not hold yet, in their order: in
    /// O(n log n) for n ids in all.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::MsgIds;
    ///
    /// let mut ids = MsgIds::parse("<a@b> <c@d>")?;
    /// ids.extend(&MsgIds::parse("<c@d> <e@f> <a@b>")?);
    /// assert_eq!(ids.to_string(), "<a@b> <c@d> <e@f>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn extend(&mut self, other: &MsgIds) {
        self.text.reserve(other.iter().map(MsgIdStr::len).sum());
        self.spans.reserve(other.len());
        for id in other {
            self.append(id.as_str());
        }
        self.dedup();
    }

    /// Whether the list holds `id`.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{MsgId, MsgIds};
    ///
    /// let ids = MsgIds::parse("<a@b> <c@d>")?;
    /// assert!(ids.contains(&MsgId::parse("c@d")?));
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn contains(&self, id: &MsgIdStr) -> bool {
        self.iter().any(|own| own == id)
    }

    /// The first id.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgIds::parse("<a@b> <c@d>")?.first().as_str(), "<a@b>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn first(&self) -> &MsgIdStr {
        self.id(self.spans[0])
    }

    /// The last id.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::MsgIds::parse("<a@b> <c@d>")?.last().as_str(), "<c@d>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn last(&self) -> &MsgIdStr {
        self.id(self.spans[self.spans.len() - 1])
    }

    /// The id at `index`, if there is one.
    ///
    /// # Example
    ///
    /// ```
    /// let ids = letterhead::MsgIds::parse("<a@b> <c@d>")?;
    /// assert_eq!(ids.get(1).map(|id| id.as_str()), Some("<c@d>"));
    /// assert!(ids.get(2).is_none());
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn get(&self, index: usize) -> Option<&MsgIdStr> {
        self.spans.get(index).map(|&span| self.id(span))
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
        self.spans.len()
    }

    /// Iterates over the ids, in order.
    ///
    /// # Example
    ///
    /// ```
    /// let ids = letterhead::MsgIds::parse("<a@b> <c@d>")?;
    /// let rights: Vec<&str> = ids.iter().map(|id| id.right()).collect();
    /// assert_eq!(rights, ["b", "d"]);
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            text: &self.text,
            spans: self.spans.iter(),
        }
    }

    /// The ids, each as a [`MsgId`] of its own.
    ///
    /// # Example
    ///
    /// ```
    /// let ids = letterhead::MsgIds::parse("<a@b> <c@d>")?.to_vec();
    /// assert_eq!(ids[1].as_str(), "<c@d>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn to_vec(&self) -> Vec<MsgId> {
        self.iter().map(MsgIdStr::to_owned).collect()
    }

    /// A list of `ids` (at least one), repeats dropped.
    #[cfg(feature = "builder")]
    pub(crate) fn joined<'a>(ids: impl IntoIterator<Item = &'a MsgIdStr>) -> MsgIds {
        let mut list = MsgIds {
            text: String::new(),
            spans: Vec::new(),
        };
        ids.into_iter().for_each(|id| list.append(id.as_str()));
        assert!(!list.spans.is_empty(), "a list of ids is never empty");
        list.dedup();
        list
    }

    fn id(&self, (start, end): (usize, usize)) -> &MsgIdStr {
        MsgIdStr::from_checked(&self.text[start..end])
    }

    /// Appends the text of an id, repeat or not.
    fn append(&mut self, id: &str) {
        let start = self.text.len();
        self.text.push_str(id);
        self.spans.push((start, self.text.len()));
    }

    /// Drops repeated ids, keeping the first of each, in order. Sorting (not hashing) finds
    /// the repeats: O(n log n) whatever the ids, and cheap for the few ids of a real header.
    fn dedup(&mut self) {
        if self.spans.len() < 2 {
            return;
        }
        // Each id's text and position, sorted: equal ids stand together, the first first.
        let text = &self.text;
        let mut order: Vec<(&str, usize)> = self
            .spans
            .iter()
            .map(|&(start, end)| &text[start..end])
            .zip(0..)
            .collect();
        order.sort_unstable();
        // The positions of the later ones of each run of equal ids.
        let mut repeats: Vec<usize> = order
            .windows(2)
            .filter(|pair| pair[0].0 == pair[1].0)
            .map(|pair| pair[1].1)
            .collect();
        if repeats.is_empty() {
            return;
        }
        repeats.sort_unstable();
        let (mut repeats, mut index) = (repeats.into_iter().peekable(), 0);
        self.spans.retain(|_| {
            let repeat = repeats.next_if_eq(&index).is_some();
            index += 1;
            !repeat
        });
    }
}

/// The ids of a [`MsgIds`], in order: what [`MsgIds::iter`] returns.
///
/// # Example
///
/// ```
/// let ids = letterhead::MsgIds::parse("<a@b> <c@d>")?;
/// let mut iter = ids.iter();
/// assert_eq!(iter.len(), 2);
/// assert_eq!(iter.next_back().map(|id| id.as_str()), Some("<c@d>"));
/// # Ok::<(), letterhead::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    text: &'a str,
    spans: std::slice::Iter<'a, (usize, usize)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a MsgIdStr;

    fn next(&mut self) -> Option<&'a MsgIdStr> {
        let &(start, end) = self.spans.next()?;
        Some(MsgIdStr::from_checked(&self.text[start..end]))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let &(start, end) = self.spans.next_back()?;
        Some(MsgIdStr::from_checked(&self.text[start..end]))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl PartialEq for MsgIds {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for MsgIds {}

impl hash::Hash for MsgIds {
    fn hash<H: hash::Hasher>(&self, state: &mut H) {
        self.len().hash(state);
        self.iter().for_each(|id| id.hash(state));
    }
}

impl std::ops::Index<usize> for MsgIds {
    type Output = MsgIdStr;

    /// The id at `index`.
    ///
    /// # Panics
    ///
    /// If `index` is out of bounds, as for a slice.
    fn index(&self, index: usize) -> &MsgIdStr {
        self.id(self.spans[index])
    }
}

impl From<MsgId> for MsgIds {
    fn from(id: MsgId) -> Self {
        MsgIds {
            spans: vec![(0, id.0.len())],
            text: id.0,
        }
    }
}

impl From<&MsgIdStr> for MsgIds {
    fn from(id: &MsgIdStr) -> Self {
        MsgIds::from(id.to_owned())
    }
}

impl<'a> IntoIterator for &'a MsgIds {
    type Item = &'a MsgIdStr;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
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
        for (i, id) in self.iter().enumerate() {
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
        f.debug_list().entries(self.iter()).finish()
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

impl From<ContentId> for MsgId {
    fn from(cid: ContentId) -> MsgId {
        cid.0
    }
}

impl From<ContentId> for MsgIds {
    fn from(cid: ContentId) -> MsgIds {
        MsgIds::from(cid.0)
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
    let ids = read(s, syntax, false).map_err(|r| Error::invalid_id(header, s, r))?;
    match ids.len() {
        // The reader's text holds nothing but the one id.
        1 => Ok(MsgId(ids.text)),
        found => Err(Error::invalid_id(header, s, Reason::NotOne { found })),
    }
}

/// Parses a header value that holds one or more msg-ids; drops repeats, keeps order.
pub(crate) fn parse_list(header: &str, s: &str, syntax: Syntax) -> Result<MsgIds, Error> {
    let mut ids = read(s, syntax, false).map_err(|r| Error::invalid_id(header, s, r))?;
    ids.dedup();
    Ok(ids)
}

/// Parses a Content-ID value: a msg-id, or a bare `<token>` (RFC 2045 section 7, as mail
/// software has always written it).
pub(crate) fn parse_content_id(header: &str, s: &str, syntax: Syntax) -> Result<ContentId, Error> {
    let ids = read(s, syntax, true).map_err(|r| Error::invalid_id(header, s, r))?;
    match ids.len() {
        1 => Ok(ContentId(MsgId(ids.text))),
        found => Err(Error::invalid_id(header, s, Reason::NotOne { found })),
    }
}

/// The ids of a header value, in order, in one buffer.
fn read(s: &str, syntax: Syntax, tokens: bool) -> Result<MsgIds, Reason> {
    let mut text = String::with_capacity(s.len() + 2);
    // Room for as many ids as a header of ids of 32 octets holds (most real ids are longer),
    // so the list rarely grows id by id.
    let mut spans = Vec::with_capacity(s.len() / 32 + 1);
    scan(s, syntax, tokens, &mut text, |start, end| {
        spans.push((start, end))
    })?;
    Ok(MsgIds { text, spans })
}

/// Reads the msg-ids of a header value in order, handing each to `emit`. Between ids:
/// whitespace, folds, comments and commas (seen in the wild). An id is `<...>`, or a bare
/// `left@right` (a bare token without `@` where `tokens`, for Content-ID), which gets its
/// brackets.
fn scan(
    s: &str,
    syntax: Syntax,
    tokens: bool,
    text: &mut String,
    mut emit: impl FnMut(usize, usize),
) -> Result<(), Reason> {
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
        let start = text.len();
        let (at, next) = if let Some((end, at)) = quick_id(b, i) {
            text.push_str(&s[i..=end]);
            (at - i, end + 1)
        } else if b[i] == b'<' {
            let end = i + 1 + s[i + 1..].find('>').ok_or(Reason::Unclosed)?;
            let (id, at) = bracketed(&s[i + 1..end], syntax, tokens)?;
            text.push_str(&id);
            (at, end + 1)
        } else {
            let len = s[i..]
                .find([' ', '\t', '\r', '\n', ',', '<', '('])
                .unwrap_or(s.len() - i);
            let token = &s[i..i + len];
            if !tokens && !token.contains('@') {
                return Err(Reason::Unexpected(token.chars().next().unwrap_or(' ')));
            }
            let (id, at) = bracketed(token, syntax, tokens)?;
            text.push_str(&id);
            (at, i + len)
        };
        // The `@` the reader found is the one `MsgIdStr` finds again when asked.
        debug_assert_eq!(
            MsgIdStr::from_checked(&text[start..]).at(),
            (at != 0).then_some(at),
            "{:?}",
            &text[start..]
        );
        emit(start, text.len());
        found += 1;
        i = between(next)?;
    }
    if found == 0 {
        return Err(Reason::Empty);
    }
    Ok(())
}

/// The common id, quickly: at `b[start]`, `<left@right>` with both sides ASCII
/// dot-atom-text without `=` (so without `=?`), within [`MsgId::MAX_LEN`]. Returns the offsets
/// of its `>` and its `@`. Every id it takes, [`bracketed`] takes in both modes and writes the
/// same (a property test checks it); `None` leaves the id to [`bracketed`], which takes or
/// refuses it and names why. It keeps References of many ids from costing more than lettre's
/// own writing of them (BENCHMARKS.md).
fn quick_id(b: &[u8], start: usize) -> Option<(usize, usize)> {
    if b.get(start) != Some(&b'<') {
        return None;
    }
    let mut i = start + 1;
    let mut at = None;
    loop {
        // A label: a run of atext other than `=`, never empty; then what ends it.
        let len = b[i..].iter().position(|&c| !QUICK_LABEL[usize::from(c)])?;
        if len == 0 {
            return None;
        }
        i += len;
        match b[i] {
            b'.' => {}
            b'@' if at.is_none() => at = Some(i),
            b'>' if at.is_some() => break,
            _ => return None,
        }
        i += 1;
    }
    (i - start < MsgId::MAX_LEN).then_some((i, at?))
}

/// What [`quick_id`] takes in a label: atext other than `=`.
const QUICK_LABEL: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 128 {
        table[c] = crate::grammar::ATEXT[c] && c != b'=' as usize;
        c += 1;
    }
    table
};

/// A piece of the text between an id's angle brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// A run of characters other than the ones below.
    Word,
    /// A quoted string.
    Quoted,
    /// A domain literal.
    Literal,
    Dot,
    At,
    Cfws(Cfws),
}

/// Octets that end a word: whitespace and the characters that start or end another piece.
/// Every other printable ASCII octet and every non-ASCII one continues it.
const ENDS_WORD: [bool; 256] = {
    let mut table = [false; 256];
    let ends = b" \t\r\n()\"[].@<>\\";
    let mut k = 0;
    while k < ends.len() {
        table[ends[k] as usize] = true;
        k += 1;
    }
    let mut c = 0;
    while c < 0x20 {
        table[c] = true;
        c += 1;
    }
    table[0x7f] = true;
    table
};

/// The first control character in `inner`: a C0 or C1 control, DEL, or a format character
/// (general category Cf: bidi controls, zero-width characters, U+FEFF), which readers hide. In compatible mode tabs and folds are whitespace (RFC 5322 4.5.4), not
/// controls; a quoted string refuses them itself.
fn first_control(inner: &str, compatible: bool) -> Option<char> {
    let b = inner.as_bytes();
    // Printable ASCII throughout (checked over the whole text, no early exit, so the compiler
    // checks many octets at once): nothing to look for.
    if b.iter()
        .fold(true, |ok, &c| ok & (b' '..=b'~').contains(&c))
    {
        return None;
    }
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\t' if compatible => i += 1,
            b'\r' | b'\n' if compatible && fold_at(b, i, true).is_some() => {
                i += fold_at(b, i, true).unwrap_or(1);
            }
            c @ (0..=0x1f | 0x7f) => return Some(c as char),
            0x80.. => {
                let c = inner[i..].chars().next().unwrap_or_default();
                if is_control_or_format(c) {
                    return Some(c);
                }
                i += c.len_utf8();
            }
            _ => i += 1,
        }
    }
    None
}

/// The piece at `inner[i..]` and where it ends.
fn piece(inner: &str, i: usize, compatible: bool) -> Result<(Piece, usize), Reason> {
    let b = inner.as_bytes();
    Ok(match b[i] {
        b' ' | b'\t' | b'\r' | b'\n' | b'(' => {
            let (end, seen) = skip_cfws(b, i, compatible)?;
            (Piece::Cfws(seen), end)
        }
        b'"' => {
            let mut j = i + 1;
            loop {
                match b.get(j) {
                    None => return Err(Reason::Unclosed),
                    Some(b'"') => break,
                    // A quoted-pair: the backslash and the character after it, whatever
                    // its length.
                    // The escaped character is held to the same rules as any other.
                    Some(b'\\') => match inner[j + 1..].chars().next() {
                        Some(c) if c.is_control() => return Err(Reason::Control(c)),
                        Some(c @ ('<' | '>')) => return Err(Reason::InvalidChar(c)),
                        Some(c) if c.is_whitespace() && c != ' ' => return Err(Reason::Whitespace),
                        Some(c) => j += 1 + c.len_utf8(),
                        None => return Err(Reason::Unclosed),
                    },
                    // Angle brackets would end or start an id for every other reader.
                    Some(&c @ (b'<' | b'>')) => return Err(Reason::InvalidChar(c as char)),
                    // Only a space: a tab or fold is a control character inside quotes.
                    Some(&c) if c.is_ascii_control() => return Err(Reason::Control(c as char)),
                    Some(0x80..) => {
                        let c = inner[j..].chars().next().unwrap_or_default();
                        if c.is_whitespace() {
                            return Err(Reason::Whitespace);
                        }
                        j += c.len_utf8();
                    }
                    Some(_) => j += 1,
                }
            }
            (Piece::Quoted, j + 1)
        }
        b'[' => {
            let len = inner[i..].find(']').ok_or(Reason::InvalidChar('['))?;
            let literal = &inner[i + 1..i + len];
            if let Some(c) = literal
                .chars()
                .find(|&c| matches!(c, '[' | '\\' | '<' | '>') || c.is_whitespace())
            {
                return Err(if c.is_whitespace() {
                    Reason::Whitespace
                } else {
                    Reason::InvalidChar(c)
                });
            }
            (Piece::Literal, i + len + 1)
        }
        b'.' => (Piece::Dot, i + 1),
        b'@' => (Piece::At, i + 1),
        c @ (b'<' | b'>' | b']' | b')' | b'\\') => return Err(Reason::InvalidChar(c as char)),
        _ => {
            let end = b[i..]
                .iter()
                .position(|&c| ENDS_WORD[usize::from(c)])
                .map_or(b.len(), |p| i + p);
            let word = &inner[i..end];
            if !word.is_ascii() && word.chars().any(char::is_whitespace) {
                return Err(Reason::Whitespace);
            }
            (Piece::Word, end)
        }
    })
}

/// Reads the text between an id's angle brackets (or a bare id) under `syntax`, in one pass
/// over its pieces. `token`: an id without `@` is a Content-ID token, taken in both modes.
fn bracketed(inner: &str, syntax: Syntax, token: bool) -> Result<(String, usize), Reason> {
    let strict = syntax.mode == Mode::Strict;
    // The worst problem first: a control character could break the header open.
    if let Some(c) = first_control(inner, !strict) {
        return Err(if c.is_control() {
            Reason::Control(c)
        } else {
            Reason::FormatChar(c)
        });
    }
    let mut text = String::with_capacity(inner.len() + 2);
    text.push('<');
    // Where the last `@` and the last quoted string and first literal are, in `text`.
    let (mut at, mut ats, mut quoted, mut literal) = (None, 0, None, None);
    // CFWS is dropped, except between two words, where dropping it would join them into
    // another id; strict mode takes none inside the brackets.
    let (mut after_word, mut cfws) = (false, None::<Cfws>);
    // Text is copied in runs: only dropped CFWS ends one.
    let mut run = 0;
    let mut i = 0;
    while i < inner.len() {
        let (kind, end) = piece(inner, i, !strict)?;
        // Where this piece starts in `text`.
        let here = text.len() + i - run;
        match kind {
            Piece::Cfws(seen) => {
                if strict {
                    return Err(if seen.comment {
                        Reason::Comment
                    } else {
                        Reason::Whitespace
                    });
                }
                cfws = Some(seen);
                text.push_str(&inner[run..i]);
                run = end;
            }
            Piece::Word | Piece::Quoted | Piece::Literal => {
                if let (true, Some(seen)) = (after_word, cfws) {
                    return Err(if seen.space {
                        Reason::Whitespace
                    } else {
                        Reason::Comment
                    });
                }
                match kind {
                    Piece::Quoted if strict => return Err(Reason::Quote),
                    Piece::Quoted => quoted = Some(here),
                    Piece::Literal => {
                        literal.get_or_insert(here);
                    }
                    _ => {}
                }
                (after_word, cfws) = (true, None);
            }
            Piece::Dot | Piece::At => {
                if kind == Piece::At {
                    at = Some(here);
                    ats += 1;
                }
                (after_word, cfws) = (false, None);
            }
        }
        i = end;
    }
    text.push_str(&inner[run..]);
    if text.len() == 1 {
        return Err(Reason::Empty);
    }
    if strict && ats > 1 {
        return Err(Reason::MultipleAt);
    }
    let left_end = at.unwrap_or(text.len());
    if literal.is_some_and(|l| l < left_end) {
        return Err(Reason::InvalidChar('['));
    }
    if !syntax.smtputf8 && !text[..left_end].is_ascii() {
        return Err(Reason::NonAsciiLeft);
    }
    match at {
        None if strict && !token => return Err(Reason::MissingAt),
        // A Content-ID token: id-left characters, dots as they come.
        None if strict => {
            if let Some(c) = text[1..]
                .chars()
                .find(|&c| c.is_ascii() && c != '.' && !is_atext(c as u8))
            {
                return Err(Reason::InvalidChar(c));
            }
        }
        None => {}
        Some(at) => {
            if quoted.is_some_and(|q| q > at) {
                return Err(Reason::Quote);
            }
            if strict {
                dot_atom_left(&text[1..at])?;
            }
            let right = &text[at + 1..];
            let written = if strict {
                id_right(right)?
            } else if right.is_ascii() {
                std::borrow::Cow::Borrowed(right)
            } else {
                std::borrow::Cow::Owned(idn::to_a_labels(right)?)
            };
            if let std::borrow::Cow::Owned(a_labels) = written {
                text.truncate(at + 1);
                text.push_str(&a_labels);
            }
        }
    }
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
    Ok((text, at.unwrap_or(0)))
}

/// An RFC 5322 id-left: dot-atom-text (atext labels, none empty); UTF-8 is checked by the
/// caller.
fn dot_atom_left(left: &str) -> Result<(), Reason> {
    if left.is_empty() {
        return Err(Reason::EmptyLeft);
    }
    let mut label = 0;
    for &c in left.as_bytes() {
        match c {
            b'.' if label == 0 => return Err(Reason::Dots),
            b'.' => label = 0,
            0x80.. => label += 1,
            c if is_atext(c) => label += 1,
            c => return Err(Reason::InvalidChar(c as char)),
        }
    }
    if label == 0 {
        return Err(Reason::Dots);
    }
    Ok(())
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
            ("<a@exa\u{200b}mple.cöm>", Reason::FormatChar('\u{200b}')),
            ("<a@x\u{ff0e}büro>", Reason::IdnaChanges('\u{ff0e}')),
            ("<a<b@x>", Reason::InvalidChar('<')),
            ("<a\\b@x>", Reason::InvalidChar('\\')),
            ("<a@büro.example:25>", Reason::InvalidChar(':')),
            // Found by fuzzing (F5, F6): what other readers split, and non-ASCII whitespace.
            ("\"a>b\"@x", Reason::InvalidChar('>')),
            ("a@[>]", Reason::InvalidChar('>')),
            ("a@x>", Reason::InvalidChar('>')),
            // Found by the property test: a quoted-pair of a two-octet character.
            ("<\"\\\u{37e}\"@x>", Reason::NonAsciiLeft),
            // Found by fuzzing: a quoted-pair does not let in what a quoted string refuses.
            ("\"a\\>b\"@x", Reason::InvalidChar('>')),
            ("<\"a\\<b\"@x>", Reason::InvalidChar('<')),
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
    fn non_ascii_whitespace_in_a_quoted_id_left_is_refused_in_smtputf8_mode() {
        for id in [
            "<\"a\u{2028}b\"@x>",
            "<\"a\u{3000}b\"@x>",
            "<\"a\\\u{2029}b\"@x>",
        ] {
            match MsgId::parse_in(id, Mode::Compatible, true) {
                Err(Error::InvalidId { reason, .. }) => assert_eq!(reason, Reason::Whitespace),
                other => panic!("{id:?}: {other:?}"),
            }
        }
        assert!(MsgId::parse_in("<\"grüße a\"@x>", Mode::Compatible, true).is_ok());
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
        // Format characters are refused as such, before IDNA sees them; a fullwidth full
        // stop (punctuation) is what IDNA would map.
        for c in ['\u{200b}', '\u{ad}', '\u{2060}'] {
            assert_eq!(
                reason(&format!("<x@bü{c}ro.example>")),
                Reason::FormatChar(c)
            );
        }
        assert_eq!(
            reason("<x@bü\u{ff0e}ro.example>"),
            Reason::IdnaChanges('\u{ff0e}')
        );
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
    fn format_characters_are_refused_in_both_modes_and_in_smtputf8() {
        // Bidi controls (embeddings, overrides, isolates), zero-width characters, U+FEFF,
        // the soft hyphen: general category Cf, in id-left, id-right or a quoted id-left.
        let cf = [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200b}', '\u{200e}', '\u{200f}', '\u{2060}', '\u{feff}',
            '\u{ad}', '\u{61c}',
        ];
        for c in cf {
            for id in [
                format!("<gr{c}üße@x.example>"),
                format!("<a@x{c}.example>"),
                format!("<\"a {c}b\"@x.example>"),
            ] {
                for (mode, utf8) in [
                    (Mode::Strict, true),
                    (Mode::Compatible, true),
                    (Mode::Compatible, false),
                ] {
                    match MsgId::parse_in(&id, mode, utf8) {
                        Err(Error::InvalidId { reason, .. }) => {
                            assert_eq!(reason, Reason::FormatChar(c), "{id:?} {mode:?} {utf8}")
                        }
                        other => panic!("{id:?} {mode:?} {utf8}: {other:?}"),
                    }
                }
            }
        }
        // Other non-ASCII letters and marks stay allowed in SMTPUTF8 mode.
        assert!(MsgId::parse_in("<grüße\u{301}@x.example>", Mode::Strict, true).is_ok());
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
        let v: Vec<&str> = ids.iter().map(MsgIdStr::as_str).collect();
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

    /// Pieces of ids: mostly valid ones, and every class of octet the checks tell apart.
    const VALID: &[&str] = &[
        "a", "Z", "0", "-", ".", "..", "=", "?", "=?", "_", "!", "~", "xn--",
    ];
    const INVALID: &[&str] = &[
        "@", "[", "]", "\"", "(", ")", " ", "\t", "\r\n ", "\r", "\n", "\u{7f}", "\u{0}", "<", ",",
        ":", "ü", "\u{feff}", "\u{2028}", "\\",
    ];

    /// `<left@right` and a tail (usually `>`), each side a few pieces.
    fn id_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            8 => proptest::sample::select(VALID),
            1 => proptest::sample::select(INVALID),
        ];
        let side = || proptest::collection::vec(piece.clone(), 0..6).prop_map(|v| v.concat());
        let tail = prop_oneof![4 => Just(">"), 1 => Just(""), 1 => Just("> "), 1 => Just(" >")];
        (side(), proptest::bool::weighted(0.9), side(), tail)
            .prop_map(|(l, at, r, t)| format!("<{l}{}{r}{t}", if at { "@" } else { "" }))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]

        /// The quick path takes only what the full reader takes, in both modes, as the same id.
        #[test]
        fn quick_id_agrees_with_the_full_reader(text in id_text()) {
            if let Some((end, at)) = quick_id(text.as_bytes(), 0) {
                proptest::prop_assert_eq!(end, text.find('>').expect("ends at the first '>'"));
                for mode in [Mode::Strict, Mode::Compatible] {
                    let syntax = Syntax { mode, smtputf8: false };
                    let full = bracketed(&text[1..end], syntax, false);
                    proptest::prop_assert!(full.is_ok(), "{:?}: {:?}", text, full);
                    let (full, full_at) = full.unwrap();
                    proptest::prop_assert_eq!(full.as_str(), &text[..=end]);
                    proptest::prop_assert_eq!(full_at, at);
                }
            }
        }
    }

    proptest::proptest! {
        /// Repeats go, the first of each stays, order is kept: as the obvious quadratic way.
        #[test]
        fn dedup_keeps_the_first_of_each(picks in proptest::collection::vec(0u8..6, 1..40)) {
            let ids: Vec<MsgId> = picks
                .iter()
                .map(|p| MsgId::parse(&format!("<{p}@x>")).unwrap())
                .collect();
            let mut want: Vec<MsgId> = Vec::new();
            for id in &ids {
                if !want.contains(id) {
                    want.push(id.clone());
                }
            }
            let list = MsgIds::joined(ids.iter().map(|id| id.as_msg_id_str()));
            proptest::prop_assert_eq!(list.to_vec(), want);
        }
    }

    #[test]
    fn the_quick_path_takes_the_common_id_and_leaves_the_rest() {
        let quick = |s: &str| quick_id(s.as_bytes(), 0).is_some();
        assert!(quick("<1548.4.1614@mail.example.com>"));
        for other in [
            "<a..b@x>", "<a@x.>", "<a=b@x>", "<a@b@c>", "<ü@x>", "<a b@x>", "<ab>", "<@x>", "<a@>",
        ] {
            assert!(!quick(other), "{other:?}");
        }
        let longest = format!("<{}@x>", "a".repeat(MsgId::MAX_LEN - 4));
        assert!(quick(&longest));
        assert!(!quick(&format!("<a{}", &longest[1..])));
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
