//! Transports: lettre's transport module, with an `AsyncTransport` whose `send` takes a
//! letterhead [`Message`](crate::Message) by value, SMTP transports whose every step is
//! bounded ([`smtp`]), and opt-in retries around any transport ([`retry`]).
//!
//! `FileTransport`, `SendmailTransport` and the stubs are lettre's own, at the same paths.
//! The SMTP transports are letterhead's, with lettre's API. The sync [`Transport`] trait is
//! lettre's: its `send(&Message)` accepts `&letterhead::Message` through `Deref`.

#[doc(no_inline)]
pub use lettre::transport::*;

pub mod retry;
#[cfg(feature = "smtp-transport")]
pub mod smtp;

#[cfg(any(feature = "tokio1", feature = "async-std1"))]
mod asynchronous {
    use async_trait::async_trait;

    use crate::address::Envelope;

    /// Async transport for emails: lettre's `AsyncTransport`, with `send` taking a letterhead
    /// [`Message`](crate::Message).
    ///
    /// Implemented for every lettre async transport (`AsyncSmtpTransport`,
    /// `AsyncFileTransport`, `AsyncSendmailTransport`, `AsyncStubTransport`). Implement it for
    /// your own type exactly as with lettre: `#[async_trait]` and `send_raw`.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{address::Envelope, AsyncTransport, Message};
    ///
    /// #[derive(Default)]
    /// struct Recorder(std::sync::Mutex<Vec<Vec<u8>>>);
    ///
    /// #[async_trait::async_trait]
    /// impl AsyncTransport for Recorder {
    ///     type Ok = ();
    ///     type Error = std::convert::Infallible;
    ///
    ///     async fn send_raw(&self, _: &Envelope, email: &[u8]) -> Result<(), Self::Error> {
    ///         self.0.lock().unwrap().push(email.to_vec());
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let email = Message::builder()
    ///     .from("a@example.com".parse()?)
    ///     .to("b@example.com".parse()?)
    ///     .body(String::from("hi"))?;
    /// let mailer = Recorder::default();
    /// mailer.send(email).await?;
    /// assert_eq!(mailer.0.lock().unwrap().len(), 1);
    /// # Ok(()) }
    /// ```
    #[async_trait]
    pub trait AsyncTransport {
        /// Response produced by the Transport
        type Ok;
        /// Error produced by the Transport
        type Error;

        /// Sends the email
        #[cfg(feature = "builder")]
        async fn send(&self, message: crate::Message) -> Result<Self::Ok, Self::Error> {
            let raw = message.formatted();
            self.send_raw(message.envelope(), &raw).await
        }

        /// Sends an already formatted email
        async fn send_raw(
            &self,
            envelope: &Envelope,
            email: &[u8],
        ) -> Result<Self::Ok, Self::Error>;

        /// Shuts down the transport. Future calls to [`Self::send`] and
        /// [`Self::send_raw`] might fail.
        async fn shutdown(&self) {}
    }

    #[async_trait]
    impl<T> AsyncTransport for T
    where
        T: lettre::AsyncTransport + Sync,
    {
        type Ok = T::Ok;
        type Error = T::Error;

        async fn send_raw(
            &self,
            envelope: &Envelope,
            email: &[u8],
        ) -> Result<Self::Ok, Self::Error> {
            lettre::AsyncTransport::send_raw(self, envelope, email).await
        }

        async fn shutdown(&self) {
            lettre::AsyncTransport::shutdown(self).await
        }
    }
}

#[cfg(any(feature = "tokio1", feature = "async-std1"))]
pub use asynchronous::AsyncTransport;
