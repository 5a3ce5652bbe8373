//! The SMTP transport: lettre's, with every step of a session bounded by the transport's
//! timeout, timed-out connections kept out of the pool, and errors that say which step failed
//! and whether the delivery state is unknown.
//!
//! The building blocks are lettre's own, at their lettre paths: [`authentication`],
//! [`client`] (`Tls`, `TlsParameters`, `SmtpConnection`, ...), [`commands`], [`extension`],
//! [`response`] and the port constants. The transports ([`SmtpTransport`], and
//! `AsyncSmtpTransport` with `tokio1` or `async-std1`), their builders, `PoolConfig` and
//! [`Error`] are letterhead's, with lettre's methods.
//!
//! ```
//! use std::time::Duration;
//! use letterhead::{transport::smtp::authentication::Credentials, SmtpTransport};
//!
//! let mailer = SmtpTransport::starttls_relay("smtp.example.com")?
//!     .credentials(Credentials::new("user".into(), "secret".into()))
//!     .timeout(Some(Duration::from_secs(10))) // every step: connect, greeting, ..., final reply
//!     .build();
//! # let _ = mailer;
//! # Ok::<(), letterhead::transport::smtp::Error>(())
//! ```

#[doc(no_inline)]
pub use lettre::transport::smtp::{
    authentication, client, commands, extension, response, SMTP_PORT, SUBMISSIONS_PORT,
    SUBMISSION_PORT,
};

#[cfg(any(feature = "tokio1", feature = "async-std1"))]
mod async_conn;
#[cfg(any(feature = "tokio1", feature = "async-std1"))]
mod async_transport;
mod builder;
mod error;
mod info;
#[cfg(feature = "oauth2")]
mod sasl;
mod sync_transport;
#[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
mod url;

#[cfg(any(feature = "tokio1", feature = "async-std1"))]
pub use async_transport::{AsyncSmtpTransport, AsyncSmtpTransportBuilder};
pub use error::{Error, Step};
#[cfg(feature = "pool")]
pub use info::PoolConfig;
pub use sync_transport::{SmtpTransport, SmtpTransportBuilder};
