//! `SmtpTransport`: lettre's API and lettre's `SmtpConnection`, with every step bounded for
//! the caller.
//!
//! lettre's blocking client sets the timeout per read and per write (a reply dripping one
//! byte a second never trips it) and runs the implicit-TLS handshake with no timeout at all.
//! Its socket cannot be reached from outside lettre, so each connection lives on a worker
//! thread: the calling thread waits with `recv_timeout` until the deadline of the step the
//! worker is on (recorded by the worker, read only when a deadline passes) and returns the
//! timeout error at the step's deadline whatever lettre's call does; the worker sets the
//! socket timeout to what is left of the step, so a stalled socket ends it too, and a
//! connection whose caller gave up is dropped (never reused) when its call returns.
#![allow(deprecated)] // `Tls` is deprecated by lettre when no TLS backend is on

use std::{
    fmt,
    sync::{mpsc, Arc},
    time::{Duration, Instant},
};

use lettre::{
    address::Envelope,
    transport::smtp::{
        client::SmtpConnection,
        commands::{Data, Mail, Noop, Quit, Rcpt, Rset},
        extension::{Extension, MailBodyParameter, MailParameter},
        response::Response,
    },
    Transport,
};

#[cfg(feature = "pool")]
use super::info::{Idle, PoolConfig};
use super::{
    builder::builder_methods,
    error::{Error, Step},
    info::{Limits, SmtpInfo},
};

enum Job {
    Send {
        envelope: Envelope,
        email: Vec<u8>,
        limits: Limits,
    },
    Noop(Limits),
    Rset(Limits),
    Quit(Limits),
}

/// What a job ended with.
type Done = Result<Option<Response>, Error>;

/// The step the worker is on, when it started and its deadline: written by the worker at
/// each step, read by the caller only when a deadline passes (waking the caller for every
/// step would cost a thread switch each).
#[derive(Clone, Copy)]
struct Progress {
    step: Step,
    started: Instant,
    deadline: Option<Instant>,
}

type Shared = Arc<std::sync::Mutex<Progress>>;

fn record(progress: &Shared, step: Step, deadline: Option<Instant>) -> Instant {
    let started = Instant::now();
    *progress.lock().unwrap_or_else(|e| e.into_inner()) = Progress {
        step,
        started,
        deadline,
    };
    started
}

/// One connection: the handle of the worker thread that owns lettre's `SmtpConnection`.
struct SyncConn {
    jobs: mpsc::Sender<Job>,
    done: mpsc::Receiver<Done>,
    progress: Shared,
}

impl SyncConn {
    /// Opens a connection on a new worker thread: connect (TCP, implicit TLS, greeting,
    /// EHLO), STARTTLS, AUTH. The one place a connection is made and authenticated.
    fn open(info: &Arc<SmtpInfo>, limits: Limits) -> Result<SyncConn, Error> {
        let (jobs, job_rx) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let progress: Shared = Arc::new(std::sync::Mutex::new(Progress {
            step: Step::Connect,
            started: Instant::now(),
            deadline: limits.deadline(),
        }));
        let info = Arc::clone(info);
        let shared = Arc::clone(&progress);
        std::thread::Builder::new()
            .name("letterhead-smtp".into())
            .spawn(move || worker(&info, limits, &job_rx, &done_tx, &shared))
            .map_err(Error::client)?;
        let mut conn = SyncConn {
            jobs,
            done,
            progress,
        };
        conn.wait()?;
        Ok(conn)
    }

