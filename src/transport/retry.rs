//! Opt-in retries around any transport, sync or async: bounded attempts, exponential backoff
//! with jitter, a per-attempt and an overall deadline.
//!
//! What is retried is decided by [`Classify`]: a 4xx reply and a failure to connect, or a
//! connection lost, before the final dot ([`Failure::Transient`]) are; a 5xx reply
//! ([`Failure::Permanent`]) never is; a failure after the final dot, where the server may have
//! queued the message ([`Failure::Unknown`]), is not unless [`Retry::retry_unknown`] says so.
//! Then duplicates are possible: the message is sent again with the same Message-ID, by which
//! a reader (or a deduplicating MTA) can spot the copy.
//!
//! ```no_run
//! use std::time::Duration;
//! use letterhead::{transport::retry::Retry, Message, SmtpTransport, Transport};
//!
//! let mailer = Retry::new(SmtpTransport::builder_dangerous("127.0.0.1").port(2525).build())
//!     .attempts(4)
//!     .backoff(Duration::from_millis(200), Duration::from_secs(5))
//!     .attempt_timeout(Duration::from_secs(30))
//!     .deadline(Duration::from_secs(60));
//! # let email = Message::builder().from("a@example.com".parse()?).to("b@example.com".parse()?).body(String::new())?;
//! match mailer.send(&email) {
//!     Ok(sent) => println!("{} after {} attempt(s)", sent.response().code(), sent.attempts()),
//!     Err(e) => eprintln!("not sent: {e}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The per-attempt deadline reaches letterhead's SMTP transports, which bound every step by
//! what is left of it and so report exactly where an attempt stopped. Around another async
//! transport the attempt is cancelled at its deadline and counted as [`Failure::Unknown`] (the
//! wrapper cannot tell how far it got). A blocking call cannot be cancelled: around another
//! sync transport the per-attempt deadline only keeps a new attempt from starting late.

use std::{
    cell::Cell,
    fmt,
    marker::PhantomData,
    time::{Duration, Instant},
};

use lettre::{address::Envelope, Transport};

thread_local! {
    /// The deadline of the attempt being run on this thread (during each poll, for async).
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Set by a transport that bounds its steps by [`DEADLINE`].
    static HONOURED: Cell<bool> = const { Cell::new(false) };
}

/// The deadline of the retry attempt running on this thread, if any; a transport that calls
/// this promises to finish by it.
#[cfg_attr(not(feature = "smtp-transport"), allow(dead_code))]
pub(crate) fn attempt_deadline() -> Option<Instant> {
    let deadline = DEADLINE.with(Cell::get);
    if deadline.is_some() {
        HONOURED.with(|h| h.set(true));
    }
    deadline
}

/// Runs `f` with `deadline` as the attempt deadline; returns whether it was honoured.
fn scoped<T>(deadline: Option<Instant>, f: impl FnOnce() -> T) -> (T, bool) {
    let prev = DEADLINE.with(|d| d.replace(deadline));
    let prev_honoured = HONOURED.with(|h| h.replace(false));
    let out = f();
    let honoured = HONOURED.with(|h| h.replace(prev_honoured));
    DEADLINE.with(|d| d.set(prev));
    (out, honoured)
}

/// What a failed attempt means for the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Nothing was delivered and a later attempt may succeed: a 4xx reply, a timeout or a
    /// lost connection before the final dot, a refused connection.
    Transient,
    /// Retrying will not help: a 5xx reply, a bad configuration, a message the server or
    /// the client refuses.
    Permanent,
    /// The server may have taken the message: the reply to the final dot never came. Retried
    /// only with [`Retry::retry_unknown`].
    Unknown,
}

/// How an error counts for retries.
///
/// Implemented for the errors of every transport; implement it for your own transport's
/// error to wrap it in [`Retry`].
///
/// ```
/// use letterhead::transport::retry::{Classify, Failure};
///
/// #[derive(Debug)]
/// enum QueueError { Busy, Rejected }
///
/// impl Classify for QueueError {
///     fn failure(&self) -> Failure {
///         match self {
///             QueueError::Busy => Failure::Transient,
///             QueueError::Rejected => Failure::Permanent,
///         }
///     }
/// }
/// assert_eq!(QueueError::Busy.failure(), Failure::Transient);
/// ```
pub trait Classify {
    /// What this failure means for the next attempt.
    fn failure(&self) -> Failure;
}

