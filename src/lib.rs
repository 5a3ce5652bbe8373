//! letterhead: lettre 0.11 with identifier headers that are always valid.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

#[doc(no_inline)]
pub use lettre::*;

pub mod domain;
pub mod error;
#[cfg(feature = "builder")]
pub mod message;
pub mod msgid;
#[cfg(feature = "builder")]
pub mod policy;
pub mod transport;

pub use domain::{Config, Domain};
pub use error::{Error, Reason};
#[cfg(feature = "builder")]
pub use message::Message;
pub use msgid::{MsgId, MsgIds};
#[cfg(feature = "builder")]
pub use policy::{HeaderPolicy, IdentifierPolicy};
#[cfg(any(feature = "tokio1", feature = "async-std1"))]
pub use transport::AsyncTransport;
