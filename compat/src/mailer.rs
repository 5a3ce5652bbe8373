//! Transport configuration the way web apps hold it: an `AsyncSmtpTransport`
//! inside a `Clone` state struct shared as `Arc<AppState>`.
//!
//! Note (lettre behaviour): with the `pool` feature, building an
//! `AsyncSmtpTransport<Tokio1Executor>` spawns the pool's background task, so
//! it must happen inside a tokio runtime.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, SmtpTransport, Tokio1Executor};

use crate::emails::AppError;

#[derive(Clone)]
pub struct AppState {
    pub mailer: AsyncSmtpTransport<Tokio1Executor>,
    pub from: Mailbox,
    pub app_name: String,
}

impl AppState {
    pub fn new(mailer: AsyncSmtpTransport<Tokio1Executor>) -> Arc<Self> {
        Arc::new(AppState {
            mailer,
            from: "Acme <noreply@acme.example>".parse().unwrap(),
            app_name: "acme".to_owned(),
        })
    }

    /// A request handler's send path: build, `?`, send by value, `?`.
    pub async fn send_password_reset(&self, to: &str, token: &str) -> Result<Response, AppError> {
        let email = Message::builder()
            .from(self.from.clone())
            .to(to.parse()?)
            .subject(format!("[{}] Password reset", self.app_name))
            .header(ContentType::TEXT_PLAIN)
            .body(format!("Your token: {token}\n"))?;
        let response = self.mailer.send(email).await?;
        Ok(response)
    }
}

/// Plaintext to a local relay (dev / mailpit-style), pooled, with a timeout.
pub fn local_mailer(port: u16) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(Duration::from_secs(10)))
        .hello_name(ClientId::Domain("app.acme.example".to_owned()))
        .pool_config(PoolConfig::new().max_size(4))
        .build()
}

/// Plaintext local relay with credentials (AUTH PLAIN/LOGIN).
pub fn local_mailer_with_auth(
    port: u16,
    user: &str,
    pass: &str,
) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .credentials(Credentials::new(user.to_owned(), pass.to_owned()))
        .authentication(vec![Mechanism::Plain, Mechanism::Login])
        .build()
}

/// Implicit TLS (port 465) with credentials and a tuned pool.
pub fn relay_mailer(
    host: &str,
    user: &str,
    pass: &str,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let creds = Credentials::new(user.to_owned(), pass.to_owned());
    Ok(AsyncSmtpTransport::<Tokio1Executor>::relay(host)?
        .credentials(creds)
        .pool_config(
            PoolConfig::new()
                .max_size(20)
                .min_idle(0)
                .idle_timeout(Duration::from_secs(30)),
        )
        .build())
}

/// STARTTLS (port 587).
pub fn starttls_mailer(
    host: &str,
    creds: Credentials,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?
        .credentials(creds)
        .timeout(Some(Duration::from_secs(20)))
        .build())
}

/// `smtp://`, `smtps://` connection URLs from configuration.
pub fn url_mailer(
    url: &str,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build())
}

/// Hand-built TLS parameters (self-signed staging server).
pub fn custom_tls_mailer(
    host: &str,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let tls = TlsParameters::builder(host.to_owned())
        .dangerous_accept_invalid_certs(true)
        .build()?;
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(2525)
            .tls(Tls::Required(tls))
            .build(),
    )
}

/// The blocking transport, same builder shapes.
pub fn blocking_mailers(
    host: &str,
) -> Result<
    (SmtpTransport, SmtpTransport, SmtpTransport, SmtpTransport),
    lettre::transport::smtp::Error,
> {
    let creds = Credentials::new("user".to_owned(), "pass".to_owned());
    let tls = SmtpTransport::relay(host)?
        .credentials(creds.clone())
        .build();
    let starttls = SmtpTransport::starttls_relay(host)?
        .credentials(creds)
        .pool_config(PoolConfig::new().max_size(2))
        .build();
    let url = SmtpTransport::from_url(&format!("smtps://user:pass@{host}:465"))?.build();
    let plain = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(2525)
        .build();
    Ok((tls, starttls, url, plain))
}

/// Blocking plaintext transport to a local relay.
pub fn local_blocking_mailer(port: u16) -> SmtpTransport {
    SmtpTransport::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(Duration::from_secs(10)))
        .build()
}