    /// Waits for the job in progress until the deadline of the step the worker is on.
    fn wait(&mut self) -> Done {
        loop {
            let now = self.progress();
            let result = match now.deadline {
                None => self
                    .done
                    .recv()
                    .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                Some(d) => self
                    .done
                    .recv_timeout(d.saturating_duration_since(Instant::now())),
            };
            match result {
                Ok(done) => return done,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let later = self.progress();
                    if later.deadline != now.deadline || later.step != now.step {
                        continue; // the worker moved on to a later step meanwhile
                    }
                    let after = later
                        .deadline
                        .map(|d| d.saturating_duration_since(later.started));
                    return Err(Error::timeout(later.step, after));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let step = self.progress().step;
                    return Err(Error::client("the connection's worker thread ended").at(step));
                }
            }
        }
    }

    fn progress(&self) -> Progress {
        *self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&mut self, job: Job, first: Step, limits: Limits) -> Done {
        // The worker records its own steps as it reaches them; until then, this one.
        record(&self.progress, first, limits.deadline());
        self.jobs
            .send(job)
            .map_err(|_| Error::client("the connection's worker thread ended").at(first))?;
        self.wait()
    }

    fn send(
        &mut self,
        envelope: &Envelope,
        email: &[u8],
        limits: Limits,
    ) -> Result<Response, Error> {
        let job = Job::Send {
            envelope: envelope.clone(),
            email: email.to_vec(),
            limits,
        };
        self.run(job, Step::Mail, limits).map(OrEmpty::or_empty)
    }

    fn noop(&mut self, limits: Limits) -> Result<Response, Error> {
        self.run(Job::Noop(limits), Step::Noop, limits)
            .map(OrEmpty::or_empty)
    }

    fn rset(&mut self, limits: Limits) -> Result<Response, Error> {
        self.run(Job::Rset(limits), Step::Rset, limits)
            .map(OrEmpty::or_empty)
    }

    /// QUIT on the worker; the caller does not wait for it.
    fn quit(self, limits: Limits) {
        let _ = self.jobs.send(Job::Quit(limits));
    }
}

/// What lettre's `Response` lacks: a default, for jobs without a reply to hand back.
trait OrEmpty {
    fn or_empty(self) -> Response;
}

impl OrEmpty for Option<Response> {
    fn or_empty(self) -> Response {
        self.unwrap_or_else(|| {
            use lettre::transport::smtp::response::{Category, Code, Detail, Severity};
            Response::new(
                Code::new(
                    Severity::PositiveCompletion,
                    Category::MailSystem,
                    Detail::Zero,
                ),
                vec![],
            )
        })
    }
}

/// The worker thread: opens the connection, then runs jobs until the handle is dropped or a
/// caller stops listening (it gave up: the connection is dropped, not reused).
fn worker(
    info: &SmtpInfo,
    limits: Limits,
    jobs: &mpsc::Receiver<Job>,
    done: &mpsc::Sender<Done>,
    progress: &Shared,
) {
    let mut w = Worker { progress };
    let mut conn = match w.open(info, limits) {
        Ok(conn) => conn,
        Err(e) => {
            let _ = done.send(Err(e));
            return;
        }
    };
    if done.send(Ok(None)).is_err() {
        return;
    }
    while let Ok(job) = jobs.recv() {
        let result = match job {
            Job::Send {
                envelope,
                email,
                limits,
            } => w.transaction(&mut conn, &envelope, &email, limits),
            Job::Noop(limits) => w.step(&mut conn, Step::Noop, limits, |c| c.command(Noop)),
            Job::Rset(limits) => w.step(&mut conn, Step::Rset, limits, |c| c.command(Rset)),
            Job::Quit(limits) => {
                let _ = w.step(&mut conn, Step::Quit, limits, |c| c.command(Quit));
                return;
            }
        };
        if done.send(result.map(Some)).is_err() {
            return; // the caller gave up on this connection
        }
    }
}

struct Worker<'a> {
    progress: &'a Shared,
}

