//! MIME parts whose headers are checked, and whose identifier headers go through the
//! identifier policy.
//!
//! lettre writes a part's Content-ID (or any identifier header set on a part) like any text
//! header: a non-ASCII or malformed one comes out as an RFC 2047 encoded-word. [`Attachment`]
//! writes it through the policy (validated, A-labels, never encoded), and [`MultiPart`] checks
//! every header of every part added to it, however that part was made, and writes the ones the
//! policy takes over through it, so that building the message fails with an error naming the
//! header and the part instead of sending a broken one. Everything else is lettre's, method
//! for method.

use lettre::message::{
    header::{self, ContentType, Header, HeaderName, HeaderValue, Headers},
    Body, IntoBody, MultiPartKind, SinglePart,
};

use crate::{
    config::policy as default_policy,
    policy::{write_header, write_text},
    verify::{check_header, copy, each_header, header_value},
    Error, HeaderPolicy,
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

/// A header carried into a part rebuilt around it, as it was written: its name is its value's
/// (`Headers::set` files a header under the name of what `display` returns), so `name()` is
/// never asked for.
#[derive(Clone)]
struct Verbatim(HeaderValue);

impl Header for Verbatim {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Letterhead-Verbatim")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Err("a verbatim header is never read back".into())
    }

    fn display(&self) -> HeaderValue {
        self.0.clone()
    }
}

/// Checks every header of a part (or of a multipart's own block) as it will be written, and
/// writes each header `policy` takes over through it; returns, by name, the written values
/// that differ from what the headers hold, for the caller to put in their place.
fn rewrites(
    headers: &Headers,
    policy: &dyn HeaderPolicy,
) -> Result<Vec<(String, HeaderValue)>, Error> {
    let mut changed = Vec::new();
    each_header(headers, |name, encoded| {
        let Some(name) = policy
            .header_names()
            .iter()
            .find(|n| n.eq_ignore_ascii_case(name))
        else {
            return check_header(name, encoded);
        };
        let written = write_text(policy, name, headers.get_raw(name).unwrap_or_default())?;
        // Written as the policy writes it already (an `Attachment`'s Content-ID): kept.
        if written != encoded {
            changed.push((
                name.to_string(),
                header_value(name, written, policy.smtputf8())?,
            ));
        }
        Ok(())
    })?;
    Ok(changed)
}

/// Checks every header of `part` and writes those `policy` takes over through it: `None` when
/// that changes nothing, else the same part rebuilt around the written values, in the same
/// order, with the same body.
pub(crate) fn through_policy(
    part: &SinglePart,
    policy: &dyn HeaderPolicy,
) -> Result<Option<SinglePart>, Error> {
    let mut changed = rewrites(part.headers(), policy)?;
    if changed.is_empty() {
        return Ok(None);
    }
    let Some(encoding) = part.headers().get::<header::ContentTransferEncoding>() else {
        return Err(Error::Policy {
            header: "Content-Transfer-Encoding".into(),
            reason: "a part without one cannot be rebuilt around its headers".into(),
        });
    };
    let headers = part.headers();
    let mut builder = SinglePart::builder();
    each_header(headers, |name, encoded| {
        let value = match changed
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(i) => changed.swap_remove(i).1,
            None => copy(name, headers.get_raw(name).unwrap_or_default(), encoded)?,
        };
        builder = std::mem::take(&mut builder).header(Verbatim(value));
        Ok(())
    })?;
    // The body as it was encoded; `body` sets the same Content-Transfer-Encoding in place.
    Ok(Some(builder.body(Body::dangerous_pre_encoded(
        part.raw_body().to_vec(),
        encoding,
    ))))
}

/// A multipart's own headers checked, and those `policy` takes over written through it, in
/// place.
fn own_headers_through_policy(
    headers: &mut Headers,
    policy: &dyn HeaderPolicy,
) -> Result<(), Error> {
    for (_, value) in rewrites(headers, policy)? {
        headers.insert_raw(value);
    }
    Ok(())
}

/// The headers of `headers` that `policy` takes over and that are there.
pub(crate) fn identifier_headers(headers: &Headers, policy: &dyn HeaderPolicy) -> Vec<HeaderName> {
    policy
        .header_names()
        .iter()
        .filter(|n| headers.get_raw(n).is_some())
        .cloned()
        .collect()
}