#[cfg(feature = "smtp-transport")]
impl Classify for crate::transport::smtp::Error {
    /// Unknown when the final dot may have reached the server; transient for a 4xx reply, a
    /// timeout or a connection failure before it; permanent for the rest (5xx, TLS,
    /// configuration, unreadable replies, a shut-down transport).
    fn failure(&self) -> Failure {
        if self.is_delivery_unknown() {
            Failure::Unknown
        } else if self.is_transient() || self.is_timeout() || self.is_connection_failure() {
            Failure::Transient
        } else {
            Failure::Permanent
        }
    }
}

#[cfg(feature = "smtp-transport")]
impl Classify for lettre::transport::smtp::Error {
    /// lettre's own error does not say whether the final dot was written: a network or
    /// connection failure counts as unknown.
    fn failure(&self) -> Failure {
        let closed = self.to_string() == "response error: incomplete response";
        if self.is_transient() {
            Failure::Transient
        } else if closed {
            Failure::Unknown
        } else if self.is_permanent()
            || self.is_client()
            || self.is_response()
            || self.is_transport_shutdown()
        {
            Failure::Permanent
        } else {
            Failure::Unknown
        }
    }
}

#[cfg(feature = "file-transport")]
impl Classify for lettre::transport::file::Error {
    /// Permanent: a failed write may have left a file behind, and writing again would add
    /// another.
    fn failure(&self) -> Failure {
        Failure::Permanent
    }
}

#[cfg(feature = "sendmail-transport")]
impl Classify for lettre::transport::sendmail::Error {
    /// Unknown: sendmail's exit status is not kept, so whether it queued the message is not
    /// known.
    fn failure(&self) -> Failure {
        Failure::Unknown
    }
}

impl Classify for lettre::transport::stub::Error {
    /// Transient, so that a stub transport exercises the retry path.
    fn failure(&self) -> Failure {
        Failure::Transient
    }
}

impl Classify for std::convert::Infallible {
    fn failure(&self) -> Failure {
        match *self {}
    }
}

/// The sync flavour's timer: `std::thread::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Blocking;

/// A transport that retries failed sends: see the [module](self) documentation.
///
/// `Retry::new(transport)` wraps a sync [`Transport`]; add `.executor::<Tokio1Executor>()`
/// (or `AsyncStd1Executor`) to wrap an async one, whose timer it then uses (with the
/// `smtp-transport` feature, on by default).
#[derive(Debug, Clone)]
pub struct Retry<T, R = Blocking> {
    inner: T,
    attempts: u32,
    first_backoff: Duration,
    max_backoff: Duration,
    jitter: bool,
    attempt_timeout: Option<Duration>,
    deadline: Option<Duration>,
    retry_unknown: bool,
    runtime: PhantomData<fn() -> R>,
}

impl<T> Retry<T, Blocking> {
    /// Wraps `inner`: 3 attempts, backoff from 200 ms doubling up to 10 s with jitter, no
    /// deadline beyond the transport's own timeouts, unknown-state failures not retried.
    pub fn new(inner: T) -> Self {
        Retry {
            inner,
            attempts: 3,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            jitter: true,
            attempt_timeout: None,
            deadline: None,
            retry_unknown: false,
            runtime: PhantomData,
        }
    }
}

impl<T, R> Retry<T, R> {
    /// The async flavour, sleeping on `E`'s timer.
    ///
    /// ```
    /// use letterhead::{transport::{retry::Retry, stub::AsyncStubTransport}, Tokio1Executor};
    ///
    /// let mailer = Retry::new(AsyncStubTransport::new_ok()).executor::<Tokio1Executor>();
    /// # let _ = mailer;
    /// ```
    ///
    /// Needs the `smtp-transport` feature (on by default), which gives lettre's executors
    /// their timer.
    #[cfg(all(
        feature = "smtp-transport",
        any(feature = "tokio1", feature = "async-std1")
    ))]
    pub fn executor<E: lettre::Executor>(self) -> Retry<T, E> {
        Retry {
            inner: self.inner,
            attempts: self.attempts,
            first_backoff: self.first_backoff,
            max_backoff: self.max_backoff,
            jitter: self.jitter,
            attempt_timeout: self.attempt_timeout,
            deadline: self.deadline,
            retry_unknown: self.retry_unknown,
            runtime: PhantomData,
        }
    }

    /// At most `attempts` attempts in all (at least 1).
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The wait before the second attempt, doubling for each later one up to `max`.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.first_backoff = first;
        self.max_backoff = max.max(first);
        self
    }

    /// Whether each wait is drawn between half the backoff and the backoff (default: yes),
    /// so that many senders do not come back all at once.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Each attempt must end within `timeout`.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// All attempts must end within `deadline` of the call: no attempt starts, and no wait
    /// runs, past it.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Retry failures whose delivery state is unknown too (default: no). The message may
    /// then be delivered more than once; each copy carries the same Message-ID.
    pub fn retry_unknown(mut self, retry: bool) -> Self {
        self.retry_unknown = retry;
        self
    }

    /// The wrapped transport.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    fn backoff_for(&self, failed_attempts: u32) -> Duration {
        let doublings = failed_attempts.saturating_sub(1).min(31);
        let full = self
            .first_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff);
        if !self.jitter {
            return full;
        }
        let r = crate::random::bytes16();
        let fraction = u64::from_le_bytes(r[..8].try_into().unwrap()) as f64 / u64::MAX as f64;
        full.mul_f64(0.5 + 0.5 * fraction)
    }
}

