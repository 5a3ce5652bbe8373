//! [`MessageBuilder`]: lettre's, method for method, recording what the app passed in call
//! order; the identifier headers are read, written and verified when the message is built.

use std::{sync::Arc, time::SystemTime};

use lettre::message::{
    header::{self, Header, HeaderName, HeaderValue, Headers, MailboxesHeader},
    IntoBody, Mailbox, Mailboxes, SinglePart,
};

use super::{Message, MultiPart};
use crate::{
    address::{Address, Envelope},
    config::Config,
    domain::{resolve, Domain},
    error::HeaderProblem,
    grammar::is_dot_atom_text,
    headers::{self, Role},
    mime::{checked_singlepart, identifier_headers},
    msgid::parse_list,
    policy::{default_identifier_policy, syntax, takes, write_header, write_value, Holds, Value},
    verify::{check_header, check_header_name, each_header, encoded_text},
    Error, HeaderPolicy, MsgId,
};

static MESSAGE_ID: HeaderName = HeaderName::new_from_ascii_str("Message-ID");
static REFERENCES: HeaderName = HeaderName::new_from_ascii_str("References");
static IN_REPLY_TO: HeaderName = HeaderName::new_from_ascii_str("In-Reply-To");

/// What the builder was told about the Message-ID.
#[derive(Clone, Debug, Default)]
enum MessageIdIntent {
    /// Nothing, or `message_id(None)`: generate one at build time.
    #[default]
    Generate,
    /// A value to validate at build time.
    Given(String),
}

/// Builds a [`Message`]: lettre's `MessageBuilder`, method for method, plus
/// [`message_id_domain`](Self::message_id_domain) and [`policy`](Self::policy).
///
/// # Example
///
/// ```
/// use letterhead::message::{header::ContentType, Mailbox, MessageBuilder};
///
/// let email = MessageBuilder::new()
///     .from("App <app@example.com>".parse::<Mailbox>()?)
///     .to("user@example.org".parse()?)
///     .message_id_domain("mail.example.com")
///     .references("<root@example.org>".to_owned())
///     .references("<parent@example.org>".to_owned())
///     .subject("Re: hello")
///     .header(ContentType::TEXT_PLAIN)
///     .body(String::from("Hi!"))?;
///
/// let headers = email.headers();
/// assert_eq!(headers.get_raw("References"), Some("<root@example.org> <parent@example.org>"));
/// assert!(headers.get_raw("Message-ID").unwrap().ends_with("@mail.example.com>"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MessageBuilder {
    inner: lettre::message::MessageBuilder,
    /// Domain of the first From, as `from()` set it: step 4 of the domain order without
    /// parsing the headers back.
    from_domain: Option<String>,
    /// The rest of what the builder holds: boxed, and only once something is set, so the
    /// builder stays small to move from call to call.
    more: Option<Box<More>>,
    /// From or Sender also came in some other way (`header`, `raw_header`, `mailbox`): read
    /// the author from the built headers.
    author_untracked: bool,
    /// A header other than lettre's own typed ones came in through `header` or `raw_header`:
    /// it may be one the policy takes over (Content-ID, Resent-Message-ID, ...), so the built
    /// headers are searched for them.
    untyped_headers: bool,
}

/// What a [`MessageBuilder`] holds less often.
#[derive(Debug, Clone, Default)]
struct More {
    message_id: MessageIdIntent,
    /// In-Reply-To and References as set (and, for References, appended: one piece per call)
    /// so far: raw, validated at build time.
    in_reply_to: Option<String>,
    references: Vec<String>,
    domain: Option<String>,
    policy: Option<Arc<dyn HeaderPolicy>>,
    /// Domain of the Sender, as `sender()` set it (step 4 of the domain order).
    sender_domain: Option<String>,
    addresses: Addresses,
    /// Which of Message-ID, In-Reply-To and References hold a place in lettre's builder.
    placed: [bool; 3],
    /// The first value refused on the way in (a display name lettre could not write), to be
    /// reported when the message is built.
    refused: Option<Refused>,
    /// An address with a non-ASCII domain came in: written as A-labels at build time unless
    /// the policy is in SMTPUTF8 mode.
    idn_addresses: bool,
}

/// An error kept in a builder, which can be cloned.
#[derive(Debug)]
struct Refused(Error);

impl Clone for Refused {
    fn clone(&self) -> Self {
        Refused(self.0.duplicate())
    }
}

/// The addresses lettre derives the envelope from, as `from()`, `sender()`, `to()`, `cc()` and
/// `bcc()` set them, so lettre need not parse its own address headers back at build time.
#[derive(Debug, Clone, Default)]
struct Addresses {
    sender: Option<Address>,
    from: Option<Address>,
    from_count: usize,
    /// To, Cc and Bcc, in the order lettre lists them.
    to: Vec<Address>,
    cc: Vec<Address>,
    bcc: Vec<Address>,
    /// An address header came in some other way (`header`, `raw_header`, `mailbox`), an
    /// envelope was given, or an address is not plain: lettre derives the envelope itself.
    untracked: bool,
}