/// A MIME multipart: lettre's `MultiPart`, with every part's headers checked as it is added
/// and the identifier headers among them (Content-ID, and any other the policy takes over)
/// written through the installed or default policy; a problem is kept, with the part's path,
/// and building the message reports it.
///
/// # Example
///
/// ```
/// use letterhead::message::{header::{self, ContentType}, Attachment, MultiPart, SinglePart};
///
/// let body = MultiPart::related()
///     .singlepart(SinglePart::html(String::from(r#"<img src="cid:logo">"#)))
///     .singlepart(Attachment::new_inline(String::from("logo"))
///         .body(vec![1, 2, 3], ContentType::parse("image/png").unwrap()))
///     // Set with lettre's own header type, which would encode it: written as A-labels.
///     .singlepart(SinglePart::builder()
///         .header(header::ContentId::from(String::from("<chart@büro.example>")))
///         .header(ContentType::parse("image/png").unwrap())
///         .body(vec![4, 5, 6]));
/// let text = String::from_utf8(body.formatted()).unwrap();
/// assert!(text.contains("Content-ID: <logo>\r\n"));
/// assert!(text.contains("Content-ID: <chart@xn--bro-hoa.example>\r\n"));
/// ```
#[derive(Debug)]
pub struct MultiPart {
    inner: lettre::message::MultiPart,
    /// How many parts it holds, for the path of a problem.
    parts: usize,
    /// The first problem found in a part, with the part's path.
    problem: Option<Error>,
}

impl Clone for MultiPart {
    fn clone(&self) -> Self {
        MultiPart {
            inner: self.inner.clone(),
            parts: self.parts,
            problem: self.problem.as_ref().map(Error::duplicate),
        }
    }
}

impl MultiPart {
    fn wrap(inner: lettre::message::MultiPart, parts: usize) -> Self {
        MultiPart {
            inner,
            parts,
            problem: None,
        }
    }

    /// Keeps `problem`, found in the part just added, unless an earlier one is kept.
    fn found(&mut self, problem: Error) {
        if self.problem.is_none() {
            self.problem = Some(problem.in_part(self.parts));
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
        // Two parts of lettre's own making: a Content-Type and a Content-Transfer-Encoding each.
        MultiPart::wrap(
            lettre::message::MultiPart::alternative_plain_html(plain, html),
            2,
        )
    }

    /// Adds a single part: its headers are checked, and those the installed or default policy
    /// takes over (Content-ID, ...) written through it; a problem is reported, with the part's
    /// path, when the message is built.
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
        self.parts += 1;
        let part = match through_policy(&part, default_policy()) {
            Ok(written) => written.unwrap_or(part),
            Err(problem) => {
                self.found(problem);
                part
            }
        };
        self.inner = self.inner.singlepart(part);
        self
    }

