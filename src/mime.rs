//! MIME parts whose Content-ID goes through the identifier policy.
//!
//! lettre writes a part's Content-ID like any text header: a non-ASCII or malformed one comes
//! out as an RFC 2047 encoded-word. [`Attachment`] writes it through the policy (validated,
//! A-labels, never encoded), and [`MultiPart`] checks the Content-ID of every part added to it,
//! however that part was made, so that building the message fails with an error naming
//! `Content-ID` instead of sending a broken one. Everything else is lettre's, method for
//! method.

use lettre::message::{
    header::{self, ContentType, Header, HeaderName, HeaderValue, Headers},
    IntoBody, MultiPartKind, SinglePart,
};

use crate::{
    config::policy as default_policy,
    error::Reason,
    msgid::parse_content_id,
    policy::{syntax, write_header},
    Error,
};

static CONTENT_ID: HeaderName = HeaderName::new_from_ascii_str("Content-ID");

/// `SinglePart` builder for attachments: lettre's `Attachment`, with an inline part's
/// Content-ID written through the identifier policy.
///
/// # Example
///
/// ```
/// use letterhead::message::{header::ContentType, Attachment};
///
/// let part = Attachment::new_inline(String::from("logo@büro.example"))
///     .body(vec![0x89, b'P', b'N', b'G'], ContentType::parse("image/png").unwrap());
/// assert_eq!(part.headers().get_raw("Content-ID"), Some("<logo@xn--bro-hoa.example>"));
/// ```
#[derive(Clone)]
pub struct Attachment {
    disposition: Disposition,
}

#[derive(Clone)]
enum Disposition {
    Attached(String),
    Inline {
        content_id: String,
        name: Option<String>,
    },
}

impl Attachment {
    /// Create a new attachment, displayed as a normal attachment named `filename`.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{header::ContentType, Attachment};
    ///
    /// let part = Attachment::new(String::from("invoice.pdf"))
    ///     .body(vec![1, 2, 3], ContentType::parse("application/pdf").unwrap());
    /// # let _ = part;
    /// ```
    pub fn new(filename: String) -> Self {
        Attachment {
            disposition: Disposition::Attached(filename),
        }
    }

    /// Create a new inline attachment, referred to from HTML as `cid:content_id`.
    /// `content_id` is given without angle brackets, as in lettre; see
    /// [`ContentId`](crate::ContentId) to make a unique one and its URL.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{header::ContentType, Attachment};
    ///
    /// let part = Attachment::new_inline(String::from("123"))
    ///     .body(vec![1, 2, 3], ContentType::parse("image/png").unwrap());
    /// assert_eq!(part.headers().get_raw("Content-ID"), Some("<123>"));
    /// ```
    pub fn new_inline(content_id: String) -> Self {
        Attachment {
            disposition: Disposition::Inline {
                content_id,
                name: None,
            },
        }
    }

    /// Create a new inline attachment that also carries a file name.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{header::ContentType, Attachment};
    ///
    /// let part = Attachment::new_inline_with_name(String::from("logo"), String::from("logo.png"))
    ///     .body(vec![1, 2, 3], ContentType::parse("image/png").unwrap());
    /// # let _ = part;
    /// ```
    pub fn new_inline_with_name(content_id: String, name: String) -> Self {
        Attachment {
            disposition: Disposition::Inline {
                content_id,
                name: Some(name),
            },
        }
    }

    /// Build the attachment into a [`SinglePart`].
    ///
    /// An inline part's Content-ID is written through the installed policy (or the default).
    /// If the policy refuses it, the part keeps the raw value and adding the part to a
    /// [`MultiPart`] or a message is then an error naming `Content-ID`.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{header::ContentType, Attachment};
    ///
    /// let part = Attachment::new_inline(String::from("a b"))
    ///     .body(vec![1], ContentType::parse("image/png").unwrap());
    /// let message = letterhead::Message::builder()
    ///     .from("a@example.com".parse().unwrap())
    ///     .to("b@example.com".parse().unwrap())
    ///     .singlepart(part);
    /// assert!(message.unwrap_err().to_string().starts_with("Content-ID: \"<a b>\": "));
    /// ```
    pub fn body<T: IntoBody>(self, content: T, content_type: ContentType) -> SinglePart {
        let builder = SinglePart::builder();
        let builder = match self.disposition {
            Disposition::Attached(filename) => {
                builder.header(header::ContentDisposition::attachment(&filename))
            }
            Disposition::Inline { content_id, name } => {
                let raw = format!("<{content_id}>");
                let builder = match write_header(default_policy(), &CONTENT_ID, &raw) {
                    Ok(value) => builder.header(WrittenContentId(value)),
                    // Kept raw, so MultiPart and the message builder report it.
                    Err(_) => builder.header(header::ContentId::from(raw)),
                };
                builder.header(match name {
                    None => header::ContentDisposition::inline(),
                    Some(name) => header::ContentDisposition::inline_with_name(&name),
                })
            }
        };
        builder.header(content_type).body(content)
    }
}