impl Addresses {
    /// Records `addr`; only plain `local@domain` addresses (dot-atoms, ASCII) are tracked, as
    /// those read back from the written header exactly as given.
    fn track(&mut self, addr: &Address) -> Option<Address> {
        let plain = is_dot_atom_text(addr.user()) && is_dot_atom_text(addr.domain());
        self.untracked |= !plain;
        (!self.untracked).then(|| addr.clone())
    }

    /// The envelope lettre would derive from the headers, when it can be known here: a
    /// reverse path (the Sender, else the one From) and at least one recipient. Otherwise
    /// lettre derives it, and reports what is missing.
    fn envelope(self) -> Option<Envelope> {
        if self.untracked {
            return None;
        }
        let from = self.sender.or(if self.from_count == 1 {
            self.from
        } else {
            None
        })?;
        let mut to = self.to;
        to.extend(self.cc);
        to.extend(self.bcc);
        Envelope::new(Some(from), to).ok()
    }
}

impl MessageBuilder {
    fn more(&mut self) -> &mut More {
        self.more.get_or_insert_with(Box::default)
    }

    /// Keeps `error` to report when the message is built, unless an earlier one is kept.
    fn refuse(&mut self, error: Error) {
        let refused = &mut self.more().refused;
        if refused.is_none() {
            *refused = Some(Refused(error));
        }
    }

    /// Whether `mbox` may go into header `header`: a display name with a control character
    /// other than HTAB is refused (lettre panics on CR and LF and encodes the others, which
    /// readers then show), to be reported when the message is built. Notes an IDN domain.
    fn admit(&mut self, header: &str, mbox: &Mailbox) -> bool {
        if let Some(problem) = mailbox_problem(mbox) {
            self.refuse(Error::InvalidHeader {
                header: header.to_owned(),
                problem,
            });
            return false;
        }
        if !mbox.email.domain().is_ascii() {
            self.more().idn_addresses = true;
        }
        true
    }

