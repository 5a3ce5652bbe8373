//! letterhead's async SMTP client: one code path for Tokio and async-std over lettre's
//! `AsyncNetworkStream`, every step bounded by the transport's timeout.
//!
//! lettre's `AsyncSmtpConnection` cannot be used for this: it bounds only the TCP connect,
//! runs connect, greeting and EHLO as one call (under async-std it cannot be built from a
//! stream at all) and keeps EHLO private. The wire is lettre's: its commands (`commands::*`
//! Display), its reply parser (`Response: FromStr`), its limits, its dot-stuffing and MAIL
//! parameters, checked against lettre in `tests/transport_timeouts.rs`.
#![allow(deprecated)] // lettre's `AsyncNetworkStream`: public, deprecated as "not meant to be public"

use std::{
    any::TypeId,
    future::Future,
    time::{Duration, Instant},
};

use futures_util::{
    future::{select, Either},
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    pin_mut,
};
use lettre::{
    address::Envelope,
    transport::smtp::{
        client::AsyncNetworkStream,
        commands::{Auth, Data, Ehlo, Mail, Noop, Quit, Rcpt, Rset, Starttls},
        extension::{ClientId, Extension, MailBodyParameter, MailParameter, ServerInfo},
        response::Response,
    },
    Executor,
};

pub(crate) use super::info::Limits;
use super::{
    error::{Error, Step},
    info::SmtpInfo,
};

/// Total bytes cap on an SMTP reply, as lettre (Postfix `smtp_response_limit`).
const MAX_RESPONSE_BYTES: usize = 100_000;
/// One reply line's cap, as lettre (Postfix `line_length_limit`).
const MAX_RESPONSE_LINE_BYTES: usize = 1000;

/// Runs one step: its own errors are marked with the step, and it fails with a timeout at
/// the deadline (the future, and with it the step's I/O, is dropped).
async fn bounded<E, T, F>(step: Step, limits: Limits, fut: F) -> Result<T, Error>
where
    E: Executor,
    F: Future<Output = Result<T, Error>>,
{
    let marked = async move {
        fut.await.map_err(|e| {
            let e = if e.step().is_none() { e.at(step) } else { e };
            // After the final dot only a reply the server gave is a known outcome.
            if step.is_after_final_dot() && !(e.is_transient() || e.is_permanent()) {
                e.unknown()
            } else {
                e
            }
        })
    };
    let Some(deadline) = limits.deadline() else {
        return marked.await;
    };
    let left = deadline.saturating_duration_since(Instant::now());
    let sleep = E::sleep(left);
    pin_mut!(marked);
    pin_mut!(sleep);
    match select(marked, sleep).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => Err(Error::timeout(step, Some(left))),
    }
}

/// Opens the TCP connection on the executor's runtime. `Executor` is sealed: Tokio and
/// async-std are all there is.
async fn tcp<E: Executor>(
    server: &str,
    port: u16,
    timeout: Option<Duration>,
) -> Result<AsyncNetworkStream, Error> {
    let executor = TypeId::of::<E>();
    #[cfg(feature = "tokio1")]
    if executor == TypeId::of::<lettre::Tokio1Executor>() {
        return AsyncNetworkStream::connect_tokio1((server, port), timeout, None, None)
            .await
            .map_err(Error::from);
    }
    #[cfg(feature = "async-std1")]
    if executor == TypeId::of::<lettre::AsyncStd1Executor>() {
        return AsyncNetworkStream::connect_asyncstd1((server, port), timeout, None)
            .await
            .map_err(Error::from);
    }
    let _ = (executor, server, port, timeout);
    Err(Error::client("no runtime for this executor"))
}

/// Whether lettre can run TLS on the executor's runtime with the features turned on.
#[allow(dead_code)] // without a TLS backend, `Tls` has no variant that asks for TLS
fn tls_on<E: Executor>() -> bool {
    let executor = TypeId::of::<E>();
    #[cfg(any(
        feature = "tokio1-native-tls",
        feature = "tokio1-rustls",
        feature = "tokio1-boring-tls"
    ))]
    if executor == TypeId::of::<lettre::Tokio1Executor>() {
        return true;
    }
    #[cfg(feature = "async-std1-rustls")]
    if executor == TypeId::of::<lettre::AsyncStd1Executor>() {
        return true;
    }
    let _ = executor;
    false
}

/// One SMTP connection.
pub(crate) struct AsyncConn {
    stream: BufReader<AsyncNetworkStream>,
    server_info: ServerInfo,
    /// The last EHLO reply: lettre's `ServerInfo` keeps only the mechanisms it knows.
    #[cfg(feature = "oauth2")]
    ehlo: Option<Response>,
}