/// A Content-ID value the policy wrote and verified.
#[derive(Clone)]
struct WrittenContentId(HeaderValue);

impl Header for WrittenContentId {
    fn name() -> HeaderName {
        CONTENT_ID.clone()
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(WrittenContentId(write_header(
            default_policy(),
            &CONTENT_ID,
            s,
        )?))
    }

    fn display(&self) -> HeaderValue {
        self.0.clone()
    }
}

/// The first invalid Content-ID found in a part, kept until the message is built.
#[derive(Debug, Clone)]
struct Problem {
    value: String,
    reason: Reason,
}

impl Problem {
    fn into_error(self) -> Error {
        Error::InvalidId {
            header: CONTENT_ID.to_string(),
            value: self.value,
            reason: self.reason,
        }
    }
}

/// Checks the Content-ID of a part's headers, if it has one.
fn check_part(headers: &Headers) -> Option<Problem> {
    let raw = headers.get_raw(&CONTENT_ID)?;
    let policy = default_policy();
    let problem = |reason| {
        Some(Problem {
            value: raw.to_owned(),
            reason,
        })
    };
    if !raw.is_ascii() {
        // lettre encodes any non-ASCII word of a part header, whatever the policy's mode, and
        // the part cannot tell a policy-written value from one set around it.
        return problem(Reason::NotThroughPolicy);
    }
    match parse_content_id(&CONTENT_ID, raw, syntax(policy)) {
        Err(Error::InvalidId { reason, .. }) => problem(reason),
        Err(e) => unreachable!("parse_content_id only returns InvalidId: {e}"),
        // A value that does not stay as it is was set around the policy (for example through
        // `SinglePart::builder().header(ContentId::from(..))`), and lettre writes it as given.
        Ok(cid) if cid.as_str() != raw.trim() => problem(Reason::NotThroughPolicy),
        Ok(_) => None,
    }
}

/// A MIME multipart: lettre's `MultiPart`, remembering an invalid Content-ID in any part
/// added to it so building the message reports it.
///
/// # Example
///
/// ```
/// use letterhead::message::{header::ContentType, Attachment, MultiPart, SinglePart};
///
/// let body = MultiPart::related()
///     .singlepart(SinglePart::html(String::from(r#"<img src="cid:logo">"#)))
///     .singlepart(Attachment::new_inline(String::from("logo"))
///         .body(vec![1, 2, 3], ContentType::parse("image/png").unwrap()));
/// assert!(String::from_utf8_lossy(&body.formatted()).contains("Content-ID: <logo>\r\n"));
/// ```
#[derive(Debug, Clone)]
pub struct MultiPart {
    inner: lettre::message::MultiPart,
    problem: Option<Problem>,
}

impl MultiPart {
    fn wrap(inner: lettre::message::MultiPart) -> Self {
        MultiPart {
            inner,
            problem: None,
        }
    }

    /// Creates a multipart builder.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{MultiPart, MultiPartKind};
    ///
    /// let part = MultiPart::builder().kind(MultiPartKind::Mixed).build();
    /// # let _ = part;
    /// ```
    pub fn builder() -> MultiPartBuilder {
        MultiPartBuilder::new()
    }

    /// Creates a mixed multipart builder.
    ///
    /// # Example
    ///
    /// ```
    /// let part = letterhead::message::MultiPart::mixed().build();
    /// # let _ = part;
    /// ```
    pub fn mixed() -> MultiPartBuilder {
        MultiPartBuilder(lettre::message::MultiPart::mixed())
    }

    /// Creates an alternative multipart builder.
    ///
    /// # Example
    ///
    /// ```
    /// let part = letterhead::message::MultiPart::alternative().build();
    /// # let _ = part;
    /// ```
    pub fn alternative() -> MultiPartBuilder {
        MultiPartBuilder(lettre::message::MultiPart::alternative())
    }

    /// Creates a related multipart builder.
    ///
    /// # Example
    ///
    /// ```
    /// let part = letterhead::message::MultiPart::related().build();
    /// # let _ = part;
    /// ```
    pub fn related() -> MultiPartBuilder {
        MultiPartBuilder(lettre::message::MultiPart::related())
    }

