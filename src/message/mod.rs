//! Messages: lettre's message module, with [`Message`] and [`MessageBuilder`] that always write
//! valid identifier headers.
//!
//! Everything else here (`header`, `Mailbox`, `MultiPart`, `SinglePart`, `Attachment`,
//! `Body`, ...) is lettre's own, at the same path. `dkim` (feature `dkim`) has lettre's
//! types and constructors with letterhead's own signer, which signs what is sent.
//!
//! What differs from lettre, on purpose:
//!
//! - every message gets a Message-ID; its domain comes from the order in [`crate::domain`];
//!   a generated one is written after Date;
//! - [`MessageBuilder::references`] appends (lettre documents "Set or add" but replaces);
//! - identifier headers, however they were set, go through the
//!   [`HeaderPolicy`](crate::HeaderPolicy) when the message is built, and stay where the app
//!   set them; one that cannot be written safely is an [`Error`], never encoded or repaired.

use std::ops::{Deref, DerefMut};

#[doc(no_inline)]
pub use lettre::message::*;

pub use self::builder::MessageBuilder;
// Named, so that they shadow lettre's `pub use dkim::*` taken in by the glob above.
#[cfg(feature = "dkim")]
pub use self::dkim::{
    dkim_sign, DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey, DkimSigningKeyError,
};
pub use crate::mime::{Attachment, MultiPart, MultiPartBuilder};

use crate::{msgid::Mode, reply::Parent, Error, MsgId};

mod builder;
#[cfg(feature = "dkim")]
pub mod dkim;

/// An email message, built by [`MessageBuilder`], whose identifier headers are valid.
///
/// Derefs to `lettre::Message`, so `formatted()`, `envelope()` and `headers()` work as in
/// lettre, and `&Message` is accepted wherever lettre's sync transports take
/// `&lettre::Message`. Headers changed through `headers_mut()` after the build are written as
/// given: they do not pass through the policy again.
///
/// # Example
///
/// ```
/// use letterhead::{message::header::ContentType, Message};
///
/// let email = Message::builder()
///     .from("NoBody <nobody@example.com>".parse()?)
///     .to("Hei <hei@example.org>".parse()?)
///     .in_reply_to("<1548@büro.example>".to_owned())
///     .subject("Happy new year")
///     .header(ContentType::TEXT_PLAIN)
///     .body(String::from("Be happy!"))?;
///
/// let text = String::from_utf8(email.formatted())?;
/// assert!(text.contains("\r\nIn-Reply-To: <1548@xn--bro-hoa.example>\r\n"));
/// assert!(text.contains("\r\nMessage-ID: <"));
/// assert!(!text.contains("=?"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Message(lettre::Message);

impl Message {
    /// Creates a new builder, as `MessageBuilder::new()`.
    ///
    /// # Example
    ///
    /// ```
    /// let builder = letterhead::Message::builder();
    /// # let _ = builder;
    /// ```
    pub fn builder() -> MessageBuilder {
        MessageBuilder::new()
    }

    /// The Message-ID the message carries, as written.
    ///
    /// `None` if it was removed through `headers_mut()` after the build, or if a custom policy
    /// wrote something that does not parse as a msg-id.
    ///
    /// # Example
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let email = letterhead::Message::builder()
    ///     .from("a@example.com".parse()?)
    ///     .to("b@example.com".parse()?)
    ///     .body(String::from("hi"))?;
    /// let id = email.message_id().expect("every built message has one");
    /// assert_eq!(Some(id.as_str()), email.headers().get_raw("Message-ID"));
    /// # Ok(()) }
    /// ```
    pub fn message_id(&self) -> Option<MsgId> {
        // Written by the policy, so it reads back in the widest rules.
        MsgId::parse_in(
            self.0.headers().get_raw("Message-ID")?,
            Mode::Compatible,
            true,
        )
        .ok()
    }

    /// Signs the message with DKIM (RFC 6376), as lettre's `Message::sign`: adds a
    /// DKIM-Signature on top of the header block over what [`formatted`](lettre::Message::formatted)
    /// writes. Sign last: a header changed afterwards breaks the signature. Signing again with
    /// another key adds a second signature.
    ///
    /// lettre's signature returns nothing, so a configuration that cannot be written (see
    /// [`DkimConfig::check`](dkim::DkimConfig::check)) leaves the message unsigned, never with
    /// a broken header. [`try_sign`](Self::try_sign) says why.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey}, Message};
    ///
    /// let mut email = Message::builder()
    ///     .from("Alice <alice@letterhead.test>".parse()?)
    ///     .to("Carla <carla@example.net>".parse()?)
    ///     .subject("Hello")
    ///     .body(String::from("Hi there!"))?;
    /// // A test key: never use a key from documentation for real mail.
    /// let key = DkimSigningKey::new(
    ///     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
    ///     DkimSigningAlgorithm::Ed25519,
    /// )?;
    /// email.sign(&DkimConfig::default_config("ed".into(), "letterhead.test".into(), key));
    /// assert!(email.headers().get_raw("DKIM-Signature").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "dkim")]
    pub fn sign(&mut self, dkim_config: &dkim::DkimConfig) {
        // lettre's signature has no room for the error; try_sign reports it.
        let _ = self.try_sign(dkim_config);
    }

    /// [`sign`](Self::sign), returning what went wrong.
    ///
    /// # Errors
    ///
    /// [`Error::Dkim`] for a setting that cannot be written (the message is left unchanged);
    /// [`Error::Policy`] if the header block does not read back as lettre holds it (a value set
    /// through `headers_mut()` with a line break in it).
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey}, Message};
    ///
    /// let mut email = Message::builder()
    ///     .from("alice@letterhead.test".parse()?)
    ///     .to("carla@example.net".parse()?)
    ///     .body(String::from("Hi"))?;
    /// let key = DkimSigningKey::new(
    ///     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
    ///     DkimSigningAlgorithm::Ed25519,
    /// )?;
    /// let config = DkimConfig::default_config("ed".into(), "letterhead.test;".into(), key);
    /// let err = email.try_sign(&config).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     r#"DkimConfig domain: "letterhead.test;": character ';' cannot be in a DNS name"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "dkim")]
    pub fn try_sign(&mut self, dkim_config: &dkim::DkimConfig) -> Result<(), Error> {
        dkim::sign_at(&mut self.0, dkim_config, dkim::now())
    }

    /// The lettre message inside.
    ///
    /// # Example
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let email = letterhead::Message::builder()
    ///     .from("a@example.com".parse()?)
    ///     .to("b@example.com".parse()?)
    ///     .body(String::from("hi"))?;
    /// let inner: lettre::Message = email.into_inner();
    /// # let _ = inner; Ok(()) }
    /// ```
    pub fn into_inner(self) -> lettre::Message {
        self.0
    }
}

impl Deref for Message {
    type Target = lettre::Message;

    fn deref(&self) -> &lettre::Message {
        &self.0
    }
}

impl DerefMut for Message {
    /// For lettre's `&mut Message` APIs (`headers_mut`). What is changed here
    /// does not pass through the policy again.
    fn deref_mut(&mut self) -> &mut lettre::Message {
        &mut self.0
    }
}

impl AsRef<lettre::Message> for Message {
    fn as_ref(&self) -> &lettre::Message {
        &self.0
    }
}

impl From<Message> for lettre::Message {
    fn from(m: Message) -> lettre::Message {
        m.0
    }
}

impl TryFrom<&Message> for Parent {
    type Error = Error;

    fn try_from(message: &Message) -> Result<Self, Error> {
        Parent::from_message(message)
    }
}