impl Worker<'_> {
    /// Announces `step`, gives the socket what is left of its time, runs it.
    fn step<T>(
        &mut self,
        conn: &mut SmtpConnection,
        step: Step,
        limits: Limits,
        f: impl FnOnce(&mut SmtpConnection) -> Result<T, lettre::transport::smtp::Error>,
    ) -> Result<T, Error> {
        let deadline = limits.deadline();
        let started = record(self.progress, step, deadline);
        set_timeout(conn, deadline);
        f(conn).map_err(|e| from_lettre(e, step, started, deadline))
    }

    fn open(&mut self, info: &SmtpInfo, limits: Limits) -> Result<SmtpConnection, Error> {
        #[cfg(feature = "oauth2")]
        if let Some((user, tokens)) = &info.oauth2 {
            // A refused token is dropped and the connection opened once more with a new one.
            let mut refusals = super::sasl::Refusals::default();
            loop {
                record(self.progress, Step::Token, limits.deadline());
                let token = tokens.token_blocking().map_err(Error::token)?;
                refusals.check(&token)?;
                let mut conn = self.connect(info, limits)?;
                match self.oauth2(&mut conn, limits, info, user, token.secret()) {
                    Ok(()) => return Ok(conn),
                    Err(e) if e.is_refused() => {
                        refusals.refused(tokens, &token, e)?;
                        let _ = self.step(&mut conn, Step::Quit, limits, |c| c.quit());
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        let mut conn = self.connect(info, limits)?;
        if let Some(credentials) = &info.credentials {
            let mechanisms = &info.authentication;
            self.step(&mut conn, Step::Auth, limits, |c| {
                c.auth(mechanisms, credentials)
            })?;
        }
        Ok(conn)
    }

    /// AUTH with an OAuth2 access token (XOAUTH2 or OAUTHBEARER), after an EHLO that tells
    /// the mechanisms (lettre's `ServerInfo` keeps only those it knows).
    #[cfg(feature = "oauth2")]
    fn oauth2(
        &mut self,
        conn: &mut SmtpConnection,
        limits: Limits,
        info: &SmtpInfo,
        user: &str,
        token: &str,
    ) -> Result<(), Error> {
        use super::sasl::{Exchange, Mechanism};
        use lettre::transport::smtp::commands::Ehlo;
        let deadline = limits.deadline();
        let started = record(self.progress, Step::Auth, deadline);
        set_timeout(conn, deadline);
        let lettre = |e| from_lettre(e, Step::Auth, started, deadline);
        let run = |conn: &mut SmtpConnection| -> Result<(), Error> {
            let ehlo = conn
                .command(Ehlo::new(info.hello_name.clone()))
                .map_err(lettre)?;
            let mut exchange = Exchange::new(
                Mechanism::offered(&ehlo, &info.authentication)?,
                user,
                token,
            )?;
            let mut line = exchange.command();
            while let Some(next) = exchange.next(conn.command(&line).map_err(lettre))? {
                line = next;
            }
            Ok(())
        };
        run(conn).map_err(|e| {
            if e.step().is_none() {
                e.at(Step::Auth)
            } else {
                e
            }
        })
    }

    /// Connect (TCP, implicit TLS, greeting, EHLO), STARTTLS.
    fn connect(&mut self, info: &SmtpInfo, limits: Limits) -> Result<SmtpConnection, Error> {
        let deadline = limits.deadline();
        let started = record(self.progress, Step::Connect, deadline);
        #[allow(clippy::match_single_binding)]
        let wrapper = match &info.tls {
            #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
            lettre::transport::smtp::client::Tls::Wrapper(p) => Some(p),
            _ => None,
        };
        #[allow(unused_mut)]
        let mut conn = SmtpConnection::connect(
            (info.server.as_str(), info.port),
            remaining(deadline),
            &info.hello_name,
            wrapper,
            None,
        )
        .map_err(|e| from_lettre(e, Step::Connect, started, deadline))?;

        #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
        {
            use lettre::transport::smtp::client::Tls;
            let starttls = match &info.tls {
                Tls::Opportunistic(p) if conn.can_starttls() => Some(p),
                Tls::Required(p) => Some(p),
                _ => None,
            };
            if let Some(p) = starttls {
                let hello = &info.hello_name;
                self.step(&mut conn, Step::StartTls, limits, |c| c.starttls(p, hello))?;
            }
        }
        Ok(conn)
    }

    /// MAIL, RCPT, DATA, then the content with the final dot and its reply (one lettre
    /// call: a failure there leaves the delivery state unknown).
    fn transaction(
        &mut self,
        conn: &mut SmtpConnection,
        envelope: &Envelope,
        email: &[u8],
        limits: Limits,
    ) -> Result<Response, Error> {
        let mut mail_options = vec![];
        let non_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(Error::client(
                    "Envelope contains non-ascii chars but server does not support SMTPUTF8",
                ));
            }
            mail_options.push(MailParameter::SmtpUtfEight);
        }
        if !email.is_ascii() {
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err(Error::client(
                    "Message contains non-ascii chars but server does not support 8BITMIME",
                ));
            }
            mail_options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let mail = Mail::new(envelope.from().cloned(), mail_options);
        self.step(conn, Step::Mail, limits, |c| c.command(mail))?;
        for to in envelope.to() {
            let rcpt = Rcpt::new(to.clone(), vec![]);
            self.step(conn, Step::Rcpt, limits, |c| c.command(rcpt))?;
        }
        self.step(conn, Step::Data, limits, |c| c.command(Data))?;
        self.step(conn, Step::DataEnd, limits, |c| c.message(email))
    }
}

/// lettre's error for `step`; a socket timeout (`WouldBlock` or `TimedOut` from a read or
/// write past `SO_RCVTIMEO`/`SO_SNDTIMEO`) is the step's timeout.
fn from_lettre(
    e: lettre::transport::smtp::Error,
    step: Step,
    started: Instant,
    deadline: Option<Instant>,
) -> Error {
    let mut source = std::error::Error::source(&e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                let after = deadline.map(|d| d.saturating_duration_since(started));
                return Error::timeout(step, after);
            }
            break;
        }
        source = err.source();
    }
    mark(Error::from(e).at(step), step)
}

