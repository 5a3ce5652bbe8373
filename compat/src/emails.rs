//! Message-building code: functions returning `Result<Message, lettre::error::Error>`
//! and an app error type with `From` impls, using `?` on the builder.

use std::fmt;
use std::time::{Duration, SystemTime};

use lettre::Message;
use lettre::address::{Address, AddressError, Envelope};
use lettre::message::header::{self, ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Mailboxes, MessageBuilder};

/// 2023-11-14T22:13:20Z, so `Date:` is predictable.
pub fn fixed_date() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// The app's own error type, the way apps wrap lettre's errors.
#[derive(Debug)]
pub enum AppError {
    Address(AddressError),
    Email(lettre::error::Error),
    Smtp(lettre::transport::smtp::Error),
    File(lettre::transport::file::Error),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Address(e) => write!(f, "bad address: {e}"),
            AppError::Email(e) => write!(f, "bad email: {e}"),
            AppError::Smtp(e) => write!(f, "smtp: {e}"),
            AppError::File(e) => write!(f, "file: {e}"),
        }
    }
}

impl std::error::Error for AppError {}

impl From<AddressError> for AppError {
    fn from(e: AddressError) -> Self {
        AppError::Address(e)
    }
}

impl From<lettre::error::Error> for AppError {
    fn from(e: lettre::error::Error) -> Self {
        AppError::Email(e)
    }
}

impl From<lettre::transport::smtp::Error> for AppError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        AppError::Smtp(e)
    }
}

impl From<lettre::transport::file::Error> for AppError {
    fn from(e: lettre::transport::file::Error) -> Self {
        AppError::File(e)
    }
}

/// The plainest message, shaped like lettre's README.
pub fn simple(subject: &str, body: &str) -> Result<Message, lettre::error::Error> {
    Message::builder()
        .from("NoBody <nobody@domain.tld>".parse().unwrap())
        .reply_to("Yuin <yuin@domain.tld>".parse().unwrap())
        .to("Hei <hei@domain.tld>".parse().unwrap())
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(String::from(body))
}

/// User input goes through `?` twice: address parsing and the builder.
pub fn signup_confirmation(to_name: &str, to_email: &str) -> Result<Message, AppError> {
    let to = Mailbox::new(Some(to_name.to_owned()), to_email.parse::<Address>()?);
    let from: Mailbox = "Acme Accounts <accounts@acme.example>".parse()?;
    let email = Message::builder()
        .from(from)
        .to(to)
        .subject(format!("Welcome to Acme, {to_name}"))
        .header(ContentType::TEXT_PLAIN)
        .body(format!("Hi {to_name},\n\nplease confirm your address.\n"))?;
    Ok(email)
}

/// Every builder method a threaded reply uses.
pub fn threaded_reply(original_message_id: &str) -> Result<Message, lettre::error::Error> {
    let email = Message::builder()
        .from("Alice Example <alice@example.com>".parse().unwrap())
        .sender("Acme Mailer <mailer@example.com>".parse().unwrap())
        .reply_to("Support <support@example.com>".parse().unwrap())
        .to("Bob <bob@example.net>".parse().unwrap())
        .to("carol@example.net".parse().unwrap())
        .cc("Dave <dave@example.org>".parse().unwrap())
        .mailbox(header::Cc::from(Mailboxes::new().with(Mailbox::new(
            None,
            Address::new("frank", "example.org").unwrap(),
        ))))
        .bcc("eve@example.org".parse().unwrap())
        .subject("Re: Quarterly numbers")
        .in_reply_to(original_message_id.to_owned())
        .references(original_message_id.to_owned())
        .message_id(Some("<reply-42@example.com>".to_owned()))
        .user_agent("acme-mailer/1.0".to_owned())
        .date(fixed_date())
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Acme-Campaign"),
            "q3-report".to_owned(),
        ))
        .header(ContentType::TEXT_PLAIN)
        .body(String::from("Numbers attached.\n"))?;
    Ok(email)
}

