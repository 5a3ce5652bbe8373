//! `AsyncSmtpTransport`: lettre's API, every step bounded, letterhead's own small pool.
#![allow(deprecated)] // `Tls` is deprecated by lettre when no TLS backend is on

use std::{fmt, marker::PhantomData, sync::Arc};

use async_trait::async_trait;
use lettre::{address::Envelope, transport::smtp::response::Response, Executor};

#[cfg(feature = "pool")]
use super::info::{Idle, PoolConfig};
use super::{
    async_conn::{open, AsyncConn, Limits},
    builder::builder_methods,
    error::Error,
    info::SmtpInfo,
};

/// Asynchronously sends emails using the SMTP protocol: lettre's `AsyncSmtpTransport`, with
/// every step of a session bounded by the builder's [`timeout`](AsyncSmtpTransportBuilder::timeout)
/// (60 s by default).
///
/// With the `pool` feature (default), connections are kept for reuse, as in lettre: a
/// connection goes back to the pool only after a step sequence that completed; one that
/// timed out, was cut or was cancelled is closed. Before reuse, a NOOP checks it.
///
/// ```
/// use std::time::Duration;
/// use letterhead::{AsyncSmtpTransport, Tokio1Executor};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mailer: AsyncSmtpTransport<Tokio1Executor> =
///     AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
///         .port(2525)
///         .timeout(Some(Duration::from_secs(10)))
///         .build();
/// # let _ = mailer;
/// # }
/// ```
pub struct AsyncSmtpTransport<E: Executor> {
    inner: Arc<Client<E>>,
}

struct Client<E: Executor> {
    info: SmtpInfo,
    #[cfg(feature = "pool")]
    pool_config: PoolConfig,
    #[cfg(feature = "pool")]
    idle: Idle<AsyncConn>,
    executor: PhantomData<fn() -> E>,
}

impl<E: Executor> Client<E> {
    fn limits(&self) -> Limits {
        Limits {
            timeout: self.info.timeout,
            cap: crate::transport::retry::attempt_deadline(),
        }
    }

    /// A connection to send on: a pooled one that answers NOOP, else a new one.
    async fn connection(&self, limits: Limits) -> Result<AsyncConn, Error> {
        #[cfg(feature = "pool")]
        loop {
            let Ok(parked) = self.idle.take() else {
                return Err(Error::transport_shutdown());
            };
            let Some(mut conn) = parked else { break };
            match conn.noop::<E>(limits).await {
                Ok(_) => return Ok(conn),
                // A server that does not answer: opening another connection would wait as
                // long again.
                Err(e) if e.is_timeout() => return Err(e),
                // Closed while idle: try the next one.
                Err(_) => drop(conn),
            }
        }
        open::<E>(&self.info, limits.cap).await
    }

    /// Back to the pool, or QUIT.
    async fn recycle(&self, conn: AsyncConn, limits: Limits) {
        #[cfg(feature = "pool")]
        {
            if let Some(conn) = self.idle.put(conn, self.pool_config.max_size) {
                let _ = E::spawn(conn.quit::<E>(limits));
            }
        }
        #[cfg(not(feature = "pool"))]
        conn.quit::<E>(limits).await;
    }
}

/// After a reply refused the transaction: whether RSET may make the connection usable again.
fn worth_a_reset(e: &Error) -> bool {
    (e.is_transient() || e.is_permanent())
        && !e.is_delivery_unknown()
        && e.status().is_some_and(|c| c.to_string() != "421")
}

#[async_trait]
impl<E: Executor> lettre::AsyncTransport for AsyncSmtpTransport<E> {
    type Ok = Response;
    type Error = Error;

    /// Sends an email
    async fn send_raw(&self, envelope: &Envelope, email: &[u8]) -> Result<Self::Ok, Self::Error> {
        let client = &self.inner;
        let limits = client.limits();
        let mut conn = client.connection(limits).await?;
        match conn.transaction::<E>(envelope, email, limits).await {
            Ok(response) => {
                client.recycle(conn, limits).await;
                Ok(response)
            }
            Err(e) => {
                if e.is_client() && e.step().is_none() {
                    // Refused before any command was sent: the connection is clean.
                    client.recycle(conn, limits).await;
                } else if worth_a_reset(&e) && conn.rset::<E>(limits).await.is_ok() {
                    client.recycle(conn, limits).await;
                }
                Err(e)
            }
        }
    }

    async fn shutdown(&self) {
        #[cfg(feature = "pool")]
        {
            let limits = self.inner.limits();
            let parked = self.inner.idle.shutdown();
            futures_util::future::join_all(parked.into_iter().map(|c| c.quit::<E>(limits))).await;
        }
    }
}

