//! The SMTP transports' error: lettre's methods, plus the step that failed and whether the
//! delivery state is unknown.

use std::{error::Error as StdError, fmt, time::Duration};

use lettre::transport::smtp::response::{Code, Response, Severity};

type BoxError = Box<dyn StdError + Send + Sync>;

/// A step of an SMTP session, as the transports bound and report them.
///
/// Each step is bounded by the transport's timeout (`timeout(...)` on the builder, 60 s by
/// default). The async transports tell every step apart. The blocking [`SmtpTransport`]
/// drives lettre's `SmtpConnection`, whose `connect` runs the TCP connect, an implicit-TLS
/// handshake, the greeting and EHLO as one call (reported as [`Step::Connect`]), whose
/// `starttls` runs STARTTLS, the handshake and the second EHLO as one (reported as
/// [`Step::StartTls`]), and whose `message` writes the content, the final dot and reads the
/// reply as one (reported as [`Step::DataEnd`]).
///
/// [`SmtpTransport`]: super::SmtpTransport
///
/// ```
/// use letterhead::transport::smtp::Step;
///
/// assert_eq!(Step::Rcpt.to_string(), "RCPT TO");
/// assert!(Step::DataEnd.is_after_final_dot());
/// assert!(!Step::Message.is_after_final_dot());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// Resolving the host and opening the TCP connection.
    Connect,
    /// A TLS handshake: implicit TLS (`Tls::Wrapper`) or after STARTTLS.
    TlsHandshake,
    /// Waiting for the server's greeting (RFC 5321 section 3.1).
    Greeting,
    /// EHLO and its reply.
    Ehlo,
    /// The STARTTLS command and its reply (RFC 3207).
    StartTls,
    /// Getting an OAuth2 access token from the transport's token source (feature `oauth2`),
    /// before AUTH.
    Token,
    /// AUTH and its challenges (RFC 4954).
    Auth,
    /// MAIL FROM and its reply.
    Mail,
    /// RCPT TO and its reply.
    Rcpt,
    /// DATA and its 354 reply.
    Data,
    /// Writing the message content, before the final dot.
    Message,
    /// Writing the final `.` and waiting for the reply: from here on a lost reply leaves the
    /// delivery state unknown (RFC 1047).
    DataEnd,
    /// RSET and its reply.
    Rset,
    /// NOOP and its reply (the check before a pooled connection is reused).
    Noop,
    /// QUIT and its reply.
    Quit,
}

impl Step {
    /// True for the step after which the server may have taken the message: the final dot
    /// and its reply.
    pub fn is_after_final_dot(self) -> bool {
        matches!(self, Step::DataEnd)
    }

