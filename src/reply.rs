//! Replies that thread: In-Reply-To and References from the parent message (RFC 5322
//! section 3.6.4).
//!
//! A reply's In-Reply-To is the parent's Message-ID. Its References is the parent's References
//! (or, when the parent has none, its In-Reply-To if that holds exactly one id) followed by the
//! parent's Message-ID. Long threads are trimmed to a [`ThreadLimit`]: the root, then the most
//! recent ids, ending with the parent.
//!
//! A [`Parent`] is read from a message built here, or from raw header values as an IMAP
//! client hands them over: folded, with comments, with commas. A parent whose identifier
//! headers were written as RFC 2047 encoded-words (as lettre 0.11 writes a non-ASCII id) is
//! decoded and its ids validated like any other input, then written plain: refusing it would
//! make every reply to such a message unthreadable, and the decoded id is exactly the id the
//! sender meant. An encoded-word that does not decode to valid ids is an error.

use crate::{
    error::Reason,
    msgid::MsgIdStr,
    msgid::{parse_list, parse_one, Mode, Syntax},
    rfc2047, Error, MsgIds,
};

/// How a parent's ids are read: whatever can be written safely, so that a reply to any
/// parent a reader could thread threads here too.
const PARENT: Syntax = Syntax {
    mode: Mode::Compatible,
    smtputf8: false,
};

/// The most ids a reply's References keeps.
///
/// # Example
///
/// ```
/// use letterhead::reply::ThreadLimit;
///
/// assert_eq!(ThreadLimit::default().max_ids(), 20);
/// assert_eq!(ThreadLimit::new(1).max_ids(), 2); // the root and the parent, at least
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadLimit(usize);

impl ThreadLimit {
    /// Keeps at most `max_ids` ids (at least 2: the root and the parent).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::reply::ThreadLimit::new(50).max_ids(), 50);
    /// ```
    pub fn new(max_ids: usize) -> Self {
        ThreadLimit(max_ids.max(2))
    }

    /// The bound.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::reply::ThreadLimit::new(5).max_ids(), 5);
    /// ```
    pub fn max_ids(self) -> usize {
        self.0
    }
}

impl Default for ThreadLimit {
    fn default() -> Self {
        ThreadLimit(20)
    }
}

/// The message being replied to: its Message-ID and the thread it belongs to.
///
/// # Example
///
/// ```
/// use letterhead::{reply::Parent, Message};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // As an IMAP client returns them: folded, with a comment and commas.
/// let parent = Parent::from_headers(
///     "<p@mail.example.org>",
///     Some("<root@mail.example.org>,\r\n <mid@mail.example.org> (the middle)"),
///     None,
/// )?;
/// let reply = Message::builder()
///     .from("app@example.com".parse()?)
///     .to("user@example.org".parse()?)
///     .replying_to(&parent)
///     .subject("Re: hello")
///     .body(String::from("Thanks!"))?;
/// assert_eq!(reply.headers().get_raw("In-Reply-To"), Some("<p@mail.example.org>"));
/// assert_eq!(
///     reply.headers().get_raw("References"),
///     Some("<root@mail.example.org> <mid@mail.example.org> <p@mail.example.org>"),
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    /// The parent's own thread, oldest first, then the parent's Message-ID, which is in it
    /// only there.
    thread: MsgIds,
}

