//! lettre 0.11, with identifier headers that are always valid.
//!
//! letterhead is a drop-in replacement for [lettre](https://docs.rs/lettre/0.11): switch with
//! one line in `Cargo.toml`,
//!
//! ```toml
//! lettre = { package = "letterhead", version = "0.1", features = ["tokio1-native-tls"] }
//! ```
//!
//! and the same code builds and sends the same mail, except that
//!
//! - every message gets a Message-ID on a short, deterministic domain ([`domain`]);
//! - Message-ID, In-Reply-To, References, Resent-Message-ID, Original-Message-ID and
//!   Content-ID go through a [`HeaderPolicy`] that validates them ([`MsgId`]), writes IDN
//!   domains as A-labels, never encodes them as RFC 2047 encoded-words (the cause of Office
//!   365's `554 5.6.0 Corrupt message content`) and folds only between ids;
//! - an invalid id is an [`Error`] naming the header, never a repaired or half-built message.
//!
//! ```
//! use letterhead::{message::header::ContentType, Message};
//!
//! let email = Message::builder()
//!     .from("Acme <support@acme.example>".parse()?)
//!     .to("juergen@büro.example".parse()?)
//!     .in_reply_to("<CAF9a7kq3@mx.büro.example>".to_owned())
//!     .subject("Re: Your ticket")
//!     .header(ContentType::TEXT_PLAIN)
//!     .body(String::from("We are on it."))?;
//!
//! let text = String::from_utf8(email.formatted())?;
//! assert!(text.contains("\r\nIn-Reply-To: <CAF9a7kq3@mx.xn--bro-hoa.example>\r\n"));
//! assert!(text.contains("\r\nMessage-ID: <"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Everything not named here is lettre's own, re-exported at its lettre path.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

#[doc(no_inline)]
pub use lettre::*;

// The pipeline, in the order a message goes through it (ARCHITECTURE.md): RFC 5322 tokens,
// ids, the Message-ID domain, settings, the policy, the last check, the message.
mod config;
pub mod domain;
pub mod error;
mod grammar;
#[cfg(feature = "builder")]
mod headers;
mod idn;
#[cfg(feature = "builder")]
pub mod lint;
#[cfg(feature = "builder")]
pub mod message;
#[cfg(feature = "builder")]
mod mime;
pub mod msgid;
#[cfg(feature = "oauth2")]
pub mod oauth2;
#[cfg(feature = "builder")]
pub mod policy;
mod random;
#[cfg(feature = "builder")]
pub mod reply;
#[cfg(feature = "builder")]
mod rfc2047;
pub mod transport;
#[cfg(feature = "builder")]
mod verify;

pub use config::Config;
pub use domain::Domain;
pub use error::{Error, HeaderProblem, Reason};
#[cfg(feature = "builder")]
pub use message::Message;
pub use msgid::{ContentId, MsgId, MsgIds};
#[cfg(feature = "builder")]
pub use policy::{HeaderPolicy, IdentifierPolicy};
#[cfg(all(
    feature = "smtp-transport",
    any(feature = "tokio1", feature = "async-std1")
))]
pub use transport::smtp::AsyncSmtpTransport;
#[cfg(feature = "smtp-transport")]
pub use transport::smtp::SmtpTransport;
#[cfg(any(feature = "tokio1", feature = "async-std1"))]
pub use transport::AsyncTransport;