    /// Whether the address header `header` may go in: lettre's typed address headers panic
    /// when written with a display name holding CR or LF, so it is written here first, and a
    /// panic is kept as an error instead (the panic hook still reports it). Notes non-ASCII.
    fn admit_typed<H: Header>(&mut self, header: &H) -> Option<HeaderValue> {
        let name = H::name();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| header.display())) {
            Ok(value) => {
                let mut probe = Headers::new();
                probe.insert_raw(value.clone());
                let raw = probe.get_raw(&name).unwrap_or_default();
                // The names lettre encodes without complaint are held to the same rule as
                // those given to `to()` and the others.
                // What lettre writes of the mailboxes, names and addresses as given: a control
                // character other than a tab is in a name or an address, and refused as
                // `mailbox_problem` refuses it. (A line separator in an address is refused
                // with the header, if it is written.)
                let problem = raw
                    .chars()
                    .find(|&c| c.is_control() && c != '\t')
                    .map(|char| HeaderProblem::Mailbox {
                        mailbox: raw.to_owned(),
                        char,
                    });
                if let Some(problem) = problem {
                    self.refuse(Error::InvalidHeader {
                        header: name.to_string(),
                        problem,
                    });
                    return None;
                }
                if !raw.is_ascii() {
                    self.more().idn_addresses = true;
                }
                Some(value)
            }
            Err(_) => {
                // lettre panics on a CR or LF in a display name, and only then.
                self.refuse(Error::InvalidHeader {
                    header: name.to_string(),
                    problem: HeaderProblem::Mailbox {
                        mailbox: String::from("(a display name lettre cannot write)"),
                        char: '\r',
                    },
                });
                None
            }
        }
    }

    /// Holds the place of an identifier header the builder records, the first time it is set:
    /// lettre writes a header where it was first set, and the written value replaces this
    /// empty one there when the message is built.
    fn place(&mut self, name: &'static HeaderName) {
        let slot = [&MESSAGE_ID, &IN_REPLY_TO, &REFERENCES]
            .iter()
            .position(|n| *n == name)
            .unwrap_or(0);
        let placed = &mut self.more().placed[slot];
        if !*placed {
            *placed = true;
            self.inner = std::mem::take(&mut self.inner)
                .raw_header(HeaderValue::new(name.clone(), String::new()));
        }
    }

    /// Creates a new default message builder.
    ///
    /// # Example
    ///
    /// ```
    /// let builder = letterhead::message::MessageBuilder::new();
    /// # let _ = builder;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    fn map(
        mut self,
        f: impl FnOnce(lettre::message::MessageBuilder) -> lettre::message::MessageBuilder,
    ) -> Self {
        self.inner = f(self.inner);
        self
    }

    /// Set or add mailbox to `From` header ([RFC 5322 3.6.2]).
    ///
    /// [RFC 5322 3.6.2]: https://tools.ietf.org/html/rfc5322#section-3.6.2
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().from("a@example.com".parse()?);
    /// # let _ = b; Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from(mut self, mbox: Mailbox) -> Self {
        if !self.admit("From", &mbox) {
            return self;
        }
        if self.from_domain.is_none() {
            self.from_domain = Some(mbox.email.domain().to_owned());
        }
        let addresses = &mut self.more().addresses;
        addresses.from_count += 1;
        if let Some(a) = addresses.track(&mbox.email) {
            addresses.from.get_or_insert(a);
        }
        self.map(|b| b.from(mbox))
    }

    /// Set `Sender` header ([RFC 5322 3.6.2]). Its domain, when set, is step 4 of the
    /// Message-ID domain order.
    ///
    /// [RFC 5322 3.6.2]: https://tools.ietf.org/html/rfc5322#section-3.6.2
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().sender("a@example.com".parse()?);
    /// # let _ = b; Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sender(mut self, mbox: Mailbox) -> Self {
        if !self.admit("Sender", &mbox) {
            return self;
        }
        let more = self.more();
        more.sender_domain = Some(mbox.email.domain().to_owned());
        more.addresses.sender = more.addresses.track(&mbox.email);
        self.map(|b| b.sender(mbox))
    }

    /// Add `Date` header to message ([RFC 5322 3.6.1]).
    ///
    /// [RFC 5322 3.6.1]: https://tools.ietf.org/html/rfc5322#section-3.6.1
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().date(std::time::SystemTime::UNIX_EPOCH);
    /// # let _ = b;
    /// ```
    pub fn date(self, st: SystemTime) -> Self {
        self.map(|b| b.date(st))
    }

    /// Set `Date` header using current date/time; inserted automatically if no date was set.
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().date_now();
    /// # let _ = b;
    /// ```
    pub fn date_now(self) -> Self {
        self.map(|b| b.date_now())
    }

    /// Set or add mailbox to `Reply-To` header ([RFC 5322 3.6.2]).
    ///
    /// [RFC 5322 3.6.2]: https://tools.ietf.org/html/rfc5322#section-3.6.2
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().reply_to("a@example.com".parse()?);
    /// # let _ = b; Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reply_to(mut self, mbox: Mailbox) -> Self {
        if !self.admit("Reply-To", &mbox) {
            return self;
        }
        self.map(|b| b.reply_to(mbox))
    }

    /// Set or add mailbox to `To` header ([RFC 5322 3.6.3]).
    ///
    /// [RFC 5322 3.6.3]: https://tools.ietf.org/html/rfc5322#section-3.6.3
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().to("a@example.com".parse()?);
    /// # let _ = b; Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to(mut self, mbox: Mailbox) -> Self {
        if !self.admit("To", &mbox) {
            return self;
        }
        let addresses = &mut self.more().addresses;
        if let Some(a) = addresses.track(&mbox.email) {
            addresses.to.push(a);
        }
        self.map(|b| b.to(mbox))
    }

    /// Set or add mailbox to `Cc` header ([RFC 5322 3.6.3]).
    ///
    /// [RFC 5322 3.6.3]: https://tools.ietf.org/html/rfc5322#section-3.6.3
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().cc("a@example.com".parse()?);
    /// # let _ = b; Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cc(mut self, mbox: Mailbox) -> Self {
        if !self.admit("Cc", &mbox) {
            return self;
        }
        let addresses = &mut self.more().addresses;
        if let Some(a) = addresses.track(&mbox.email) {
            addresses.cc.push(a);
        }
        self.map(|b| b.cc(mbox))
    }

    /// Set or add mailbox to `Bcc` header ([RFC 5322 3.6.3]); removed from the built message
    /// unless [`keep_bcc`](Self::keep_bcc).
    ///
    /// [RFC 5322 3.6.3]: https://tools.ietf.org/html/rfc5322#section-3.6.3
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().bcc("a@example.com".parse()?);
    /// # let _ = b; Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bcc(mut self, mbox: Mailbox) -> Self {
        if !self.admit("Bcc", &mbox) {
            return self;
        }
        let addresses = &mut self.more().addresses;
        if let Some(a) = addresses.track(&mbox.email) {
            addresses.bcc.push(a);
        }
        self.map(|b| b.bcc(mbox))
    }

    /// Set the `In-Reply-To` header ([RFC 5322 3.6.4]): one or more msg-ids, validated at
    /// build time. Replaces an earlier value.
    ///
    /// [RFC 5322 3.6.4]: https://tools.ietf.org/html/rfc5322#section-3.6.4
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().in_reply_to("<parent@example.org>".to_owned());
    /// # let _ = b;
    /// ```
    pub fn in_reply_to(mut self, id: String) -> Self {
        self.more().in_reply_to = Some(id);
        self.place(&IN_REPLY_TO);
        self
    }

    /// Add msg-ids to the `References` header ([RFC 5322 3.6.4]). Unlike lettre, which
    /// replaces, each call appends; repeats are dropped when the message is built.
    ///
    /// [RFC 5322 3.6.4]: https://tools.ietf.org/html/rfc5322#section-3.6.4
    ///
    /// # Example
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let email = letterhead::Message::builder()
    ///     .from("a@example.com".parse()?)
    ///     .to("b@example.com".parse()?)
    ///     .references("<1@example.com>".to_owned())
    ///     .references("<2@example.com> <1@example.com>".to_owned())
    ///     .body(String::new())?;
    /// assert_eq!(email.headers().get_raw("References"), Some("<1@example.com> <2@example.com>"));
    /// # Ok(()) }
    /// ```
    pub fn references(mut self, id: String) -> Self {
        self.more().references.push(id);
        self.place(&REFERENCES);
        self
    }

    /// Make this message a reply to `parent` (RFC 5322 section 3.6.4): In-Reply-To is the
    /// parent's Message-ID, References the parent's thread followed by its Message-ID, trimmed
    /// to [`ThreadLimit::default`](crate::reply::ThreadLimit) (the root and the 19 most recent
    /// ids). Replaces In-Reply-To and References set earlier.
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
    /// let reply = Message::builder()
    ///     .from("b@example.org".parse()?)
    ///     .to("a@example.com".parse()?)
    ///     .replying_to(&Parent::from_message(&first)?)
    ///     .body(String::from("Hi"))?;
    /// let parent_id = first.headers().get_raw("Message-ID");
    /// assert_eq!(reply.headers().get_raw("In-Reply-To"), parent_id);
    /// assert_eq!(reply.headers().get_raw("References"), parent_id);
    /// # Ok(()) }
    /// ```
    pub fn replying_to(self, parent: &crate::reply::Parent) -> Self {
        let mut this = self.in_reply_to(parent.message_id().to_string());
        this.more().references = vec![parent
            .references(crate::reply::ThreadLimit::default())
            .to_string()];
        this.place(&REFERENCES);
        this
    }

    /// Set `Subject` header to message ([RFC 5322 3.6.5]).
    ///
    /// [RFC 5322 3.6.5]: https://tools.ietf.org/html/rfc5322#section-3.6.5
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().subject("Hello");
    /// # let _ = b;
    /// ```
    pub fn subject<S: Into<String>>(self, subject: S) -> Self {
        self.map(|b| b.subject(subject))
    }

    /// Set the `Message-ID` header ([RFC 5322 3.6.4]).
    ///
    /// `Some(id)` is read at build time in the policy's [`Mode`](crate::msgid::Mode) and
    /// written where it was set. `None` (and leaving it unset) generates `<UUID@DOMAIN>`,
    /// DOMAIN chosen in the order of [`crate::domain`], never the raw host name as lettre
    /// does, written after Date.
    ///
    /// [RFC 5322 3.6.4]: https://tools.ietf.org/html/rfc5322#section-3.6.4
    ///
    /// # Example
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let email = letterhead::Message::builder()
    ///     .from("a@example.com".parse()?)
    ///     .to("b@example.com".parse()?)
    ///     .message_id(Some("<given@example.com>".to_owned()))
    ///     .body(String::new())?;
    /// assert_eq!(email.headers().get_raw("Message-ID"), Some("<given@example.com>"));
    /// # Ok(()) }
    /// ```
    pub fn message_id(mut self, id: Option<String>) -> Self {
        match id {
            Some(id) => {
                self.more().message_id = MessageIdIntent::Given(id);
                self.place(&MESSAGE_ID);
            }
            None => self.more().message_id = MessageIdIntent::Generate,
        }
        self
    }

    /// The domain of a generated Message-ID, first in the order of [`crate::domain`];
    /// validated (and turned into A-labels) at build time.
    ///
    /// # Example
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let email = letterhead::Message::builder()
    ///     .from("a@example.com".parse()?)
    ///     .to("b@example.com".parse()?)
    ///     .message_id_domain("büro.example")
    ///     .body(String::new())?;
    /// assert!(email.headers().get_raw("Message-ID").unwrap().ends_with("@xn--bro-hoa.example>"));
    ///
    /// let bad = letterhead::Message::builder()
    ///     .from("a@example.com".parse()?)
    ///     .to("b@example.com".parse()?)
    ///     .message_id_domain("bad domain>")
    ///     .body(String::new());
    /// assert!(bad.unwrap_err().to_string().starts_with("message_id_domain: "));
    /// # Ok(()) }
    /// ```
    pub fn message_id_domain<D: Into<String>>(mut self, domain: D) -> Self {
        self.more().domain = Some(domain.into());
        self
    }

    /// The [`HeaderPolicy`] for this message, instead of the installed [`crate::Config`]'s or
    /// the default [`IdentifierPolicy`](crate::IdentifierPolicy). Inline parts are made before
    /// the message, so their Content-IDs follow the installed or default policy.
    ///
    /// # Example
    ///
    /// ```
    /// use std::sync::Arc;
    /// use letterhead::{IdentifierPolicy, Message};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let email = Message::builder()
    ///     .from("a@example.com".parse()?)
    ///     .to("b@example.com".parse()?)
    ///     .policy(Arc::new(IdentifierPolicy::new().smtputf8(true)))
    ///     .in_reply_to("<grüße@example.com>".to_owned())
    ///     .body(String::new())?;
    /// assert_eq!(email.headers().get_raw("In-Reply-To"), Some("<grüße@example.com>"));
    /// # Ok(()) }
    /// ```
    pub fn policy(mut self, policy: Arc<dyn HeaderPolicy>) -> Self {
        self.more().policy = Some(policy);
        self
    }

    /// A new, unique Content-ID on this message's Message-ID domain (the order of
    /// [`crate::domain`], the author being what [`from`](Self::from) and
    /// [`sender`](Self::sender) set so far), for an inline part and its `cid:` URL.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDomain`] as for the Message-ID domain.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{header::ContentType, Attachment, MultiPart, SinglePart};
    /// use letterhead::Message;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = Message::builder()
    ///     .from("news@acme.example".parse()?)
    ///     .to("user@example.org".parse()?)
    ///     .message_id_domain("mail.acme.example");
    /// let logo = builder.new_content_id()?;
    /// let html = format!(r#"<p><img src="{}"></p>"#, logo.url());
    /// let email = builder.multipart(
    ///     MultiPart::related()
    ///         .singlepart(SinglePart::html(html))
    ///         .singlepart(Attachment::new_inline(logo.to_string())
    ///             .body(vec![1, 2, 3], ContentType::parse("image/png")?)),
    /// )?;
    /// let text = String::from_utf8(email.formatted())?;
    /// assert!(text.contains(&format!("Content-ID: {}\r\n", logo.as_str())));
    /// assert!(logo.as_str().ends_with("@mail.acme.example>"));
    /// # Ok(()) }
    /// ```
    pub fn new_content_id(&self) -> Result<crate::ContentId, Error> {
        let more = self.more.as_deref();
        let domain = message_domain(more.and_then(|m| m.domain.as_deref()))?;
        let author = more
            .and_then(|m| m.sender_domain.as_deref())
            .or(self.from_domain.as_deref());
        let (domain, _) = resolve(domain.as_ref(), configured_domain(), author)?;
        Ok(crate::ContentId::generate(&domain))
    }

    /// Set [User-Agent header](https://tools.ietf.org/html/draft-melnikov-email-user-agent-00).
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().user_agent("my-app/1.0".to_owned());
    /// # let _ = b;
    /// ```
    pub fn user_agent(self, id: String) -> Self {
        self.map(|b| b.user_agent(id))
    }

    /// Set custom header to message; replaces a header of the same name. Identifier headers
    /// set here go through the policy at build time like any other.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::header::ContentType;
    ///
    /// let b = letterhead::Message::builder().header(ContentType::TEXT_PLAIN);
    /// # let _ = b;
    /// ```
    pub fn header<H: Header>(mut self, header: H) -> Self {
        let name = H::name();
        match headers::find(&name) {
            Some(row) if row.builder_recorded => return self.raw_header(header.display()),
            Some(row) if row.holds == Holds::Addresses => {
                self.author_untracked |= row.role == Role::Author;
                if row.role != Role::None {
                    self.more().addresses.untracked = true;
                }
                // Written here, as lettre would write it.
                return match self.admit_typed(&header) {
                    Some(value) => self.map(|b| b.raw_header(value)),
                    None => self,
                };
            }
            // An identifier header the builder does not record (Content-ID, ...).
            Some(row) => self.untyped_headers |= row.holds.is_identifier(),
            // Not in the table: a custom policy may take it over.
            None => self.untyped_headers = true,
        }
        self.map(|b| b.header(header))
    }

    /// Set raw custom header to message; replaces a header of the same name. Identifier
    /// headers set here go through the policy at build time like any other.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::header::{HeaderName, HeaderValue};
    ///
    /// let b = letterhead::Message::builder().raw_header(HeaderValue::new(
    ///     HeaderName::new_from_ascii_str("X-Mailer"),
    ///     "my-app".to_owned(),
    /// ));
    /// # let _ = b;
    /// ```
    pub fn raw_header(mut self, raw_header: HeaderValue) -> Self {
        // lettre's HeaderValue exposes neither name nor value; read them through Headers.
        let mut probe = Headers::new();
        probe.insert_raw(raw_header.clone());
        if let Some(id) = probe.get_raw(&MESSAGE_ID) {
            self.more().message_id = MessageIdIntent::Given(id.to_owned());
            self.place(&MESSAGE_ID);
        } else if let Some(refs) = probe.get_raw(&REFERENCES) {
            // As lettre: the header replaces what the builder held.
            self.more().references = vec![refs.to_owned()];
            self.place(&REFERENCES);
        } else if let Some(irt) = probe.get_raw(&IN_REPLY_TO) {
            self.more().in_reply_to = Some(irt.to_owned());
            self.place(&IN_REPLY_TO);
        } else {
            self.untyped_headers = true;
            self.more().addresses.untracked = true;
            self.author_untracked |= headers::TABLE
                .iter()
                .any(|r| r.role == Role::Author && probe.get_raw(r.name).is_some());
            if headers::TABLE.iter().any(|r| {
                r.holds == Holds::Addresses && probe.get_raw(r.name).is_some_and(|v| !v.is_ascii())
            }) {
                self.more().idn_addresses = true;
            }
            self.inner = self.inner.raw_header(raw_header);
        }
        self
    }

    /// Add mailbox to header.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{header, Mailboxes};
    ///
    /// let to: Mailboxes = "a@example.com, b@example.com".parse()?;
    /// let b = letterhead::Message::builder().mailbox(header::To::from(to));
    /// # let _ = b; Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mailbox<H: Header + MailboxesHeader>(mut self, header: H) -> Self {
        let role = headers::find(&H::name()).map_or(Role::None, |r| r.role);
        self.author_untracked |= role == Role::Author;
        if role != Role::None {
            self.more().addresses.untracked = true;
        }
        if self.admit_typed(&header).is_none() {
            return self;
        }
        self.map(|b| b.mailbox(header))
    }

    /// Force specific envelope (by default it is derived from headers).
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::address::Envelope;
    ///
    /// let env = Envelope::new(Some("a@example.com".parse()?), vec!["b@example.com".parse()?])?;
    /// let b = letterhead::Message::builder().envelope(env);
    /// # let _ = b; Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn envelope(mut self, envelope: Envelope) -> Self {
        self.more().addresses.untracked = true;
        self.map(|b| b.envelope(envelope))
    }

    /// Keep the `Bcc` header (by default it is removed once the envelope is made).
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::Message::builder().keep_bcc();
    /// # let _ = b;
    /// ```
    pub fn keep_bcc(self) -> Self {
        self.map(|b| b.keep_bcc())
    }

    /// Create message from body: a [`Vec<u8>`], [`String`], or [`Body`](lettre::message::Body).
    ///
    /// # Errors
    ///
    /// lettre's errors (missing From, ...) and invalid identifier headers or domain.
    ///
    /// # Example
    ///
    /// ```
    /// # fn main() -> Result<(), letterhead::Error> {
    /// let email = letterhead::Message::builder()
    ///     .from("a@example.com".parse().unwrap())
    ///     .to("b@example.com".parse().unwrap())
    ///     .body(String::from("Hello"))?;
    /// # let _ = email; Ok(()) }
    /// ```
    pub fn body<T: IntoBody>(self, body: T) -> Result<Message, Error> {
        let (inner, rest) = self.split()?;
        rest.finish(inner.body(body)?, Vec::new())
    }

    /// Create message using mime body ([`MultiPart`]).
    ///
    /// # Errors
    ///
    /// As [`body`](Self::body), and a problem found in a part, naming the part.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::MultiPart;
    ///
    /// # fn main() -> Result<(), letterhead::Error> {
    /// let email = letterhead::Message::builder()
    ///     .from("a@example.com".parse().unwrap())
    ///     .to("b@example.com".parse().unwrap())
    ///     .multipart(MultiPart::alternative_plain_html("Hi".to_owned(), "<p>Hi</p>".to_owned()))?;
    /// # let _ = email; Ok(()) }
    /// ```
    pub fn multipart(self, part: MultiPart) -> Result<Message, Error> {
        let part = part.checked(self.chosen_policy())?;
        let in_body = identifier_headers(part.headers(), self.chosen_policy());
        let (inner, rest) = self.split()?;
        rest.finish(inner.multipart(part)?, in_body)
    }

    /// Create message using mime body ([`SinglePart`]).
    ///
    /// # Errors
    ///
    /// As [`body`](Self::body).
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::SinglePart;
    ///
    /// # fn main() -> Result<(), letterhead::Error> {
    /// let email = letterhead::Message::builder()
    ///     .from("a@example.com".parse().unwrap())
    ///     .to("b@example.com".parse().unwrap())
    ///     .singlepart(SinglePart::plain("Hi".to_owned()))?;
    /// # let _ = email; Ok(()) }
    /// ```
    pub fn singlepart(self, part: SinglePart) -> Result<Message, Error> {
        let part = checked_singlepart(part, self.chosen_policy())?;
        let in_body = identifier_headers(part.headers(), self.chosen_policy());
        let (inner, rest) = self.split()?;
        rest.finish(inner.singlepart(part)?, in_body)
    }

    /// The policy of this message: its own, else the installed [`Config`]'s, else the default.
    fn chosen_policy(&self) -> &dyn HeaderPolicy {
        self.custom_policy().unwrap_or(default_identifier_policy())
    }

    /// The policy set for this message or installed with [`Config`], if any.
    fn custom_policy(&self) -> Option<&dyn HeaderPolicy> {
        match self.more.as_deref().and_then(|m| m.policy.as_ref()) {
            Some(p) => Some(p.as_ref()),
            None => Config::installed()
                .and_then(Config::policy_ref)
                .map(|p| p.as_ref()),
        }
    }

    fn split(mut self) -> Result<(lettre::message::MessageBuilder, Self), Error> {
        if let Some(Refused(e)) = self.more.as_deref_mut().and_then(|m| m.refused.take()) {
            return Err(e);
        }
        let mut inner = std::mem::take(&mut self.inner);
        if self.more.as_deref().is_some_and(|m| m.idn_addresses) && !self.chosen_policy().smtputf8()
        {
            inner = with_a_labels(inner);
        }
        let addresses = self
            .more
            .as_deref_mut()
            .map(|m| std::mem::take(&mut m.addresses));
        if let Some(envelope) = addresses.and_then(Addresses::envelope) {
            // What lettre would derive by parsing the headers it wrote from these addresses.
            inner = inner.envelope(envelope);
        }
        Ok((inner, self))
    }

    /// Writes the identifier headers of the message lettre built, through the policy: each
    /// read once, written, verified, and put where the app set it (a generated Message-ID
    /// after Date); then checks every header. `in_body`: the identifier headers of the body
    /// part, which lettre writes into the message's header block too.
    fn finish(
        self,
        mut message: lettre::Message,
        in_body: Vec<HeaderName>,
    ) -> Result<Message, Error> {
        let custom = self.custom_policy().is_some();
        let policy = self.chosen_policy();
        // The headers the builder records are written even by a policy that leaves them out:
        // never left to lettre's encoder.
        let writer = |name: &str| -> &dyn HeaderPolicy {
            if takes(policy, name) {
                policy
            } else {
                default_identifier_policy()
            }
        };
        let more = self.more.as_deref();
        let message_id = more.map_or(&MessageIdIntent::Generate, |m| &m.message_id);
        let in_reply_to = more.and_then(|m| m.in_reply_to.as_deref());
        let references = more.map_or(&[][..], |m| &m.references[..]);
        let author = if self.author_untracked {
            author_domain(message.headers())
        } else {
            more.and_then(|m| m.sender_domain.clone())
                .or_else(|| self.from_domain.clone())
        };
        let headers = message.headers_mut();
        // An identifier header of the body part comes from there alone.
        for name in &in_body {
            let set_here = match name {
                n if *n == MESSAGE_ID => matches!(message_id, MessageIdIntent::Given(_)),
                n if *n == IN_REPLY_TO => in_reply_to.is_some(),
                n if *n == REFERENCES => !references.is_empty(),
                n => headers.get_raw(n).is_some(),
            };
            if set_here {
                return Err(Error::InvalidHeader {
                    header: name.to_string(),
                    problem: HeaderProblem::TwoSources {
                        first: "the message builder",
                        second: "the body part",
                    },
                });
            }
        }
        match message_id {
            MessageIdIntent::Given(raw) => {
                headers.insert_raw(write_header(writer(&MESSAGE_ID), &MESSAGE_ID, raw)?);
            }
            // A place held by an earlier `message_id(Some(..))` is given up.
            MessageIdIntent::Generate => drop(headers.remove_raw(&MESSAGE_ID)),
        }
        if let Some(raw) = in_reply_to {
            headers.insert_raw(write_header(writer(&IN_REPLY_TO), &IN_REPLY_TO, raw)?);
        }
        if !references.is_empty() {
            let w = writer(&REFERENCES);
            headers.insert_raw(write_references(w, references)?);
        }
        // The other headers the policy takes over, wherever lettre holds them. The default
        // policy takes over none of lettre's typed headers.
        if custom || self.untyped_headers {
            for name in policy.header_names() {
                if headers::find(name).is_some_and(|r| r.builder_recorded) {
                    continue;
                }
                if let Some(raw) = headers.get_raw(name) {
                    let value = write_header(policy, name, raw)?;
                    headers.insert_raw(value);
                }
            }
        }
        if matches!(message_id, MessageIdIntent::Generate) && !in_body.contains(&MESSAGE_ID) {
            let domain = message_domain(more.and_then(|m| m.domain.as_deref()))?;
            let (domain, _) = resolve(domain.as_ref(), configured_domain(), author.as_deref())?;
            let id = MsgId::generate(&domain);
            let value = write_value(writer(&MESSAGE_ID), &MESSAGE_ID, Value::Ids(&id.into()))?;
            headers.insert_raw(value);
        }
        // What the policy wrote was verified as it was written, under the stricter rules of
        // an identifier header; every other header is checked here.
        let by_policy = |name: &str| {
            [&MESSAGE_ID, &IN_REPLY_TO, &REFERENCES]
                .iter()
                .any(|n| n.eq_ignore_ascii_case(name))
                || ((custom || self.untyped_headers) && takes(policy, name))
        };
        check_message_headers(headers, by_policy)?;
        Ok(Message(message))
    }
}