/// After the final dot only a reply the server gave is a known outcome.
fn mark(e: Error, step: Step) -> Error {
    if step.is_after_final_dot() && !(e.is_transient() || e.is_permanent()) {
        e.unknown()
    } else {
        e
    }
}

fn remaining(deadline: Option<Instant>) -> Option<Duration> {
    // A zero timeout means "none" to the socket: keep a millisecond.
    deadline.map(|d| {
        d.saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    })
}

fn set_timeout(conn: &mut SmtpConnection, deadline: Option<Instant>) {
    let _ = conn.set_timeout(remaining(deadline));
}

/// Sends emails using the SMTP protocol: lettre's `SmtpTransport`, with every step of a
/// session bounded for the calling thread by the builder's
/// [`timeout`](SmtpTransportBuilder::timeout) (60 s by default).
///
/// Each connection is lettre's `SmtpConnection` on a worker thread of its own; see
/// [`Step`] for the steps it can tell apart.
///
/// ```
/// use std::time::Duration;
/// use letterhead::SmtpTransport;
///
/// let mailer = SmtpTransport::builder_dangerous("127.0.0.1")
///     .port(2525)
///     .timeout(Some(Duration::from_secs(10)))
///     .build();
/// # let _ = mailer;
/// ```
#[derive(Clone)]
pub struct SmtpTransport {
    inner: Arc<SyncClient>,
}

struct SyncClient {
    info: Arc<SmtpInfo>,
    #[cfg(feature = "pool")]
    pool_config: PoolConfig,
    #[cfg(feature = "pool")]
    idle: Idle<SyncConn>,
    /// Dropped with the client: ends the housekeeping thread.
    #[cfg(feature = "pool")]
    _terminator: mpsc::SyncSender<()>,
}

impl SyncClient {
    fn limits(&self) -> Limits {
        Limits {
            timeout: self.info.timeout,
            cap: crate::transport::retry::attempt_deadline(),
        }
    }

    fn connection(&self, limits: Limits) -> Result<SyncConn, Error> {
        #[cfg(feature = "pool")]
        loop {
            let Ok(parked) = self.idle.take() else {
                return Err(Error::transport_shutdown());
            };
            let Some(mut conn) = parked else { break };
            match conn.noop(limits) {
                Ok(_) => return Ok(conn),
                Err(e) if e.is_timeout() => return Err(e),
                Err(_) => drop(conn),
            }
        }
        SyncConn::open(&self.info, limits)
    }

    fn recycle(&self, conn: SyncConn, limits: Limits) {
        #[cfg(feature = "pool")]
        if let Some(conn) = self.idle.put(conn, self.pool_config.max_size) {
            conn.quit(limits);
        }
        #[cfg(not(feature = "pool"))]
        conn.quit(limits);
    }
}

impl Transport for SmtpTransport {
    type Ok = Response;
    type Error = Error;

    fn send_raw(&self, envelope: &Envelope, email: &[u8]) -> Result<Self::Ok, Self::Error> {
        let client = &self.inner;
        let limits = client.limits();
        let mut conn = client.connection(limits)?;
        match conn.send(envelope, email, limits) {
            Ok(response) => {
                client.recycle(conn, limits);
                Ok(response)
            }
            Err(e) => {
                // Refused before any command was sent (the connection is clean), or refused
                // by a reply after which RSET makes it usable again.
                let clean = e.is_client() && e.step().is_none();
                if clean
                    || (e.is_transient() || e.is_permanent())
                        && e.status().is_some_and(|c| c.to_string() != "421")
                        && conn.rset(limits).is_ok()
                {
                    client.recycle(conn, limits);
                }
                Err(e)
            }
        }
    }

    fn shutdown(&self) {
        #[cfg(feature = "pool")]
        {
            let limits = self.inner.limits();
            for conn in self.inner.idle.shutdown() {
                conn.quit(limits);
            }
        }
    }
}

