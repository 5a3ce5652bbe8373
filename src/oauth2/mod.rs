//! OAuth2 for SMTP AUTH (feature `oauth2`): access tokens from a token endpoint, cached and
//! refreshed before they expire, and the SMTP transports authenticating with them by
//! XOAUTH2 or OAUTHBEARER (RFC 7628).
//!
//! Office 365 refuses Basic authentication (a password) for SMTP client submission
//! (`550 5.7.30 Basic authentication is not supported for Client Submission`); Gmail wants
//! OAuth2 too. A [`TokenSource`] hands out an access token with its expiry: a fixed one, or
//! one from the client-credentials grant ([`ClientCredentials`], Office 365 for an app) or
//! the refresh-token grant ([`RefreshToken`], Gmail, or Microsoft for a signed-in user). It
//! caches the token, fetches the next one when what is left of it falls under a margin, and
//! runs one fetch at a time however many senders ask. Give it to a transport builder with
//! `oauth2(user, tokens)`:
//!
//! ```no_run
//! use letterhead::{
//!     oauth2::{ClientCredentials, TokenSource},
//!     AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
//! };
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let tokens = TokenSource::new(ClientCredentials::microsoft(
//!     "contoso.onmicrosoft.com", // the tenant (name or id)
//!     "00000000-0000-0000-0000-000000000000", // the app registration's client id
//!     std::env::var("O365_CLIENT_SECRET")?,
//! )?);
//! let mailer: AsyncSmtpTransport<Tokio1Executor> =
//!     AsyncSmtpTransport::<Tokio1Executor>::starttls_relay("smtp.office365.com")?
//!         .oauth2("app@contoso.com", tokens)
//!         .build();
//! let email = Message::builder()
//!     .from("app@contoso.com".parse()?)
//!     .to("user@example.com".parse()?)
//!     .subject("Hello")
//!     .body(String::from("Sent with an OAuth2 access token"))?;
//! mailer.send(email).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Each new SMTP connection authenticates with a current token: by OAUTHBEARER where the
//! server offers it, else by XOAUTH2. When the server refuses the token (`535`, or the
//! error challenge of RFC 7628 section 3.2.2, whose JSON the transport reads and reports),
//! the transport drops that token, fetches a new one and opens the connection once more;
//! a second refusal is the send's error, with the server's reply and reason. A connection
//! in the pool stays authenticated after its token expires (SMTP authenticates a session
//! once); new connections get new tokens.
//!
//! The token endpoint is reached over HTTPS with the TLS lettre is built with: `native-tls`
//! (the platform's roots), or `rustls` with lettre's crypto provider (`ring` or
//! `aws-lc-rs`) and roots (`webpki-roots`, `rustls-native-certs` or
//! `rustls-platform-verifier`). Without one, an `https` endpoint fails with an error that
//! says so. Plain `http` is accepted for loopback addresses only (a local proxy, a test).

mod grant;
mod http;
mod source;

pub use grant::{ClientCredentials, Grant, RefreshToken};
pub use source::{AccessToken, TokenFuture, TokenSource};

use std::fmt;

/// Why no access token could be had.
///
/// ```
/// use letterhead::oauth2::ClientCredentials;
///
/// let err = ClientCredentials::new("ftp://login.example.com/token", "id", "secret").unwrap_err();
/// assert!(err.to_string().contains("token endpoint"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token endpoint answered with an error (RFC 6749 section 5.2): `invalid_client`
    /// for a wrong or revoked client secret, `invalid_grant` for a revoked refresh token,
    /// `unauthorized_client`, ... with the endpoint's own description (Microsoft's carries
    /// its `AADSTS` code).
    #[error(
        "token endpoint {url} refused the request (HTTP {status}): {error}{}",
        describe(description)
    )]
    Refused {
        /// The token endpoint.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The OAuth2 error code (`invalid_client`, ...), or the body's start when it has none.
        error: String,
        /// `error_description`, when there is one.
        description: Option<String>,
    },
    /// The token endpoint could not be reached or did not answer in time.
    #[error("token endpoint {url} could not be reached: {reason}")]
    Unreachable {
        /// The token endpoint.
        url: String,
        /// What went wrong (DNS, connect, TLS, timeout, ...).
        reason: String,
    },
    /// The token endpoint answered 2xx with something that is not a usable token response.
    #[error("token endpoint {url} gave no usable token: {reason}")]
    BadResponse {
        /// The token endpoint.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A setting is wrong: the endpoint URL, an empty client id, ...
    #[error("OAuth2 setting {setting}: {reason}")]
    Setting {
        /// The setting.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// An error from a [`Grant`] of the application's own.
    #[error("{0}")]
    Other(String),
}

/// Whether `token` is an RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
/// "+" / "/" ) *"="`. Nothing else can go after `Bearer `, and nothing else (no `\x01`, no
/// line break) can break the SASL framing or the SMTP line.
pub(crate) fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

fn describe(description: &Option<String>) -> String {
    match description {
        Some(d) => format!(" ({d})"),
        None => String::new(),
    }
}

impl Error {
    /// An error of a [`Grant`] the application implements.
    ///
    /// ```
    /// let e = letterhead::oauth2::Error::other("the vault is sealed");
    /// assert_eq!(e.to_string(), "the vault is sealed");
    /// ```
    pub fn other(reason: impl fmt::Display) -> Error {
        Error::Other(reason.to_string())
    }

    /// Whether asking again later could succeed: the endpoint could not be reached or
    /// timed out, or answered `429`, a `5xx` or `temporarily_unavailable`. The retry
    /// wrapper ([`Retry`](crate::transport::retry::Retry)) retries such a send.
    ///
    /// ```
    /// use letterhead::oauth2::Error;
    ///
    /// let busy = Error::Refused {
    ///     url: "https://login.example/token".into(),
    ///     status: 503,
    ///     error: "temporarily_unavailable".into(),
    ///     description: None,
    /// };
    /// assert!(busy.is_transient());
    /// assert!(!Error::other("the vault is sealed").is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Unreachable { .. } => true,
            Error::Refused { status, error, .. } => {
                *status == 429 || (500..600).contains(status) || error == "temporarily_unavailable"
            }
            _ => false,
        }
    }

    pub(crate) fn setting(setting: &'static str, reason: impl Into<String>) -> Error {
        Error::Setting {
            setting,
            reason: reason.into(),
        }
    }
}