/// A message the wrapper got through, and what it took.
#[derive(Debug, Clone)]
pub struct Sent<T> {
    inner: T,
    attempts: u32,
    unknown: u32,
}

impl<T> Sent<T> {
    /// The wrapped transport's answer (for SMTP, the server's reply).
    pub fn response(&self) -> &T {
        &self.inner
    }

    /// The wrapped transport's answer.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// Attempts made, the successful one included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Earlier attempts whose delivery state was unknown (only with `retry_unknown(true)`):
    /// each may have delivered a copy.
    pub fn unknown_attempts(&self) -> u32 {
        self.unknown
    }
}

/// Why the wrapper gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GaveUp {
    /// The last failure was permanent.
    Permanent,
    /// The last failure left the delivery state unknown, and `retry_unknown` is off.
    Unknown,
    /// Every attempt was used.
    Attempts,
    /// The overall deadline left no room for another attempt.
    Deadline,
}

/// A message the wrapper did not get through.
#[derive(Debug)]
pub struct RetryError<E> {
    error: Option<E>,
    attempts: u32,
    unknown: u32,
    gave_up: GaveUp,
    cancelled_after: Option<Duration>,
}

impl<E> RetryError<E> {
    /// The last attempt's error; `None` when the wrapper cancelled it at its deadline (an
    /// async transport that does not bound itself by it).
    pub fn last_error(&self) -> Option<&E> {
        self.error.as_ref()
    }

    /// The last attempt's error, as [`last_error`](Self::last_error).
    pub fn into_inner(self) -> Option<E> {
        self.error
    }

    /// Attempts made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Attempts whose delivery state was unknown, the last one included: each may have
    /// delivered a copy.
    pub fn unknown_attempts(&self) -> u32 {
        self.unknown
    }

    /// Why the wrapper stopped.
    pub fn gave_up(&self) -> GaveUp {
        self.gave_up
    }

    /// True when a copy may have been delivered.
    pub fn is_delivery_unknown(&self) -> bool {
        self.unknown > 0
    }
}

impl<E: fmt::Display> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.gave_up {
            GaveUp::Permanent => "permanent failure",
            GaveUp::Unknown => "delivery state unknown, not retried",
            GaveUp::Attempts => "no attempts left",
            GaveUp::Deadline => "deadline reached",
        };
        write!(f, "gave up after {} attempt(s) ({why}): ", self.attempts)?;
        match (&self.error, self.cancelled_after) {
            (Some(e), _) => write!(f, "{e}"),
            (None, Some(d)) => write!(f, "attempt cancelled after {d:?}"),
            (None, None) => f.write_str("attempt cancelled"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for RetryError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.as_ref().map(|e| e as _)
    }
}

/// The bookkeeping of one call: attempts, deadlines, the decision after each failure.
struct Run<'a, T, R> {
    retry: &'a Retry<T, R>,
    started: Instant,
    attempts: u32,
    unknown: u32,
}

enum Next {
    Again(Duration),
    Stop(GaveUp),
}

impl<'a, T, R> Run<'a, T, R> {
    fn new(retry: &'a Retry<T, R>) -> Self {
        Run {
            retry,
            started: Instant::now(),
            attempts: 0,
            unknown: 0,
        }
    }

    fn overall(&self) -> Option<Instant> {
        self.retry.deadline.map(|d| self.started + d)
    }