    /// Adds a nested multipart: its own headers are checked as a part's are, and a problem
    /// found in its parts is reported with their path.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::MultiPart;
    ///
    /// let part = MultiPart::mixed().build().multipart(MultiPart::related().build());
    /// # let _ = part;
    /// ```
    pub fn multipart(mut self, mut part: MultiPart) -> Self {
        self.parts += 1;
        if let Err(problem) = own_headers_through_policy(part.inner.headers_mut(), default_policy())
        {
            self.found(problem);
        }
        if let Some(problem) = part.problem {
            self.found(problem);
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

    /// The lettre multipart, its own headers (which lettre writes in the message's header
    /// block) checked and written through `policy`, or the first problem found in it.
    pub(crate) fn checked(
        mut self,
        policy: &dyn HeaderPolicy,
    ) -> Result<lettre::message::MultiPart, Error> {
        if let Some(problem) = self.problem {
            return Err(problem);
        }
        own_headers_through_policy(self.inner.headers_mut(), policy)?;
        Ok(self.inner)
    }
}

/// A single part used as a message body (whose headers lettre writes in the message's header
/// block), checked and written through `policy` as [`MultiPart`] does its parts.
pub(crate) fn checked_singlepart(
    part: SinglePart,
    policy: &dyn HeaderPolicy,
) -> Result<SinglePart, Error> {
    Ok(through_policy(&part, policy)?.unwrap_or(part))
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
        MultiPart::wrap(self.0.build(), 0)
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
    use crate::{error::Reason, HeaderProblem};

    fn png() -> ContentType {
        ContentType::parse("image/png").unwrap()
    }

    fn text(multi: MultiPart) -> String {
        String::from_utf8(multi.checked(default_policy()).unwrap().formatted()).unwrap()
    }

    #[test]
    fn identifier_headers_set_around_the_policy_are_written_through_it() {
        // Through lettre's own header types, which would encode the IDN and leave the bare id
        // bare: written as the policy writes them, in their place.
        let part = SinglePart::builder()
            .header(header::ContentId::from("<logo@büro.example>".to_owned()))
            .header(png())
            .header(header::MessageId::from("a@b.example".to_owned()))
            .body(vec![1u8]);
        let out = text(MultiPart::related().singlepart(part));
        assert!(
            out.contains(
                "Content-ID: <logo@xn--bro-hoa.example>\r\nContent-Type: image/png\r\n\
                 Message-ID: <a@b.example>\r\nContent-Transfer-Encoding: 7bit\r\n"
            ),
            "{out}"
        );
        assert!(!out.contains("=?"), "{out}");
        // A multipart's own Content-ID, nested or at the top.
        let own = || {
            MultiPart::builder()
                .kind(MultiPartKind::Related)
                .header(header::ContentId::from("<a@büro.example>".to_owned()))
                .build()
        };
        assert!(text(MultiPart::mixed().multipart(own())).contains("<a@xn--bro-hoa.example>"));
        assert!(text(own()).contains("Content-ID: <a@xn--bro-hoa.example>\r\n"));
        // A Content-ID too long for a line with its name moves whole to a line of its own.
        let long = format!("<{}@x.example>", "a".repeat(980));
        let part = SinglePart::builder()
            .header(header::ContentId::from(long.clone()))
            .body(vec![1u8]);
        let out = text(MultiPart::related().singlepart(part));
        assert!(
            out.contains(&format!("Content-ID: \r\n {long}\r\n")),
            "{out}"
        );
    }

    #[test]
    fn problems_name_the_header_the_part_and_the_real_cause() {
        let bad = Attachment::new_inline("lo\u{85}go@x.example".into()).body(vec![1u8], png());
        let multi = MultiPart::mixed()
            .singlepart(SinglePart::plain(String::from("fine")))
            .multipart(MultiPart::related().singlepart(bad))
            .singlepart(SinglePart::plain(String::from("fine")));
        let err = multi.checked(default_policy()).unwrap_err();
        match &err {
            Error::Part { path, source } => {
                assert_eq!(path, "2.1");
                assert!(
                    matches!(&**source, Error::InvalidId { header, reason: Reason::Control('\u{85}'), .. } if header == "Content-ID"),
                    "{source:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string().starts_with("MIME part 2.1: Content-ID: "),
            "{err}"
        );
        // Only the first problem is kept.
        let two = MultiPart::mixed()
            .singlepart(Attachment::new_inline("a b".into()).body(vec![1u8], png()))
            .singlepart(Attachment::new_inline("c\rd".into()).body(vec![1u8], png()));
        assert!(
            matches!(two.clone().checked(default_policy()), Err(Error::Part { path, .. }) if path == "1")
        );
    }

    /// A header whose value lettre writes as given.
    #[derive(Clone)]
    struct Raw(&'static str, &'static str);

    impl Header for Raw {
        fn name() -> HeaderName {
            HeaderName::new_from_ascii_str("X-Raw")
        }
        fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
            unimplemented!()
        }
        fn display(&self) -> HeaderValue {
            HeaderValue::dangerous_new_pre_encoded(
                HeaderName::new_from_ascii(self.0.to_owned()).unwrap(),
                self.1.to_owned(),
                self.1.to_owned(),
            )
        }
    }

    #[test]
    fn every_header_of_every_part_is_checked() {
        for (name, value, problem) in [
            (
                "X-Raw",
                "a\r\nBcc: victim@example.net",
                HeaderProblem::LineBreak { line: 2 },
            ),
            (
                "X-Raw",
                "a\x0bb",
                HeaderProblem::Control {
                    line: 1,
                    char: '\x0b',
                },
            ),
            (
                "X-Trace\r\nBcc",
                "x",
                HeaderProblem::Name { char: Some('\r') },
            ),
        ] {
            let part = SinglePart::builder()
                .header(Raw(name, value))
                .body(vec![1u8]);
            match MultiPart::mixed()
                .singlepart(part)
                .checked(default_policy())
            {
                Err(Error::Part { path, source }) => {
                    assert_eq!(path, "1");
                    assert!(
                        matches!(&*source, Error::InvalidHeader { header, problem: p } if header == name && *p == problem),
                        "{source:?}"
                    );
                }
                other => panic!("{name:?} {value:?}: {other:?}"),
            }
        }
        let long: &'static str = Box::leak("x".repeat(1000).into_boxed_str());
        let part = SinglePart::builder()
            .header(Raw("X-Raw", long))
            .body(vec![1u8]);
        assert!(matches!(
            checked_singlepart(part, default_policy()),
            Err(Error::InvalidHeader {
                problem: HeaderProblem::LineTooLong { line: 1, len: 1007 },
                ..
            })
        ));
    }

    #[test]
    fn valid_parts_pass_unchanged() {
        let part = Attachment::new_inline_with_name("logo@büro.example".into(), "l.png".into())
            .body(vec![1u8], png());
        assert!(through_policy(&part, default_policy()).unwrap().is_none());
        let out = text(MultiPart::related().singlepart(part));
        assert!(out.contains("Content-ID: <logo@xn--bro-hoa.example>\r\n"));
        assert!(!out.contains("=?"));
    }
}