impl std::fmt::Debug for AsyncConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncConn")
            .field("server_info", &self.server_info)
            .finish_non_exhaustive()
    }
}

/// Opens a connection ready to send: connect, implicit TLS, greeting, EHLO, STARTTLS and
/// EHLO again, AUTH. The one place a connection is made and authenticated.
pub(crate) async fn open<E: Executor>(
    info: &SmtpInfo,
    cap: Option<Instant>,
) -> Result<AsyncConn, Error> {
    let limits = Limits {
        timeout: info.timeout,
        cap,
    };
    #[cfg(feature = "oauth2")]
    if let Some((user, tokens)) = &info.oauth2 {
        // A refused token is dropped and the connection opened once more with a new one.
        let mut refusals = super::sasl::Refusals::default();
        loop {
            let token = bounded::<E, _, _>(Step::Token, limits, async {
                tokens.token().await.map_err(Error::token)
            })
            .await?;
            refusals.check(&token)?;
            let mut conn = connect::<E>(info, limits).await?;
            match bounded::<E, _, _>(
                Step::Auth,
                limits,
                conn.oauth2(&info.authentication, user, token.secret()),
            )
            .await
            {
                Ok(()) => return Ok(conn),
                Err(e) if e.is_refused() => {
                    refusals.refused(tokens, &token, e)?;
                    conn.quit::<E>(limits).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
    let mut conn = connect::<E>(info, limits).await?;
    if let Some(credentials) = &info.credentials {
        let mechanisms = &info.authentication;
        bounded::<E, _, _>(Step::Auth, limits, conn.auth(mechanisms, credentials)).await?;
    }
    Ok(conn)
}

/// Connect, implicit TLS, greeting, EHLO, STARTTLS and EHLO again.
async fn connect<E: Executor>(info: &SmtpInfo, limits: Limits) -> Result<AsyncConn, Error> {
    let connect_timeout = limits
        .deadline()
        .map(|d| d.saturating_duration_since(Instant::now()));
    #[allow(unused_mut)]
    let mut stream = bounded::<E, _, _>(
        Step::Connect,
        limits,
        tcp::<E>(&info.server, info.port, connect_timeout),
    )
    .await?;

    #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
    if let lettre::transport::smtp::client::Tls::Wrapper(parameters) = &info.tls {
        require_tls::<E>()?;
        let parameters = parameters.clone();
        bounded::<E, _, _>(Step::TlsHandshake, limits, async {
            stream.upgrade_tls(parameters).await.map_err(Error::from)
        })
        .await?;
    }

    let mut conn = AsyncConn {
        stream: BufReader::new(stream),
        server_info: ServerInfo::default(),
        #[cfg(feature = "oauth2")]
        ehlo: None,
    };
    bounded::<E, _, _>(Step::Greeting, limits, conn.read_reply()).await?;
    bounded::<E, _, _>(Step::Ehlo, limits, conn.ehlo(&info.hello_name)).await?;

    #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
    {
        use lettre::transport::smtp::client::Tls;
        let starttls = match &info.tls {
            Tls::Opportunistic(p) if conn.can_starttls() => Some(p),
            Tls::Required(p) => Some(p),
            _ => None,
        };
        if let Some(parameters) = starttls {
            require_tls::<E>()?;
            if !conn.server_info.supports_feature(Extension::StartTls) {
                return Err(
                    Error::client("STARTTLS is not supported on this server").at(Step::StartTls)
                );
            }
            bounded::<E, _, _>(Step::StartTls, limits, conn.command(Starttls)).await?;
            let parameters = parameters.clone();
            bounded::<E, _, _>(Step::TlsHandshake, limits, async {
                conn.stream
                    .get_mut()
                    .upgrade_tls(parameters)
                    .await
                    .map_err(Error::from)
            })
            .await?;
            bounded::<E, _, _>(Step::Ehlo, limits, conn.ehlo(&info.hello_name)).await?;
        }
    }
    Ok(conn)
}

#[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
fn require_tls<E: Executor>() -> Result<(), Error> {
    if tls_on::<E>() {
        Ok(())
    } else {
        // lettre's async transport would go on in plaintext here.
        Err(Error::client(
            "TLS is configured but no TLS feature for this runtime is on \
             (tokio1-native-tls, tokio1-rustls, tokio1-boring-tls or async-std1-rustls)",
        ))
    }
}

impl AsyncConn {
    fn can_starttls(&self) -> bool {
        !self.stream.get_ref().is_encrypted()
            && self.server_info.supports_feature(Extension::StartTls)
    }

    async fn ehlo(&mut self, hello_name: &ClientId) -> Result<(), Error> {
        let response = self.command(Ehlo::new(hello_name.clone())).await?;
        self.server_info = ServerInfo::from_response(&response)?;
        #[cfg(feature = "oauth2")]
        {
            self.ehlo = Some(response);
        }
        Ok(())
    }

    /// AUTH with an OAuth2 access token (XOAUTH2 or OAUTHBEARER).
    #[cfg(feature = "oauth2")]
    async fn oauth2(
        &mut self,
        chosen: &[lettre::transport::smtp::authentication::Mechanism],
        user: &str,
        token: &str,
    ) -> Result<(), Error> {
        use super::sasl::{Exchange, Mechanism};
        let ehlo = self
            .ehlo
            .as_ref()
            .ok_or_else(|| Error::client("AUTH before EHLO"))?;
        let mut exchange = Exchange::new(Mechanism::offered(ehlo, chosen)?, user, token)?;
        let mut line = exchange.command();
        while let Some(next) = exchange.next(self.command(&line).await)? {
            line = next;
        }
        Ok(())
    }

    /// AUTH with the first of `mechanisms` the server offers, answering up to 10
    /// challenges, as lettre does.
    async fn auth(
        &mut self,
        mechanisms: &[lettre::transport::smtp::authentication::Mechanism],
        credentials: &lettre::transport::smtp::authentication::Credentials,
    ) -> Result<Response, Error> {
        let mechanism = self
            .server_info
            .get_auth_mechanism(mechanisms)
            .ok_or_else(|| Error::client("No compatible authentication mechanism was found"))?;
        let mut challenges: u8 = 10;
        let mut response = self
            .command(Auth::new(mechanism, credentials.clone(), None)?)
            .await?;
        while challenges > 0 && response.has_code(334) {
            challenges -= 1;
            response = self
                .command(Auth::new_from_response(
                    mechanism,
                    credentials.clone(),
                    &response,
                )?)
                .await?;
        }
        if challenges == 0 {
            Err(Error::response("Unexpected number of challenges"))
        } else {
            Ok(response)
        }
    }

    /// One mail transaction: MAIL, RCPT for each recipient, DATA, the content, the final
    /// dot and its reply, each step bounded.
    pub(crate) async fn transaction<E: Executor>(
        &mut self,
        envelope: &Envelope,
        email: &[u8],
        limits: Limits,
    ) -> Result<Response, Error> {
        let mut mail_options = vec![];
        // SMTPUTF8 (RFC 6531) for non-ASCII addresses, 8BITMIME (RFC 6152) for 8-bit content.
        let non_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii {
            if !self.server_info.supports_feature(Extension::SmtpUtfEight) {
                return Err(Error::client(
                    "Envelope contains non-ascii chars but server does not support SMTPUTF8",
                ));
            }
            mail_options.push(MailParameter::SmtpUtfEight);
        }
        if !email.is_ascii() {
            if !self.server_info.supports_feature(Extension::EightBitMime) {
                return Err(Error::client(
                    "Message contains non-ascii chars but server does not support 8BITMIME",
                ));
            }
            mail_options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let mail = Mail::new(envelope.from().cloned(), mail_options);
        bounded::<E, _, _>(Step::Mail, limits, self.command(mail)).await?;
        for to in envelope.to() {
            let rcpt = Rcpt::new(to.clone(), vec![]);
            bounded::<E, _, _>(Step::Rcpt, limits, self.command(rcpt)).await?;
        }
        bounded::<E, _, _>(Step::Data, limits, self.command(Data)).await?;
        let body = dot_stuffed(email);
        bounded::<E, _, _>(Step::Message, limits, self.write(&body)).await?;
        bounded::<E, _, _>(Step::DataEnd, limits, async {
            self.write(b"\r\n.\r\n").await?;
            self.read_reply().await
        })
        .await
    }

    pub(crate) async fn noop<E: Executor>(&mut self, limits: Limits) -> Result<Response, Error> {
        bounded::<E, _, _>(Step::Noop, limits, self.command(Noop)).await
    }

    pub(crate) async fn rset<E: Executor>(&mut self, limits: Limits) -> Result<Response, Error> {
        bounded::<E, _, _>(Step::Rset, limits, self.command(Rset)).await
    }

    /// QUIT, then close: the polite end of a healthy connection.
    pub(crate) async fn quit<E: Executor>(mut self, limits: Limits) {
        let _ = bounded::<E, _, _>(Step::Quit, limits, self.command(Quit)).await;
        let _ = self.stream.get_mut().close().await;
    }

    async fn command<C: std::fmt::Display>(&mut self, command: C) -> Result<Response, Error> {
        self.write(command.to_string().as_bytes()).await?;
        self.read_reply().await
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let stream = self.stream.get_mut();
        stream.write_all(bytes).await.map_err(Error::network)?;
        stream.flush().await.map_err(Error::network)
    }

    /// Reads one reply, line by line, as lettre does: its limits, its parser; a negative
    /// reply is an error.
    async fn read_reply(&mut self) -> Result<Response, Error> {
        let mut buffer = String::with_capacity(100);
        let mut pre = 0;
        while self
            .stream
            .read_line(&mut buffer)
            .await
            .map_err(Error::network)?
            > 0
        {
            if buffer.len() - pre > MAX_RESPONSE_LINE_BYTES {
                return Err(Error::response("SMTP response line too long"));
            }
            if buffer.len() > MAX_RESPONSE_BYTES {
                return Err(Error::response("SMTP response too large"));
            }
            pre = buffer.len();
            if needs_more(&buffer) {
                continue;
            }
            let response: Response = buffer.parse()?;
            return if response.is_positive() {
                Ok(response)
            } else {
                Err(Error::code(&response))
            };
        }
        Err(Error::incomplete())
    }
}

/// True while `reply` is a prefix of a reply lettre's streaming parser would still wait on
/// (nom's `Incomplete`); false once it is whole, or wrong (then `Response::from_str` says
/// why). RFC 5321 section 4.2: `code "-" text CRLF` lines, then `code SP text CRLF`.
pub(crate) fn needs_more(reply: &str) -> bool {
    const DIGITS: [&[u8]; 3] = [b"2345", b"012345", b"0123456789"];
    let mut rest = reply;
    loop {
        let b = rest.as_bytes();
        for (i, set) in DIGITS.iter().enumerate() {
            match b.get(i) {
                None => return true,
                Some(c) if set.contains(c) => {}
                Some(_) => return false,
            }
        }
        match b.get(3) {
            None => return true,
            Some(b'-') => match rest[4..].find("\r\n") {
                None => return true,
                Some(p) => rest = &rest[4 + p + 2..],
            },
            Some(b' ') => return !rest[4..].contains("\r\n"),
            Some(_) => return false,
        }
    }
}

/// The content with lettre's transparency (RFC 5321 section 4.5.2): a `.` starting a line is
/// doubled. Lines start after CRLF, as in lettre's `ClientCodec`.
pub(crate) fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    #[derive(Clone, Copy)]
    enum At {
        LineStart,
        AfterCr,
        Middle,
    }
    let mut out = Vec::with_capacity(message.len() + 16);
    let mut at = At::LineStart;
    for &b in message {
        out.push(b);
        at = match (b, at) {
            (b'\r', _) => At::AfterCr,
            (b'\n', At::AfterCr) => At::LineStart,
            (_, At::AfterCr) => At::Middle,
            (b'.', At::LineStart) => {
                out.push(b'.');
                At::Middle
            }
            (_, At::LineStart) => At::Middle,
            (_, m) => m,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuffing_is_lettres() {
        // lettre's own codec test, every piece at once (its state carries across pieces).
        let input = b".\r\ntest\r\ntest\r\n\r\n.\r\n\r\ntestte\r\n.\r\nsttesttest.test\n.test\ntesttesttest\r\n.test\r\ntest.\r\n";
        assert_eq!(
            String::from_utf8(dot_stuffed(input)).unwrap(),
            "..\r\ntest\r\ntest\r\n\r\n..\r\n\r\ntestte\r\n..\r\nsttesttest.test\n.test\ntesttesttest\r\n..test\r\ntest.\r\n"
        );
    }

    #[test]
    fn completeness_follows_the_grammar() {
        for more in [
            "",
            "2",
            "25",
            "250",
            "250-",
            "250-a\r\n",
            "250-a\r\n250 b",
            "250 ok\n",
        ] {
            assert!(needs_more(more), "{more:?}");
        }
        for done in [
            "250 ok\r\n",
            "250-a\r\n250 b\r\n",
            "x\r\n",
            "250\r\n",
            "250-a\r\nzz\r\n",
        ] {
            assert!(!needs_more(done), "{done:?}");
        }
    }
}