    fn name(self) -> &'static str {
        match self {
            Step::Connect => "connect",
            Step::TlsHandshake => "TLS handshake",
            Step::Greeting => "greeting",
            Step::Ehlo => "EHLO",
            Step::StartTls => "STARTTLS",
            Step::Token => "OAuth2 token",
            Step::Auth => "AUTH",
            Step::Mail => "MAIL FROM",
            Step::Rcpt => "RCPT TO",
            Step::Data => "DATA",
            Step::Message => "message content",
            Step::DataEnd => "final dot",
            Step::Rset => "RSET",
            Step::Noop => "NOOP",
            Step::Quit => "QUIT",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The errors of the SMTP transports: lettre's `lettre::transport::smtp::Error`, with the
/// same methods and texts, plus [`step`](Error::step) and
/// [`is_delivery_unknown`](Error::is_delivery_unknown).
///
/// An error from lettre's own code (`TlsParameters::new`, `SmtpConnection`, ...) converts
/// with `?` or `From`, and keeps its answers to every `is_*` method.
///
/// ```
/// use letterhead::transport::smtp::{client::TlsParameters, Error};
///
/// fn tls(host: &str) -> Result<TlsParameters, Error> {
///     Ok(TlsParameters::new(host.to_owned())?)
/// }
/// assert!(tls("smtp.example.com").is_ok());
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    step: Option<Step>,
    unknown: bool,
    /// The server closed the connection mid-reply (lettre calls it an "incomplete
    /// response"): a lost connection for retries.
    lost: bool,
    /// The server refused the credentials (a `535`, or an OAuth2 error challenge).
    #[cfg(feature = "oauth2")]
    refused: bool,
    /// What the server said besides its reply: the JSON of an OAuth2 error challenge.
    reason: Option<String>,
    source: Option<BoxError>,
}

#[derive(Debug)]
enum Kind {
    Transient(Code),
    Permanent(Code),
    Response,
    Client,
    Connection,
    Network,
    #[cfg_attr(not(feature = "pool"), allow(dead_code))]
    TransportShutdown,
    Timeout,
    /// An error lettre made; its methods answer.
    Lettre(lettre::transport::smtp::Error),
    /// No OAuth2 access token could be had.
    #[cfg(feature = "oauth2")]
    Token(crate::oauth2::Error),
}

/// The source of a timeout error: an `io::Error` of kind `TimedOut`, as lettre's own
/// connect timeout gives, so that code walking the source chain finds it.
fn timed_out(step: Step, after: Option<Duration>) -> std::io::Error {
    // To the nearest 10 ms: the time left of a deadline is a hair under the setting.
    let text =
        match after.map(|d| Duration::from_millis((d.as_secs_f64() * 100.0).round() as u64 * 10)) {
            Some(d) => format!("no progress at {step} within {d:?}"),
            None => format!("{step} timed out"),
        };
    std::io::Error::new(std::io::ErrorKind::TimedOut, text)
}

impl Error {
    fn new(kind: Kind, source: Option<BoxError>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                step: None,
                unknown: false,
                lost: false,
                #[cfg(feature = "oauth2")]
                refused: false,
                reason: None,
                source,
            }),
        }
    }

    pub(crate) fn at(mut self, step: Step) -> Error {
        self.inner.step = Some(step);
        self
    }

    /// Marks the delivery state unknown (the final dot may have reached the server).
    pub(crate) fn unknown(mut self) -> Error {
        self.inner.unknown = true;
        self
    }

    /// The connection closed before a whole reply came.
    #[cfg_attr(not(any(feature = "tokio1", feature = "async-std1")), allow(dead_code))]
    pub(crate) fn incomplete() -> Error {
        let mut e = Error::new(Kind::Response, Some("incomplete response".into()));
        e.inner.lost = true;
        e
    }

    /// The server refused the credentials: `reason` is what its OAuth2 error challenge said.
    #[cfg(feature = "oauth2")]
    pub(crate) fn refused(mut self, reason: Option<String>) -> Error {
        self.inner.refused = true;
        self.inner.reason = reason;
        self
    }

    /// Whether the server refused the credentials (a `535`, or an OAuth2 error challenge).
    #[cfg(feature = "oauth2")]
    pub(crate) fn is_refused(&self) -> bool {
        self.inner.refused || self.status().is_some_and(|c| c.to_string() == "535")
    }

    /// No OAuth2 access token could be had.
    #[cfg(feature = "oauth2")]
    pub(crate) fn token(e: crate::oauth2::Error) -> Error {
        Error::new(Kind::Token(e), None).at(Step::Token)
    }

    /// Why no OAuth2 access token could be had, when that is what went wrong (the token
    /// endpoint refused the client, could not be reached, ...).
    ///
    /// ```
    /// fn explain(e: &letterhead::transport::smtp::Error) -> String {
    ///     match e.oauth2() {
    ///         Some(letterhead::oauth2::Error::Refused { error, .. }) => {
    ///             format!("the identity platform refused the app: {error}")
    ///         }
    ///         _ => e.to_string(),
    ///     }
    /// }
    /// # let _ = explain;
    /// ```
    #[cfg(feature = "oauth2")]
    pub fn oauth2(&self) -> Option<&crate::oauth2::Error> {
        match &self.inner.kind {
            Kind::Token(e) => Some(e),
            _ => None,
        }
    }

    fn lettre(&self) -> Option<&lettre::transport::smtp::Error> {
        match &self.inner.kind {
            Kind::Lettre(e) => Some(e),
            _ => None,
        }
    }

    /// Returns true if the error is from response
    pub fn is_response(&self) -> bool {
        match &self.inner.kind {
            Kind::Lettre(e) => e.is_response(),
            k => matches!(k, Kind::Response),
        }
    }

    /// Returns true if the error is from client
    pub fn is_client(&self) -> bool {
        match &self.inner.kind {
            Kind::Lettre(e) => e.is_client(),
            k => matches!(k, Kind::Client),
        }
    }

    /// Returns true if the error is a transient SMTP error (a 4xx reply)
    pub fn is_transient(&self) -> bool {
        match &self.inner.kind {
            Kind::Lettre(e) => e.is_transient(),
            k => matches!(k, Kind::Transient(_)),
        }
    }

    /// Returns true if the error is a permanent SMTP error (a 5xx reply)
    pub fn is_permanent(&self) -> bool {
        match &self.inner.kind {
            Kind::Lettre(e) => e.is_permanent(),
            k => matches!(k, Kind::Permanent(_)),
        }
    }

    /// Returns true if the error is caused by a timeout: a step that did not finish within
    /// the transport's timeout ([`step`](Error::step) says which), or an I/O timeout.
    pub fn is_timeout(&self) -> bool {
        if matches!(self.inner.kind, Kind::Timeout) {
            return true;
        }
        let mut source = self.source();
        while let Some(err) = source {
            if let Some(io_err) = err.downcast_ref::<std::io::Error>() {
                return io_err.kind() == std::io::ErrorKind::TimedOut;
            }
            source = err.source();
        }
        false
    }

    /// Returns true if the error is from TLS
    #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
    pub fn is_tls(&self) -> bool {
        self.lettre()
            .is_some_and(lettre::transport::smtp::Error::is_tls)
    }

    /// Returns true if the error is because the transport was shut down
    pub fn is_transport_shutdown(&self) -> bool {
        match &self.inner.kind {
            Kind::Lettre(e) => e.is_transport_shutdown(),
            k => matches!(k, Kind::TransportShutdown),
        }
    }

    /// Returns the status code, if the error was generated from a response.
    pub fn status(&self) -> Option<Code> {
        match &self.inner.kind {
            Kind::Transient(code) | Kind::Permanent(code) => Some(*code),
            Kind::Lettre(e) => e.status(),
            _ => None,
        }
    }

    /// The step of the SMTP session that failed, when a letterhead transport knows it.
    ///
    /// ```
    /// # use letterhead::transport::smtp::{Error, Step};
    /// fn log(err: &Error) -> String {
    ///     match err.step() {
    ///         Some(step) => format!("failed at {step}: {err}"),
    ///         None => err.to_string(),
    ///     }
    /// }
    /// ```
    pub fn step(&self) -> Option<Step> {
        self.inner.step
    }

    /// True when the message may have been delivered although this error was returned: the
    /// final dot had been written when the reply timed out, the connection was lost, or the
    /// reply could not be read. The server may have queued the message (RFC 1047): sending
    /// it again may deliver it twice. A reply the server did give (4xx, 5xx) is never
    /// unknown.
    ///
    /// The retry wrapper ([`Retry`](crate::transport::retry::Retry)) does not retry such an
    /// error unless told to with `retry_unknown(true)`.
    ///
    /// ```
    /// # use letterhead::transport::smtp::Error;
    /// fn should_resend(err: &Error) -> bool {
    ///     !err.is_delivery_unknown() && !err.is_permanent()
    /// }
    /// ```
    pub fn is_delivery_unknown(&self) -> bool {
        self.inner.unknown
    }

    // Constructors, as lettre's `error` module has them.

    #[cfg_attr(not(any(feature = "tokio1", feature = "async-std1")), allow(dead_code))]
    pub(crate) fn code(response: &Response) -> Error {
        let code = response.code();
        let text = joined(response);
        match code.severity {
            Severity::TransientNegativeCompletion => Error::new(Kind::Transient(code), text),
            Severity::PermanentNegativeCompletion => Error::new(Kind::Permanent(code), text),
            _ => Error::client("Unknown error code"),
        }
    }

    #[cfg_attr(not(any(feature = "tokio1", feature = "async-std1")), allow(dead_code))]
    pub(crate) fn response<E: Into<BoxError>>(e: E) -> Error {
        Error::new(Kind::Response, Some(e.into()))
    }

    pub(crate) fn client<E: Into<BoxError>>(e: E) -> Error {
        Error::new(Kind::Client, Some(e.into()))
    }

    #[cfg_attr(not(any(feature = "tokio1", feature = "async-std1")), allow(dead_code))]
    pub(crate) fn network<E: Into<BoxError>>(e: E) -> Error {
        Error::new(Kind::Network, Some(e.into()))
    }

    #[allow(dead_code)] // not every feature set connects by itself
    pub(crate) fn connection<E: Into<BoxError>>(e: E) -> Error {
        Error::new(Kind::Connection, Some(e.into()))
    }

    #[cfg_attr(not(feature = "pool"), allow(dead_code))]
    pub(crate) fn transport_shutdown() -> Error {
        Error::new(Kind::TransportShutdown, None)
    }

    /// `step` did not finish within `after` (the transport's timeout, or what was left of a
    /// retry attempt's deadline).
    pub(crate) fn timeout(step: Step, after: Option<Duration>) -> Error {
        let err = Error::new(Kind::Timeout, Some(timed_out(step, after).into())).at(step);
        if step.is_after_final_dot() {
            err.unknown()
        } else {
            err
        }
    }

    /// Whether a later attempt on a new connection could succeed: a 4xx reply, a timeout,
    /// a lost or refused connection, a token endpoint that was down or busy. Used by the
    /// retry wrapper.
    pub(crate) fn is_connection_failure(&self) -> bool {
        if self.inner.lost {
            return true;
        }
        match &self.inner.kind {
            // lettre's text for a connection closed mid-reply.
            Kind::Lettre(e) if e.is_response() => {
                e.to_string() == "response error: incomplete response"
            }
            Kind::Timeout | Kind::Network | Kind::Connection => true,
            // No token yet: the endpoint was down or busy.
            #[cfg(feature = "oauth2")]
            Kind::Token(e) => e.is_transient(),
            Kind::Lettre(e) => {
                !(e.is_client()
                    || e.is_permanent()
                    || e.is_transient()
                    || e.is_transport_shutdown()
                    || e.is_response()
                    || is_tls_error(e))
            }
            _ => false,
        }
    }
}