/// Same as a plain message, but with `keep_bcc()` (e.g. for saving as .eml).
pub fn with_kept_bcc() -> Result<Message, lettre::error::Error> {
    Message::builder()
        .from("from@example.com".parse().unwrap())
        .to("to@example.com".parse().unwrap())
        .bcc("hidden@example.com".parse().unwrap())
        .keep_bcc()
        .date_now()
        .subject("kept bcc")
        .body(String::from("x"))
}

/// A forced envelope: the recipients come from here, not from the headers.
pub fn with_forced_envelope() -> Result<Message, lettre::error::Error> {
    let envelope = Envelope::new(
        Some("bounces@acme.example".parse().unwrap()),
        vec![
            "list-a@acme.example".parse().unwrap(),
            "list-b@acme.example".parse().unwrap(),
        ],
    )?;
    Message::builder()
        .from("News <news@acme.example>".parse().unwrap())
        .to("Undisclosed <undisclosed@acme.example>".parse().unwrap())
        .envelope(envelope)
        .subject("Newsletter")
        .body(String::from("news"))
}

/// `MessageBuilder::new()` (the type, not `Message::builder()`), cloned as a template.
pub fn template() -> MessageBuilder {
    MessageBuilder::new()
        .from("Reports <reports@acme.example>".parse().unwrap())
        .subject("Daily report")
        .header(ContentType::TEXT_PLAIN)
}

pub fn from_template(to: &str) -> Result<Message, AppError> {
    Ok(template().to(to.parse()?).body(String::from("all green"))?)
}

/// A message whose from/to headers are given as whole mailbox lists.
pub fn to_list(list: &str) -> Result<Message, AppError> {
    let to: Mailboxes = list.parse()?;
    Ok(Message::builder()
        .from("a@example.com".parse()?)
        .mailbox(header::To::from(to))
        .subject("list")
        .body(String::from("hi"))?)
}

// --- Builders that fail, one per lettre::error::Error variant they can yield ---

pub fn missing_from() -> Result<Message, lettre::error::Error> {
    Message::builder()
        .to("to@example.com".parse().unwrap())
        .subject("no from")
        .body(String::from("x"))
}

pub fn missing_to() -> Result<Message, lettre::error::Error> {
    Message::builder()
        .from("from@example.com".parse().unwrap())
        .subject("no recipients")
        .body(String::from("x"))
}

pub fn too_many_from() -> Result<Message, lettre::error::Error> {
    Message::builder()
        .from("one@example.com".parse().unwrap())
        .from("two@example.com".parse().unwrap())
        .to("to@example.com".parse().unwrap())
        .body(String::from("x"))
}

/// Two `From`s are fine once there is a `Sender`.
pub fn two_from_with_sender() -> Result<Message, lettre::error::Error> {
    Message::builder()
        .from("one@example.com".parse().unwrap())
        .from("two@example.com".parse().unwrap())
        .sender("one@example.com".parse().unwrap())
        .to("to@example.com".parse().unwrap())
        .body(String::from("x"))
}

/// `?` on an io::Error inside a function returning lettre's error.
pub fn body_from_file(path: &std::path::Path) -> Result<Message, lettre::error::Error> {
    let body = std::fs::read_to_string(path)?;
    Message::builder()
        .from("from@example.com".parse().unwrap())
        .to("to@example.com".parse().unwrap())
        .subject("from file")
        .body(body)
}

/// Match on lettre's error enum by variant name. letterhead's `lettre::error::Error` adds
/// variants for invalid identifier headers, so the match needs a wildcard arm: the one change
/// an exhaustive match over lettre 0.11's nine variants needs (unreachable, and allowed, when
/// this crate is built against lettre itself).
pub fn describe(err: &lettre::error::Error) -> &'static str {
    use lettre::error::Error;
    match err {
        Error::MissingFrom => "missing-from",
        Error::MissingTo => "missing-to",
        Error::TooManyFrom => "too-many-from",
        Error::EmailMissingAt => "email-missing-at",
        Error::EmailMissingLocalPart => "email-missing-local-part",
        Error::EmailMissingDomain => "email-missing-domain",
        Error::CannotParseFilename => "cannot-parse-filename",
        Error::Io(_) => "io",
        Error::NonAsciiChars => "non-ascii-chars",
        #[allow(unreachable_patterns)]
        _ => "other",
    }
}