/// Checks every header of the message's own block but those `by_policy` wrote (verified as
/// they were written); a text header (Subject, Comments) with a word too long for a line is
/// written as encoded-words first, which RFC 2047 allows in text and which decode to the same
/// text.
fn check_message_headers(
    headers: &mut Headers,
    by_policy: impl Fn(&str) -> bool,
) -> Result<(), Error> {
    let mut too_long = Vec::new();
    each_header(headers, |name, encoded| {
        if by_policy(name) {
            return check_header_name(name);
        }
        match check_header(name, encoded) {
            Err(Error::InvalidHeader {
                problem: HeaderProblem::LineTooLong { .. },
                ..
            }) if TEXT_HEADERS.iter().any(|t| t.eq_ignore_ascii_case(name)) => {
                too_long.push(name.to_owned());
                Ok(())
            }
            other => other,
        }
    })?;
    for name in too_long {
        // A name lettre holds is a valid `HeaderName`.
        let Ok(name) = HeaderName::new_from_ascii(name.clone()) else {
            return Err(Error::InvalidHeader {
                header: name,
                problem: HeaderProblem::Name { char: None },
            });
        };
        let raw = headers.get_raw(&name).unwrap_or_default().to_owned();
        headers.insert_raw(encoded_text(&name, &raw)?);
    }
    Ok(())
}