#[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
fn is_tls_error(e: &lettre::transport::smtp::Error) -> bool {
    e.is_tls()
}

#[cfg(not(any(feature = "native-tls", feature = "rustls", feature = "boring-tls")))]
fn is_tls_error(_: &lettre::transport::smtp::Error) -> bool {
    false
}

/// The reply's lines joined as lettre's error text joins them: with spaces, an enhanced
/// status code repeated on every line kept once (RFC 2034 section 4).
#[cfg_attr(not(any(feature = "tokio1", feature = "async-std1")), allow(dead_code))]
fn joined(response: &Response) -> Option<BoxError> {
    let lines: Vec<&str> = response.message().collect();
    let (first, rest) = lines.split_first()?;
    let repeated = enhanced_status_code(response);
    let mut out = String::from(*first);
    for line in rest {
        out.push(' ');
        out.push_str(match repeated {
            Some(code) => line
                .strip_prefix(code)
                .filter(|r| r.starts_with(' '))
                .map_or(line, str::trim_start),
            None => line,
        });
    }
    Some(out.into())
}

#[cfg_attr(not(any(feature = "tokio1", feature = "async-std1")), allow(dead_code))]
fn enhanced_status_code(response: &Response) -> Option<&str> {
    let class = match response.code().severity {
        Severity::PositiveCompletion => "2",
        Severity::TransientNegativeCompletion => "4",
        Severity::PermanentNegativeCompletion => "5",
        Severity::PositiveIntermediate => return None,
    };
    let word = response.first_word()?;
    let (c, rest) = word.split_once('.')?;
    let (subject, detail) = rest.split_once('.')?;
    (c == class
        && [subject, detail]
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())))
    .then_some(word)
}