    /// Creates an encrypted multipart builder.
    ///
    /// # Example
    ///
    /// ```
    /// let part = letterhead::message::MultiPart::encrypted("application/pgp-encrypted".into()).build();
    /// # let _ = part;
    /// ```
    pub fn encrypted(protocol: String) -> MultiPartBuilder {
        MultiPartBuilder(lettre::message::MultiPart::encrypted(protocol))
    }

    /// Creates a signed multipart builder.
    ///
    /// # Example
    ///
    /// ```
    /// let part = letterhead::message::MultiPart::signed(
    ///     "application/pgp-signature".into(),
    ///     "pgp-sha256".into(),
    /// ).build();
    /// # let _ = part;
    /// ```
    pub fn signed(protocol: String, micalg: String) -> MultiPartBuilder {
        MultiPartBuilder(lettre::message::MultiPart::signed(protocol, micalg))
    }

    /// Alias for an alternative multipart with a plain text and an HTML part.
    ///
    /// # Example
    ///
    /// ```
    /// let part = letterhead::message::MultiPart::alternative_plain_html(
    ///     String::from("Hello"),
    ///     String::from("<p>Hello</p>"),
    /// );
    /// # let _ = part;
    /// ```
    pub fn alternative_plain_html<T: IntoBody, V: IntoBody>(plain: T, html: V) -> Self {
        MultiPart::wrap(lettre::message::MultiPart::alternative_plain_html(
            plain, html,
        ))
    }

    /// Adds a single part; an invalid Content-ID in it is reported when the message is built.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{MultiPart, SinglePart};
    ///
    /// let part = MultiPart::mixed().build().singlepart(SinglePart::plain(String::from("Hi")));
    /// # let _ = part;
    /// ```
    pub fn singlepart(mut self, part: SinglePart) -> Self {
        if self.problem.is_none() {
            self.problem = check_part(part.headers());
        }
        self.inner = self.inner.singlepart(part);
        self
    }

    /// Adds a nested multipart.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::MultiPart;
    ///
    /// let part = MultiPart::mixed().build().multipart(MultiPart::related().build());
    /// # let _ = part;
    /// ```
    pub fn multipart(mut self, part: MultiPart) -> Self {
        if self.problem.is_none() {
            // The nested multipart's own headers, then its parts.
            self.problem = check_part(part.inner.headers()).or(part.problem);
        }
        self.inner = self.inner.multipart(part.inner);
        self
    }

    /// The multipart boundary.
    ///
    /// # Example
    ///
    /// ```
    /// let part = letterhead::message::MultiPart::mixed().boundary("b0und").build();
    /// assert_eq!(part.boundary(), "b0und");
    /// ```
    pub fn boundary(&self) -> String {
        self.inner.boundary()
    }

    /// The multipart's headers.
    ///
    /// # Example
    ///
    /// ```
    /// let part = letterhead::message::MultiPart::mixed().build();
    /// assert!(part.headers().get_raw("Content-Type").is_some());
    /// ```
    pub fn headers(&self) -> &Headers {
        self.inner.headers()
    }

    /// The multipart's headers, to change.
    ///
    /// # Example
    ///
    /// ```
    /// let mut part = letterhead::message::MultiPart::mixed().build();
    /// part.headers_mut().remove_raw("X-None");
    /// ```
    pub fn headers_mut(&mut self) -> &mut Headers {
        self.inner.headers_mut()
    }

    /// The multipart, formatted.
    ///
    /// # Example
    ///
    /// ```
    /// let part = letterhead::message::MultiPart::mixed().build();
    /// assert!(!part.formatted().is_empty());
    /// ```
    pub fn formatted(&self) -> Vec<u8> {
        self.inner.formatted()
    }

    /// The lettre multipart, or the first invalid Content-ID found in its parts.
    pub(crate) fn checked(self) -> Result<lettre::message::MultiPart, Error> {
        match self.problem.or_else(|| check_part(self.inner.headers())) {
            Some(p) => Err(p.into_error()),
            None => Ok(self.inner),
        }
    }
}

/// The Content-ID of a single part used as a message body, checked as [`MultiPart`] does.
pub(crate) fn checked_singlepart(part: SinglePart) -> Result<SinglePart, Error> {
    match check_part(part.headers()) {
        Some(p) => Err(p.into_error()),
        None => Ok(part),
    }
}

/// Builds a [`MultiPart`]: lettre's `MultiPartBuilder`, method for method.
///
/// # Example
///
/// ```
/// use letterhead::message::{MultiPartBuilder, SinglePart};
///
/// let part = MultiPartBuilder::new().singlepart(SinglePart::plain(String::from("Hi")));
/// # let _ = part;
/// ```
#[derive(Debug, Clone, Default)]
pub struct MultiPartBuilder(lettre::message::MultiPartBuilder);

