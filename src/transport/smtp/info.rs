//! What both SMTP transports are configured with: lettre's `SmtpInfo` and `PoolConfig`,
//! whose fields lettre keeps private.
#![allow(deprecated)] // `Tls` is deprecated by lettre when no TLS backend is on; it is still its API

use std::time::{Duration, Instant};

use lettre::transport::smtp::{
    authentication::{Credentials, Mechanism, DEFAULT_MECHANISMS},
    client::Tls,
    extension::ClientId,
    SMTP_PORT,
};

/// lettre's default: "a 60-seconds timeout for smtp commands", here for every step.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// When each step must be done: the transport's timeout from the step's start, never past a
/// retry attempt's deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) timeout: Option<Duration>,
    pub(crate) cap: Option<Instant>,
}

impl Limits {
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let own = self.timeout.map(|t| Instant::now() + t);
        match (own, self.cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[derive(Clone)]
pub(crate) struct SmtpInfo {
    pub(crate) hello_name: ClientId,
    pub(crate) server: String,
    pub(crate) port: u16,
    pub(crate) tls: Tls,
    pub(crate) authentication: Vec<Mechanism>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) timeout: Option<Duration>,
    /// OAuth2: the user to authenticate as and where its tokens come from. Set, it is used
    /// instead of `credentials`.
    #[cfg(feature = "oauth2")]
    pub(crate) oauth2: Option<(String, crate::oauth2::TokenSource)>,
}

/// lettre's fields as lettre shows them, then `oauth2` where it is set.
impl std::fmt::Debug for SmtpInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut info = f.debug_struct("SmtpInfo");
        info.field("hello_name", &self.hello_name)
            .field("server", &self.server)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("authentication", &self.authentication)
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout);
        #[cfg(feature = "oauth2")]
        if let Some(oauth2) = &self.oauth2 {
            info.field("oauth2", oauth2);
        }
        info.finish()
    }
}

impl SmtpInfo {
    pub(crate) fn new(server: String) -> Self {
        Self {
            server,
            port: SMTP_PORT,
            hello_name: ClientId::default(),
            credentials: None,
            authentication: DEFAULT_MECHANISMS.into(),
            timeout: Some(DEFAULT_TIMEOUT),
            tls: Tls::None,
            #[cfg(feature = "oauth2")]
            oauth2: None,
        }
    }
}

/// Configuration for a connection pool: lettre's `PoolConfig`, same methods and defaults.
///
/// `max_size` is how many idle connections are kept for reuse, as in lettre (sends that run
/// at the same time each get a connection); `min_idle` connections are opened ahead of
/// need; a connection idle for longer than `idle_timeout` is closed.
///
/// ```
/// use std::time::{Duration, Instant};
/// use letterhead::transport::smtp::PoolConfig;
///
/// let config = PoolConfig::new()
///     .max_size(20)
///     .min_idle(0)
///     .idle_timeout(Duration::from_secs(30));
/// # let _ = config;
/// ```
#[cfg(feature = "pool")]
#[derive(Debug, Clone)]
#[allow(missing_copy_implementations)]
pub struct PoolConfig {
    pub(crate) min_idle: u32,
    pub(crate) max_size: u32,
    pub(crate) idle_timeout: Duration,
}

#[cfg(feature = "pool")]
impl PoolConfig {
    /// Create a new pool configuration with default values
    pub fn new() -> Self {
        Self::default()
    }

    /// Minimum number of idle connections
    ///
    /// Defaults to `0`
    pub fn min_idle(mut self, min_idle: u32) -> Self {
        self.min_idle = min_idle;
        self
    }

    /// Maximum number of pooled connections
    ///
    /// Defaults to `10`
    pub fn max_size(mut self, max_size: u32) -> Self {
        self.max_size = max_size;
        self
    }

    /// Connection timeout: ignored, as in lettre (the transport's timeout bounds the connect)
    #[doc(hidden)]
    #[deprecated(note = "The Connection timeout is already configured on the SMTP transport")]
    pub fn connection_timeout(self, connection_timeout: Duration) -> Self {
        let _ = connection_timeout;
        self
    }

    /// Connection idle timeout
    ///
    /// Defaults to `60 seconds`
    pub fn idle_timeout(mut self, idle_timeout: Duration) -> Self {
        self.idle_timeout = idle_timeout;
        self
    }
}

#[cfg(feature = "pool")]
impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            min_idle: 0,
            max_size: 10,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// The idle connections of a pool: the newest is reused first, as in lettre.
#[cfg(feature = "pool")]
pub(crate) struct Idle<C> {
    parked: std::sync::Mutex<Option<Vec<(C, std::time::Instant)>>>,
}

#[cfg(feature = "pool")]
impl<C> Idle<C> {
    pub(crate) fn new() -> Self {
        Self {
            parked: std::sync::Mutex::new(Some(Vec::new())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Vec<(C, std::time::Instant)>>> {
        self.parked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(())` once shut down.
    pub(crate) fn take(&self) -> Result<Option<C>, ()> {
        match self.lock().as_mut() {
            Some(v) => Ok(v.pop().map(|(c, _)| c)),
            None => Err(()),
        }
    }

    /// Parks `conn`, or hands it back when the pool is full or shut down.
    pub(crate) fn put(&self, conn: C, max: u32) -> Option<C> {
        match self.lock().as_mut() {
            Some(v) if v.len() < max as usize => {
                v.push((conn, std::time::Instant::now()));
                None
            }
            _ => Some(conn),
        }
    }

    /// Removes the connections idle for longer than `idle`; `None` once shut down, else the
    /// removed ones and how many stay.
    pub(crate) fn expire(&self, idle: Duration) -> Option<(Vec<C>, usize)> {
        let mut guard = self.lock();
        let v = guard.as_mut()?;
        let (old, keep): (Vec<_>, Vec<_>) = v.drain(..).partition(|(_, t)| t.elapsed() > idle);
        *v = keep;
        Some((old.into_iter().map(|(c, _)| c).collect(), v.len()))
    }

    pub(crate) fn shutdown(&self) -> Vec<C> {
        self.lock()
            .take()
            .map(|v| v.into_iter().map(|(c, _)| c).collect())
            .unwrap_or_default()
    }

    pub(crate) fn describe(&self) -> String {
        match self.parked.try_lock() {
            Ok(g) => match g.as_ref() {
                Some(v) => format!("{} connections", v.len()),
                None => "SHUT DOWN".to_owned(),
            },
            Err(_) => "LOCKED".to_owned(),
        }
    }
}