impl From<lettre::transport::smtp::Error> for Error {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Error::new(Kind::Lettre(e), None)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = self.lettre() {
            if self.inner.step.is_none() && !self.inner.unknown {
                return fmt::Debug::fmt(e, f);
            }
        }
        let mut builder = f.debug_struct("lettre::transport::smtp::Error");
        builder.field("kind", &self.inner.kind);
        if let Some(step) = self.inner.step {
            builder.field("step", &step);
        }
        if self.inner.unknown {
            builder.field("delivery", &"unknown");
        }
        if let Some(reason) = &self.inner.reason {
            builder.field("reason", reason);
        }
        if let Some(source) = &self.inner.source {
            builder.field("source", source);
        }
        builder.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.kind {
            Kind::Response => f.write_str("response error")?,
            Kind::Client => f.write_str("internal client error")?,
            Kind::Network => f.write_str("network error")?,
            Kind::Connection => f.write_str("Connection error")?,
            Kind::TransportShutdown => f.write_str("transport has been shut down")?,
            Kind::Transient(code) => write!(f, "transient error ({code})")?,
            Kind::Permanent(code) => write!(f, "permanent error ({code})")?,
            Kind::Timeout => f.write_str("timed out")?,
            Kind::Lettre(e) => fmt::Display::fmt(e, f)?,
            #[cfg(feature = "oauth2")]
            Kind::Token(e) => write!(f, "no OAuth2 access token: {e}")?,
        }
        if let Some(e) = &self.inner.source {
            write!(f, ": {e}")?;
        }
        if let Some(reason) = &self.inner.reason {
            write!(f, "; the server's reason: {reason}")?;
        }
        if let (Some(step), false) = (self.inner.step, matches!(self.inner.kind, Kind::Timeout)) {
            write!(f, " (at {step})")?;
        }
        if self.inner.unknown {
            f.write_str("; delivery unknown: the server may have taken the message")?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.inner.kind {
            // lettre's error speaks for itself: its own source comes next.
            Kind::Lettre(e) => e.source(),
            // Its text is in this error's: nothing more to tell.
            #[cfg(feature = "oauth2")]
            Kind::Token(e) => e.source(),
            _ => self.inner.source.as_ref().map(|e| {
                let r: &(dyn StdError + 'static) = &**e;
                r
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_lettres() {
        let r: Response = "554-5.6.0 Corrupt message content\r\n554 5.6.0 try again\r\n"
            .parse()
            .unwrap();
        let e = Error::code(&r);
        assert!(e.is_permanent() && !e.is_transient());
        assert_eq!(
            e.to_string(),
            "permanent error (554): 5.6.0 Corrupt message content try again"
        );
        let t = Error::timeout(Step::Rcpt, Some(Duration::from_secs(2)));
        assert!(t.is_timeout() && !t.is_delivery_unknown());
        assert_eq!(t.step(), Some(Step::Rcpt));
        assert_eq!(t.to_string(), "timed out: no progress at RCPT TO within 2s");
        let u = Error::timeout(Step::DataEnd, None);
        assert!(u.is_delivery_unknown());
    }
}
