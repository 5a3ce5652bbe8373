//! Sending through Office 365 / Outlook.com: `smtp.office365.com:587`, STARTTLS, then AUTH
//! with the mailbox's credentials. Sends one message, a reply to a message from an IDN domain
//! if `PARENT_MESSAGE_ID` is set: the kind of message that plain lettre 0.11 gets bounced for
//! (`554 5.6.0 Corrupt message content`) and letterhead does not.
//!
//! ```text
//! SMTP_USER=you@yourtenant.example SMTP_PASSWORD=... MAIL_TO=friend@example.org \
//!   PARENT_MESSAGE_ID='<CAF9a7kq3@mx.büro.example>' cargo run --example office365
//! ```
//!
//! It prints `sent <MESSAGE-ID>: <server reply>`.
//!
//! Environment:
//!
//! - `SMTP_HOST` (default `smtp.office365.com`) and `SMTP_PORT` (default 587);
//! - `SMTP_USER`, `SMTP_PASSWORD` (required): Office 365 wants the From address to be the
//!   signed-in mailbox (or one it may send as), so the message is from `SMTP_USER`;
//! - `MAIL_TO`: the recipient, default `SMTP_USER`;
//! - `PARENT_MESSAGE_ID`: if set, the message replies to it;
//! - `SMTP_CA_CERT`: a PEM certificate to trust besides the system's roots (a test server's
//!   CA: the Postfix fixture's `FIXTURE_CA_CERT`);
//! - `MESSAGE_ID_DOMAIN`: the domain of the Message-ID (else the domain of `SMTP_USER`).
//!
//! Against the test fixture (`eval "$(scripts/postfix-fixture start)"`):
//!
//! ```text
//! SMTP_HOST=localhost SMTP_PORT=$FIXTURE_SUBMISSION_PORT SMTP_CA_CERT=$FIXTURE_CA_CERT \
//!   SMTP_USER=$FIXTURE_USER SMTP_PASSWORD=$FIXTURE_PASSWORD cargo run --example office365
//! ```
//!
//! Tenants that turned off basic authentication for SMTP AUTH need OAuth 2.0 instead:
//! `Mechanism::Xoauth2`, with an access token as the password.

use std::{env, error::Error};

use letterhead::{
    message::header::ContentType,
    reply::Parent,
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{Certificate, Tls, TlsParameters},
    },
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

fn required(name: &str) -> Result<String, String> {
    env::var(name).map_err(|_| format!("{name} is not set"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    letterhead::Config::from_env()?.install()?;
    let host = env::var("SMTP_HOST").unwrap_or_else(|_| "smtp.office365.com".into());
    let port: u16 = match env::var("SMTP_PORT") {
        Ok(port) => port.parse().map_err(|e| format!("SMTP_PORT: {e}"))?,
        Err(_) => 587,
    };
    let user = required("SMTP_USER")?;
    let password = required("SMTP_PASSWORD")?;
    let to = env::var("MAIL_TO").unwrap_or_else(|_| user.clone());

    // STARTTLS on port 587, the certificate checked for `host`.
    let mut tls = TlsParameters::builder(host.clone());
    if let Ok(path) = env::var("SMTP_CA_CERT") {
        let pem = std::fs::read(&path).map_err(|e| format!("SMTP_CA_CERT {path}: {e}"))?;
        tls = tls.add_root_certificate(Certificate::from_pem(&pem)?);
    }
    // Named, as lettre needs where more than one async executor feature is on.
    let mailer: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)?
            .port(port)
            .tls(Tls::Required(tls.build()?))
            .credentials(Credentials::new(user.clone(), password))
            // Office 365 offers AUTH LOGIN (and XOAUTH2); PLAIN for other servers.
            .authentication(vec![Mechanism::Login, Mechanism::Plain])
            .build();

    let mut email = Message::builder()
        .from(user.parse()?)
        .to(to.parse()?)
        .header(ContentType::TEXT_PLAIN);
    email = match env::var("PARENT_MESSAGE_ID") {
        Ok(parent) => email
            .subject("Re: your message")
            .replying_to(&Parent::from_headers(&parent, None, None)?),
        Err(_) => email.subject("Hello from letterhead"),
    };
    let email = email.body(String::from("Sent with letterhead through SMTP AUTH.\n"))?;

    let id = email
        .message_id()
        .map(|id| id.to_string())
        .unwrap_or_default();
    let response = mailer.send(email).await?;
    println!(
        "sent {id}: {}",
        response.message().collect::<Vec<_>>().join(" ")
    );
    Ok(())
}
