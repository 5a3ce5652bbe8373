//! letterhead: lettre 0.11 with identifier headers that are always valid.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod domain;
pub mod error;
pub mod msgid;
#[cfg(feature = "builder")]
pub mod policy;

pub use domain::{Config, Domain};
pub use error::{Error, Reason};
pub use msgid::{MsgId, MsgIds};
#[cfg(feature = "builder")]
pub use policy::{HeaderPolicy, IdentifierPolicy};

/// lettre's message module, for doc examples until the drop-in surface lands.
#[cfg(feature = "builder")]
pub use lettre::message;