/// The unstructured text headers (RFC 5322 section 3.6.5) a word too long for a line is
/// written in as encoded-words. A structured header, or one whose structure letterhead does not
/// know, that cannot fit is an error.
const TEXT_HEADERS: [&str; 2] = ["Subject", "Comments"];

/// References from its pieces, one per `references()` call: each read on its own (an error
/// names the piece), the ids joined, repeats dropped.
fn write_references(policy: &dyn HeaderPolicy, pieces: &[String]) -> Result<HeaderValue, Error> {
    let [first, rest @ ..] = pieces else {
        unreachable!("called with the pieces of at least one references() call")
    };
    if rest.is_empty() {
        return write_header(policy, &REFERENCES, first);
    }
    if !matches!(policy.holds(&REFERENCES), Holds::Id | Holds::IdList) {
        // A policy that reads References as text gets the pieces as one text.
        return write_header(policy, &REFERENCES, &pieces.join(" "));
    }
    let mut ids = parse_list(&REFERENCES, first, syntax(policy))?;
    for piece in rest {
        ids.extend(&parse_list(&REFERENCES, piece, syntax(policy))?);
    }
    write_value(policy, &REFERENCES, Value::Ids(&ids))
}

/// `inner` with the address headers whose domains are IDNs written with A-labels, where the
/// local part is ASCII (so the address is deliverable through any server, RFC 5890) and the
/// domain converts as given (see [`crate::idn`]); lettre then derives the envelope from them
/// too. Other addresses stay as lettre writes them. Read back from a trial build, the one way
/// lettre shows what its builder holds; only messages with such an address take it.
fn with_a_labels(inner: lettre::message::MessageBuilder) -> lettre::message::MessageBuilder {
    let Ok(trial) = inner.clone().keep_bcc().body(Vec::<u8>::new()) else {
        // lettre refuses the message as it stands; the real build reports why.
        return inner;
    };
    let h = trial.headers();
    let mut inner = inner;
    macro_rules! convert {
        ($($list:ident),*) => {$(
            if let Some(list) = h.get::<header::$list>() {
                let list: Mailboxes = list.into();
                if list.iter().any(|m| a_labels(m).is_some()) {
                    let converted: Mailboxes = list
                        .into_iter()
                        .map(|m| a_labels(&m).unwrap_or(m))
                        .collect::<Vec<_>>()
                        .into();
                    inner = inner.header(header::$list::from(converted));
                }
            }
        )*};
    }
    convert!(From, To, Cc, Bcc, ReplyTo);
    if let Some(sender) = h.get::<header::Sender>() {
        if let Some(converted) = a_labels(&sender.into()) {
            inner = inner.header(header::Sender::from(converted));
        }
    }
    inner
}