impl fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut builder = f.debug_struct("SmtpTransport");
        builder.field("info", &self.inner.info);
        #[cfg(feature = "pool")]
        builder
            .field("pool_config", &self.inner.pool_config)
            .field("connections", &self.inner.idle.describe());
        builder.finish()
    }
}

impl SmtpTransport {
    /// Simple and secure transport, using TLS connections to communicate with the SMTP server
    ///
    /// The right option for most SMTP servers.
    ///
    /// Creates an encrypted transport over submissions port, using the provided domain
    /// to validate TLS certificates.
    #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
    pub fn relay(relay: &str) -> Result<SmtpTransportBuilder, Error> {
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
    /// Alternative to [`SmtpTransport::relay`], for SMTP servers that don't take SMTPS
    /// connections. An error is returned if the connection can't be upgraded. No credentials
    /// or emails will be sent to the server, protecting from downgrade attacks.
    #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
    pub fn starttls_relay(relay: &str) -> Result<SmtpTransportBuilder, Error> {
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
    pub fn unencrypted_localhost() -> SmtpTransport {
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
    pub fn builder_dangerous<T: Into<String>>(server: T) -> SmtpTransportBuilder {
        SmtpTransportBuilder {
            info: SmtpInfo::new(server.into()),
            #[cfg(feature = "pool")]
            pool_config: PoolConfig::default(),
        }
    }

    /// Creates a `SmtpTransportBuilder` from a connection URL
    ///
    /// `scheme://user:pass@hostname:port/ehlo-name?tls=TLS`, as lettre reads it: `smtps`
    /// (implicit TLS, port 465), `smtp` with `tls=required` (STARTTLS, port 587), `smtp` with
    /// `tls=opportunistic`, or plain `smtp` (port 25 unless given). User and password are
    /// percent-decoded.
    #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
    pub fn from_url(connection_url: &str) -> Result<SmtpTransportBuilder, Error> {
        Ok(SmtpTransportBuilder {
            info: super::url::from_connection_url(connection_url)?,
            #[cfg(feature = "pool")]
            pool_config: PoolConfig::default(),
        })
    }

    /// Tests the SMTP connection
    ///
    /// `test_connection()` tests the connection by using the SMTP NOOP command.
    /// The connection is closed afterward if a connection pool is not used.
    pub fn test_connection(&self) -> Result<bool, Error> {
        let client = &self.inner;
        let limits = client.limits();
        let mut conn = client.connection(limits)?;
        let is_connected = conn.noop(limits).is_ok();
        if is_connected {
            client.recycle(conn, limits);
        }
        Ok(is_connected)
    }
}

/// Contains client configuration.
/// Instances of this struct can be created using functions of [`SmtpTransport`].
#[derive(Debug, Clone)]
pub struct SmtpTransportBuilder {
    info: SmtpInfo,
    #[cfg(feature = "pool")]
    pool_config: PoolConfig,
}

/// Builder for the SMTP `SmtpTransport`
impl SmtpTransportBuilder {
    builder_methods!();

    /// Build the transport
    ///
    /// With the `pool` feature this starts the pool's housekeeping thread (closing idle
    /// connections, opening `min_idle` ones), as lettre does.
    pub fn build(self) -> SmtpTransport {
        #[cfg(feature = "pool")]
        let (terminator, stop) = mpsc::sync_channel::<()>(1);
        let client = Arc::new(SyncClient {
            info: Arc::new(self.info),
            #[cfg(feature = "pool")]
            pool_config: self.pool_config,
            #[cfg(feature = "pool")]
            idle: Idle::new(),
            #[cfg(feature = "pool")]
            _terminator: terminator,
        });
        #[cfg(feature = "pool")]
        {
            let weak = Arc::downgrade(&client);
            let _ = std::thread::Builder::new()
                .name("letterhead-smtp-pool".into())
                .spawn(move || housekeeping(&weak, &stop));
        }
        SmtpTransport { inner: client }
    }
}

#[cfg(feature = "pool")]
fn housekeeping(client: &std::sync::Weak<SyncClient>, stop: &mpsc::Receiver<()>) {
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
        for conn in expired {
            conn.quit(limits);
        }
        for _ in count..c.pool_config.min_idle as usize {
            match SyncConn::open(&c.info, limits) {
                Ok(conn) => {
                    if c.idle.put(conn, u32::MAX).is_some() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        drop(c);
        match stop.recv_timeout(idle_timeout) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            _ => return,
        }
    }
}