impl MultiPartBuilder {
    /// Creates a default multipart builder.
    ///
    /// # Example
    ///
    /// ```
    /// let b = letterhead::message::MultiPartBuilder::new();
    /// # let _ = b;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a header of the multipart.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{header::ContentType, MultiPartBuilder};
    ///
    /// let b = MultiPartBuilder::new().header(ContentType::TEXT_PLAIN);
    /// # let _ = b;
    /// ```
    pub fn header<H: Header>(self, header: H) -> Self {
        MultiPartBuilder(self.0.header(header))
    }

    /// Sets the kind of multipart.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{MultiPartBuilder, MultiPartKind};
    ///
    /// let b = MultiPartBuilder::new().kind(MultiPartKind::Alternative);
    /// # let _ = b;
    /// ```
    pub fn kind(self, kind: MultiPartKind) -> Self {
        MultiPartBuilder(self.0.kind(kind))
    }

    /// Sets the boundary.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{MultiPartBuilder, MultiPartKind};
    ///
    /// let b = MultiPartBuilder::new().kind(MultiPartKind::Mixed).boundary("b0und");
    /// # let _ = b;
    /// ```
    pub fn boundary<S: Into<String>>(self, boundary: S) -> Self {
        MultiPartBuilder(self.0.boundary(boundary))
    }

    /// Creates the multipart.
    ///
    /// # Example
    ///
    /// ```
    /// let part = letterhead::message::MultiPartBuilder::new().build();
    /// # let _ = part;
    /// ```
    pub fn build(self) -> MultiPart {
        MultiPart::wrap(self.0.build())
    }

    /// Creates the multipart with a first single part.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{MultiPartBuilder, SinglePart};
    ///
    /// let part = MultiPartBuilder::new().singlepart(SinglePart::plain(String::from("Hi")));
    /// # let _ = part;
    /// ```
    pub fn singlepart(self, part: SinglePart) -> MultiPart {
        self.build().singlepart(part)
    }

    /// Creates the multipart with a first nested multipart.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{MultiPart, MultiPartBuilder};
    ///
    /// let part = MultiPartBuilder::new().multipart(MultiPart::related().build());
    /// # let _ = part;
    /// ```
    pub fn multipart(self, part: MultiPart) -> MultiPart {
        self.build().multipart(part)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> ContentType {
        ContentType::parse("image/png").unwrap()
    }

    #[test]
    fn content_ids_set_around_the_policy_are_caught() {
        // Through lettre's own header type: lettre would encode this.
        let part = SinglePart::builder()
            .header(header::ContentId::from("<logo@büro.example>".to_owned()))
            .header(png())
            .body(vec![1u8]);
        let multi = MultiPart::related().singlepart(part);
        let err = multi.checked().unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidId {
                reason: Reason::NotThroughPolicy,
                ..
            }
        ));
        // Nested, and only the first problem is kept.
        let bad = Attachment::new_inline("a\r\nX-Evil: 1".into()).body(vec![1u8], png());
        let multi = MultiPart::mixed()
            .multipart(MultiPart::related().singlepart(bad))
            .singlepart(SinglePart::plain(String::from("fine")));
        match multi.checked().unwrap_err() {
            Error::InvalidId { header, reason, .. } => {
                assert_eq!(header, "Content-ID");
                assert_eq!(reason, Reason::Control('\r'));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_multiparts_own_content_id_and_ascii_values_set_around_the_policy_are_caught() {
        let bad = MultiPart::builder()
            .kind(MultiPartKind::Related)
            .header(header::ContentId::from("<a@büro.example>".to_owned()))
            .build();
        assert!(MultiPart::mixed().multipart(bad.clone()).checked().is_err());
        assert!(bad.checked().is_err());
        // ASCII but not as the policy writes it: no angle brackets.
        let part = SinglePart::builder()
            .header(header::ContentId::from("a@b".to_owned()))
            .body(vec![1u8]);
        match MultiPart::related().singlepart(part).checked() {
            Err(Error::InvalidId { reason, .. }) => assert_eq!(reason, Reason::NotThroughPolicy),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn valid_parts_pass_and_are_written_plain() {
        let part = Attachment::new_inline_with_name("logo@büro.example".into(), "l.png".into())
            .body(vec![1u8], png());
        let multi = MultiPart::related().singlepart(part);
        let text = String::from_utf8(multi.checked().unwrap().formatted()).unwrap();
        assert!(text.contains("Content-ID: <logo@xn--bro-hoa.example>\r\n"));
        assert!(!text.contains("=?"));
    }
}