/// What keeps `mbox` out of a header: a control character other than HTAB in its display
/// name, or in its address (which lettre writes as given, and which may hold C1 controls) any
/// control character or line separator (U+2028, U+2029), as for any header value.
fn mailbox_problem(mbox: &Mailbox) -> Option<HeaderProblem> {
    let address: &str = mbox.email.as_ref();
    let char = mbox
        .name
        .as_deref()
        .and_then(|n| find_char(n, |c| c.is_control() && c != '\t'))
        .or_else(|| find_char(address, breaks_a_line))?;
    // Not through `Mailbox`'s `Display`, which fails (and `to_string` panics) on CR and LF.
    let mailbox = match &mbox.name {
        Some(name) => format!("{name} <{address}>"),
        None => address.to_owned(),
    };
    Some(HeaderProblem::Mailbox { mailbox, char })
}

/// The first character of `s` that is `bad`, which no printable ASCII character is: only a
/// text with another octet is looked at closely.
fn find_char(s: &str, bad: impl Fn(char) -> bool) -> Option<char> {
    if s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return None;
    }
    s.chars().find(|&c| bad(c))
}

/// A control character or a line separator: what no header value may hold raw.
fn breaks_a_line(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// `mbox` with its domain as A-labels, if that is what [`with_a_labels`] writes.
fn a_labels(mbox: &Mailbox) -> Option<Mailbox> {
    let (user, domain) = (mbox.email.user(), mbox.email.domain());
    if domain.is_ascii() || !user.is_ascii() {
        return None;
    }
    let ascii = crate::idn::to_a_labels(domain).ok()?;
    let email = Address::new(user, ascii).ok()?;
    Some(Mailbox::new(mbox.name.clone(), email))
}

/// The installed [`Config`]'s domain: step 2 of the order.
fn configured_domain() -> Option<&'static Domain> {
    Config::installed().and_then(Config::domain)
}

/// The per-message domain setting, validated.
fn message_domain(setting: Option<&str>) -> Result<Option<Domain>, Error> {
    setting
        .map(|d| Domain::parse_setting("message_id_domain", d))
        .transpose()
}

/// Step 4 of the domain order: the Sender's domain if the message has a Sender, else the
/// first From address's.
fn author_domain(headers: &Headers) -> Option<String> {
    if let Some(sender) = headers.get::<header::Sender>() {
        let mbox: Mailbox = sender.into();
        return Some(mbox.email.domain().to_owned());
    }
    let from = headers.get::<header::From>()?;
    let mailboxes: Mailboxes = from.into();
    let first = mailboxes.into_iter().next()?;
    Some(first.email.domain().to_owned())
}