impl Parent {
    /// A parent from its raw header values: Message-ID, and References and In-Reply-To when
    /// it has them. Encoded-words are decoded first (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] naming the parent's header whose value is not valid, as
    /// `parent Message-ID`, `parent References` or `parent In-Reply-To`; [`Error::Policy`]
    /// naming the header for an encoded-word that cannot be decoded.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::reply::Parent;
    ///
    /// // What lettre 0.11 writes for `<CAF9a7kq3@mx.büro.example>`.
    /// let p = Parent::from_headers("=?utf-8?b?PENBRjlhN2txM0BteC5iw7xyby5leGFtcGxlPg==?=", None, None)?;
    /// assert_eq!(p.message_id().as_str(), "<CAF9a7kq3@mx.xn--bro-hoa.example>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn from_headers(
        message_id: &str,
        references: Option<&str>,
        in_reply_to: Option<&str>,
    ) -> Result<Self, Error> {
        // Errors name the parent's header, not to be taken for the reply's own.
        const MID: &str = "parent Message-ID";
        const REFS: &str = "parent References";
        const IRT: &str = "parent In-Reply-To";
        let message_id = parse_one(MID, &decoded(MID, message_id)?, PARENT)?;
        let ancestors = match (references, in_reply_to) {
            (Some(refs), _) => Some(parse_list(REFS, &decoded(REFS, refs)?, PARENT)?),
            (None, Some(irt)) => {
                let ids = parse_list(IRT, &decoded(IRT, irt)?, PARENT)?;
                // Several ids in In-Reply-To say nothing about order (RFC 5322 3.6.4).
                (ids.len() == 1).then_some(ids)
            }
            (None, None) => None,
        };
        let thread = match ancestors {
            // The parent's own id goes last, wherever its References had it.
            Some(ancestors) => MsgIds::joined(
                ancestors
                    .iter()
                    .filter(|&id| id != message_id)
                    .chain([message_id.as_msg_id_str()]),
            ),
            None => MsgIds::from(message_id),
        };
        Ok(Parent { thread })
    }

    /// A parent from a built message's headers.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidId`] if the message has no Message-ID (naming `Message-ID`), or as
    /// [`Parent::from_headers`].
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{reply::Parent, Message};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let first = Message::builder()
    ///     .from("a@example.com".parse()?)
    ///     .to("b@example.org".parse()?)
    ///     .body(String::from("Hello"))?;
    /// let parent = Parent::from_message(&first)?;
    /// assert_eq!(Some(parent.message_id().as_str()), first.headers().get_raw("Message-ID"));
    /// # Ok(()) }
    /// ```
    pub fn from_message(message: &lettre::Message) -> Result<Self, Error> {
        let h = message.headers();
        let id = h
            .get_raw("Message-ID")
            .ok_or_else(|| Error::invalid_id("parent Message-ID", "", Reason::Empty))?;
        Parent::from_headers(id, h.get_raw("References"), h.get_raw("In-Reply-To"))
    }

    /// The parent's Message-ID: the reply's In-Reply-To.
    ///
    /// # Example
    ///
    /// ```
    /// let p = letterhead::reply::Parent::from_headers("<p@x.example>", None, None)?;
    /// assert_eq!(p.message_id().as_str(), "<p@x.example>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn message_id(&self) -> &MsgIdStr {
        self.thread.last()
    }

    /// The reply's References: the parent's thread and then its Message-ID, trimmed to
    /// `limit` by keeping the root and the most recent ids.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::reply::{Parent, ThreadLimit};
    ///
    /// let refs: Vec<String> = (0..30).map(|i| format!("<{i}@x.example>")).collect();
    /// let p = Parent::from_headers("<p@x.example>", Some(&refs.join(" ")), None)?;
    /// let thread = p.references(ThreadLimit::new(4));
    /// assert_eq!(thread.to_string(), "<0@x.example> <28@x.example> <29@x.example> <p@x.example>");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn references(&self, limit: ThreadLimit) -> MsgIds {
        let (all, max) = (&self.thread, limit.max_ids());
        if all.len() <= max {
            return all.clone();
        }
        // The thread holds no repeats, so neither does this.
        MsgIds::joined(std::iter::once(all.first()).chain(all.iter().skip(all.len() - (max - 1))))
    }
}

/// `value` with its encoded-words decoded, or as it is if it has none.
fn decoded(header: &str, value: &str) -> Result<String, Error> {
    if !rfc2047::has_encoded_word(value) {
        return Ok(value.to_owned());
    }
    rfc2047::decode(value).map_err(|why| Error::Policy {
        header: header.to_owned(),
        reason: format!("{value:?}: {why}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_reply_to_is_used_only_without_references_and_when_single() {
        let p = Parent::from_headers("<p@x>", None, Some("<a@x>")).unwrap();
        assert_eq!(
            p.references(ThreadLimit::default()).to_string(),
            "<a@x> <p@x>"
        );
        let p = Parent::from_headers("<p@x>", None, Some("<a@x> <b@x>")).unwrap();
        assert_eq!(p.references(ThreadLimit::default()).to_string(), "<p@x>");
        let p = Parent::from_headers("<p@x>", Some("<r@x>"), Some("<a@x>")).unwrap();
        assert_eq!(
            p.references(ThreadLimit::default()).to_string(),
            "<r@x> <p@x>"
        );
    }

    #[test]
    fn the_parent_is_not_repeated_and_the_limit_keeps_root_and_recent() {
        let p = Parent::from_headers("<p@x>", Some("<r@x> <p@x> <m@x>"), None).unwrap();
        assert_eq!(
            p.references(ThreadLimit::default()).to_string(),
            "<r@x> <m@x> <p@x>"
        );
        let refs: Vec<String> = (0..100).map(|i| format!("<{i}@x>")).collect();
        let p = Parent::from_headers("<p@x>", Some(&refs.join(",")), None).unwrap();
        let t = p.references(ThreadLimit::default());
        assert_eq!(t.len(), 20);
        assert_eq!(t.first().as_str(), "<0@x>");
        assert_eq!(t.last().as_str(), "<p@x>");
        assert_eq!(t[1].as_str(), "<82@x>");
    }

    #[test]
    fn parents_with_obsolete_or_nonconforming_ids_thread() {
        let p = Parent::from_headers(
            "< p (comment) @x.example >",
            Some("<\"a b\"@x.example>\n <7f1c@localhost:8536>, <a..b@x.example> <abc123>"),
            None,
        )
        .unwrap();
        assert_eq!(p.message_id().as_str(), "<p@x.example>");
        assert_eq!(
            p.references(ThreadLimit::default()).to_string(),
            "<\"a b\"@x.example> <7f1c@localhost:8536> <a..b@x.example> <abc123> <p@x.example>"
        );
    }

    #[test]
    fn encoded_parents_are_decoded_or_refused() {
        // lettre's encoding of a CR/LF-bearing id: decodes to an id with a line break, which
        // is refused naming the header.
        let crlf = "=?utf-8?b?PGFAYj4NCkJjYzogeEB5?="; // "<a@b>\r\nBcc: x@y"
        let err = Parent::from_headers(crlf, None, None).unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidId {
                reason: Reason::Control('\r'),
                ..
            }
        ));
        assert!(err.to_string().starts_with("parent Message-ID: "));
        let err = Parent::from_headers("<p@x>", Some("=?koi8-r?b?AAAA?="), None).unwrap_err();
        assert!(err.to_string().starts_with("parent References: "), "{err}");
    }
}