    /// The next attempt's deadline (counting it as made).
    fn begin(&mut self) -> Option<Instant> {
        self.attempts += 1;
        let own = self.retry.attempt_timeout.map(|t| Instant::now() + t);
        match (own, self.overall()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn after(&mut self, failure: Failure) -> Next {
        if failure == Failure::Unknown {
            self.unknown += 1;
        }
        match failure {
            Failure::Permanent => return Next::Stop(GaveUp::Permanent),
            Failure::Unknown if !self.retry.retry_unknown => return Next::Stop(GaveUp::Unknown),
            _ => {}
        }
        if self.attempts >= self.retry.attempts {
            return Next::Stop(GaveUp::Attempts);
        }
        let wait = self.retry.backoff_for(self.attempts);
        if let Some(overall) = self.overall() {
            if Instant::now() + wait >= overall {
                return Next::Stop(GaveUp::Deadline);
            }
        }
        Next::Again(wait)
    }

    fn sent<O>(&self, inner: O) -> Sent<O> {
        Sent {
            inner,
            attempts: self.attempts,
            unknown: self.unknown,
        }
    }

    fn failed<E>(
        &self,
        error: Option<E>,
        gave_up: GaveUp,
        cancelled_after: Option<Duration>,
    ) -> RetryError<E> {
        RetryError {
            error,
            attempts: self.attempts,
            unknown: self.unknown,
            gave_up,
            cancelled_after,
        }
    }
}

impl<T> Transport for Retry<T, Blocking>
where
    T: Transport,
    T::Error: Classify,
{
    type Ok = Sent<T::Ok>;
    type Error = RetryError<T::Error>;

    fn send_raw(&self, envelope: &Envelope, email: &[u8]) -> Result<Self::Ok, Self::Error> {
        let mut run = Run::new(self);
        loop {
            let deadline = run.begin();
            let (result, _) = scoped(deadline, || self.inner.send_raw(envelope, email));
            let error = match result {
                Ok(ok) => return Ok(run.sent(ok)),
                Err(e) => e,
            };
            match run.after(error.failure()) {
                Next::Again(wait) => std::thread::sleep(wait),
                Next::Stop(why) => return Err(run.failed(Some(error), why, None)),
            }
        }
    }

    fn shutdown(&self) {
        self.inner.shutdown()
    }
}

#[cfg(all(
    feature = "smtp-transport",
    any(feature = "tokio1", feature = "async-std1")
))]
mod asynchronous {
    use std::{
        future::Future,
        pin::Pin,
        task::{Context, Poll},
        time::Instant,
    };

    use async_trait::async_trait;
    use futures_util::future::{select, Either};
    use lettre::{address::Envelope, Executor};

    use super::{scoped, Classify, Failure, Next, Retry, RetryError, Run, Sent};
    use crate::transport::AsyncTransport;

    type Attempt<'a, O, E> = Pin<Box<dyn Future<Output = Result<O, E>> + Send + 'a>>;

    /// An attempt polled with its deadline in scope.
    struct Scoped<'a, O, E> {
        fut: Attempt<'a, O, E>,
        deadline: Option<Instant>,
        honoured: bool,
    }

    impl<O, E> Future for Scoped<'_, O, E> {
        type Output = Result<O, E>;

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let this = &mut *self;
            let (out, honoured) = scoped(this.deadline, || this.fut.as_mut().poll(cx));
            this.honoured |= honoured;
            out
        }
    }

    #[async_trait]
    impl<T, E> lettre::AsyncTransport for Retry<T, E>
    where
        T: AsyncTransport + Send + Sync,
        T::Ok: Send,
        T::Error: Classify + Send,
        E: Executor,
    {
        type Ok = Sent<T::Ok>;
        type Error = RetryError<T::Error>;

        async fn send_raw(
            &self,
            envelope: &Envelope,
            email: &[u8],
        ) -> Result<Self::Ok, Self::Error> {
            let mut run = Run::new(self);
            loop {
                let deadline = run.begin();
                let mut attempt = Scoped {
                    fut: self.inner.send_raw(envelope, email),
                    deadline,
                    honoured: false,
                };
                let result = match deadline {
                    None => Some((&mut attempt).await),
                    Some(d) => {
                        let left = d.saturating_duration_since(Instant::now());
                        let sleep = Box::pin(E::sleep(left));
                        let timed_out = match select(&mut attempt, sleep).await {
                            Either::Left((r, _)) => Err(r),
                            Either::Right(_) => Ok(()),
                        };
                        match timed_out {
                            Err(r) => Some(r),
                            // A transport bounded by the deadline is ending now: let it
                            // say how far it got.
                            Ok(()) if attempt.honoured => Some((&mut attempt).await),
                            Ok(()) => None,
                        }
                    }
                };
                let (error, failure) = match result {
                    Some(Ok(ok)) => return Ok(run.sent(ok)),
                    Some(Err(e)) => {
                        let f = e.failure();
                        (Some(e), f)
                    }
                    None => (None, Failure::Unknown),
                };
                drop(attempt);
                match run.after(failure) {
                    Next::Again(wait) => E::sleep(wait).await,
                    Next::Stop(why) => {
                        let after = self.attempt_timeout;
                        return Err(run.failed(error, why, after));
                    }
                }
            }
        }

        async fn shutdown(&self) {
            self.inner.shutdown().await
        }
    }
}
