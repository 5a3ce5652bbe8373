//! Code generic over lettre's transport traits, and trait objects of them.

use std::sync::Arc;

use lettre::{AsyncTransport, Message, Transport};

/// Generic async delivery. `AsyncTransport` is an `#[async_trait]` trait whose
/// provided `send` requires `Self: Sync`, so lettre users need the `Sync` bound.
pub async fn deliver<T>(transport: &T, message: Message) -> Result<T::Ok, T::Error>
where
    T: AsyncTransport + Sync,
    T::Error: std::fmt::Debug,
{
    transport.send(message).await
}

/// Generic async delivery of many messages, collecting per-message results.
pub async fn deliver_all<T>(transport: &T, messages: Vec<Message>) -> Vec<Result<T::Ok, T::Error>>
where
    T: AsyncTransport + Sync,
{
    let mut out = Vec::with_capacity(messages.len());
    for m in messages {
        out.push(transport.send(m).await);
    }
    out
}

/// Generic blocking delivery; `Transport::send` takes `&Message`.
pub fn deliver_sync<T: Transport>(transport: &T, message: &Message) -> Result<T::Ok, T::Error> {
    transport.send(message)
}

/// Dependency injection through a trait object (`AsyncTransport` is object safe).
pub type DynMailer<E> = Arc<dyn AsyncTransport<Ok = (), Error = E> + Send + Sync>;

pub async fn deliver_dyn<E>(mailer: &DynMailer<E>, message: Message) -> Result<(), E> {
    mailer.send(message).await
}

/// Blocking trait object.
pub fn deliver_boxed<O, E>(
    mailer: &dyn Transport<Ok = O, Error = E>,
    message: &Message,
) -> Result<O, E> {
    mailer.send(message)
}