impl<E: Executor> AsyncSmtpTransport<E> {
    /// Simple and secure transport, using TLS connections to communicate with the SMTP server
    ///
    /// The right option for most SMTP servers.
    ///
    /// Creates an encrypted transport over submissions port, using the provided domain
    /// to validate TLS certificates.
    #[cfg(any(
        feature = "tokio1-native-tls",
        feature = "tokio1-rustls",
        feature = "async-std1-rustls"
    ))]
    pub fn relay(relay: &str) -> Result<AsyncSmtpTransportBuilder, Error> {
        use lettre::transport::smtp::{
            client::{Tls, TlsParameters},
            SUBMISSIONS_PORT,
        };
        let tls_parameters = TlsParameters::new(relay.into())?;
        Ok(Self::builder_dangerous(relay)
            .port(SUBMISSIONS_PORT)
            .tls(Tls::Wrapper(tls_parameters)))
    }

    /// Simple and secure transport, using STARTTLS to obtain encrypted connections
    ///
    /// Alternative to [`AsyncSmtpTransport::relay`], for SMTP servers that don't take SMTPS
    /// connections. An error is returned if the connection can't be upgraded. No credentials
    /// or emails will be sent to the server, protecting from downgrade attacks.
    #[cfg(any(
        feature = "tokio1-native-tls",
        feature = "tokio1-rustls",
        feature = "async-std1-rustls"
    ))]
    pub fn starttls_relay(relay: &str) -> Result<AsyncSmtpTransportBuilder, Error> {
        use lettre::transport::smtp::{
            client::{Tls, TlsParameters},
            SUBMISSION_PORT,
        };
        let tls_parameters = TlsParameters::new(relay.into())?;
        Ok(Self::builder_dangerous(relay)
            .port(SUBMISSION_PORT)
            .tls(Tls::Required(tls_parameters)))
    }

    /// Creates a new local SMTP client to port 25
    ///
    /// Shortcut for local unencrypted relay (typical local email daemon that will handle relaying)
    pub fn unencrypted_localhost() -> AsyncSmtpTransport<E> {
        Self::builder_dangerous("localhost").build()
    }

    /// Creates a new SMTP client
    ///
    /// Defaults are:
    ///
    /// * No authentication
    /// * No TLS
    /// * A 60-seconds timeout for every step of an SMTP session
    /// * Port 25
    pub fn builder_dangerous<T: Into<String>>(server: T) -> AsyncSmtpTransportBuilder {
        AsyncSmtpTransportBuilder {
            info: SmtpInfo::new(server.into()),
            #[cfg(feature = "pool")]
            pool_config: PoolConfig::default(),
        }
    }

    /// Creates a `AsyncSmtpTransportBuilder` from a connection URL
    ///
    /// `scheme://user:pass@hostname:port/ehlo-name?tls=TLS`, as lettre reads it: `smtps`
    /// (implicit TLS, port 465), `smtp` with `tls=required` (STARTTLS, port 587), `smtp` with
    /// `tls=opportunistic`, or plain `smtp` (port 25 unless given). User and password are
    /// percent-decoded.
    #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
    pub fn from_url(connection_url: &str) -> Result<AsyncSmtpTransportBuilder, Error> {
        Ok(AsyncSmtpTransportBuilder {
            info: super::url::from_connection_url(connection_url)?,
            #[cfg(feature = "pool")]
            pool_config: PoolConfig::default(),
        })
    }

    /// Tests the SMTP connection
    ///
    /// `test_connection()` tests the connection by using the SMTP NOOP command.
    /// The connection is closed afterward if a connection pool is not used.
    pub async fn test_connection(&self) -> Result<bool, Error> {
        let client = &self.inner;
        let limits = client.limits();
        let mut conn = client.connection(limits).await?;
        let is_connected = conn.noop::<E>(limits).await.is_ok();
        if is_connected {
            client.recycle(conn, limits).await;
        }
        Ok(is_connected)
    }
}

impl<E: Executor> fmt::Debug for AsyncSmtpTransport<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut builder = f.debug_struct("AsyncSmtpTransport");
        builder.field("info", &self.inner.info);
        #[cfg(feature = "pool")]
        builder
            .field("pool_config", &self.inner.pool_config)
            .field("connections", &self.inner.idle.describe());
        builder.finish()
    }
}

impl<E: Executor> Clone for AsyncSmtpTransport<E> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

/// Contains client configuration.
/// Instances of this struct can be created using functions of [`AsyncSmtpTransport`].
#[derive(Debug, Clone)]
pub struct AsyncSmtpTransportBuilder {
    info: SmtpInfo,
    #[cfg(feature = "pool")]
    pool_config: PoolConfig,
}

/// Builder for the SMTP `AsyncSmtpTransport`
impl AsyncSmtpTransportBuilder {
    builder_methods!();

    /// Build the transport
    ///
    /// With the `pool` feature this spawns the pool's housekeeping task (closing idle
    /// connections, opening `min_idle` ones) on the executor, as lettre does: call it inside
    /// the runtime.
    pub fn build<E>(self) -> AsyncSmtpTransport<E>
    where
        E: Executor,
    {
        let client = Arc::new(Client {
            info: self.info,
            #[cfg(feature = "pool")]
            pool_config: self.pool_config,
            #[cfg(feature = "pool")]
            idle: Idle::new(),
            executor: PhantomData,
        });
        #[cfg(feature = "pool")]
        let _ = E::spawn(housekeeping(Arc::downgrade(&client)));
        AsyncSmtpTransport { inner: client }
    }
}

/// Every `idle_timeout`: closes the connections idle for longer, opens up to `min_idle`.
/// Ends when the transport is dropped or shut down.
#[cfg(feature = "pool")]
async fn housekeeping<E: Executor>(client: std::sync::Weak<Client<E>>) {
    loop {
        let Some(c) = client.upgrade() else { return };
        let idle_timeout = c.pool_config.idle_timeout;
        let Some((expired, count)) = c.idle.expire(idle_timeout) else {
            return;
        };
        let limits = Limits {
            timeout: c.info.timeout,
            cap: None,
        };
        futures_util::future::join_all(expired.into_iter().map(|conn| conn.quit::<E>(limits)))
            .await;
        for _ in count..c.pool_config.min_idle as usize {
            match open::<E>(&c.info, None).await {
                Ok(conn) => {
                    if let Some(conn) = c.idle.put(conn, u32::MAX) {
                        drop(conn); // shut down meanwhile
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        drop(c);
        E::sleep(idle_timeout).await;
    }
}
