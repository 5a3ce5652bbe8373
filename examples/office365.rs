//! Sending through Office 365 / Outlook.com: `smtp.office365.com:587`, STARTTLS, then AUTH
//! with an OAuth2 access token of an app registration (XOAUTH2, the client-credentials grant),
//! or with the mailbox's password (Basic auth) as the fallback. Sends one message, a reply to
//! a message from an IDN domain if `PARENT_MESSAGE_ID` is set: the kind of message that plain
//! lettre 0.11 gets bounced for (`554 5.6.0 Corrupt message content`) and letterhead does not.
//!
//! ```text
//! O365_TENANT=contoso.onmicrosoft.com O365_CLIENT_ID=... O365_CLIENT_SECRET=... \
//!   SMTP_USER=app@contoso.com MAIL_TO=friend@example.org \
//!   PARENT_MESSAGE_ID='<CAF9a7kq3@mx.büro.example>' cargo run --example office365
//! ```
//!
//! It prints `sent <MESSAGE-ID>: <server reply>`. The app registration needs the
//! `SMTP.SendAsApp` permission and an Exchange service principal with rights on the mailbox
//! (README, "Office 365").
//!
//! Environment:
//!
//! - `SMTP_HOST` (default `smtp.office365.com`) and `SMTP_PORT` (default 587);
//! - `SMTP_USER` (required): the mailbox the message is sent as, and from: Office 365 wants
//!   the From address to be that mailbox (or one it may send as);
//! - OAuth2 (the default): `O365_TENANT` (the tenant's id or a domain such as
//!   `contoso.onmicrosoft.com`), `O365_CLIENT_ID` and `O365_CLIENT_SECRET` (the app
//!   registration's); `O365_TOKEN_URL` replaces the tenant's token endpoint (a proxy, a test);
//! - Basic auth (the fallback, where `O365_CLIENT_ID` is not set): `SMTP_PASSWORD`, the
//!   mailbox's password, sent by AUTH LOGIN or PLAIN. Tenants refuse it where Basic auth for
//!   SMTP AUTH is off (`550 5.7.30`);
//! - `MAIL_TO`: the recipient, default `SMTP_USER`;
//! - `PARENT_MESSAGE_ID`: if set, the message replies to it;
//! - `SMTP_CA_CERT`: a PEM certificate to trust besides the system's roots (a test server's
//!   CA: the Postfix fixture's `FIXTURE_CA_CERT`);
//! - `MESSAGE_ID_DOMAIN`: the domain of the Message-ID (else the domain of `SMTP_USER`).
//!
//! Against the test fixture (`eval "$(scripts/postfix-fixture start)"`) with Basic auth:
//!
//! ```text
//! SMTP_HOST=localhost SMTP_PORT=$FIXTURE_SUBMISSION_PORT SMTP_CA_CERT=$FIXTURE_CA_CERT \
//!   SMTP_USER=$FIXTURE_USER SMTP_PASSWORD=$FIXTURE_PASSWORD cargo run --example office365
//! ```
//!
//! (`tests/e2e_apps.rs` runs it both ways, OAuth2 against the fixture's OAuth 2.0 port with a
//! token endpoint of its own.)

use std::{env, error::Error, process::ExitCode};

use letterhead::{
    message::header::ContentType,
    oauth2::{ClientCredentials, TokenSource},
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

/// How the mailbox authenticates.
enum Auth {
    /// XOAUTH2 with tokens of the client-credentials grant, fetched and refreshed as needed.
    OAuth2(TokenSource),
    /// AUTH LOGIN or PLAIN with the mailbox's password.
    Basic(String),
}

fn auth_from_env() -> Result<Auth, Box<dyn Error>> {
    if env::var_os("O365_CLIENT_ID").is_none() {
        if let Ok(password) = env::var("SMTP_PASSWORD") {
            return Ok(Auth::Basic(password));
        }
        return Err("O365_CLIENT_ID is not set (OAuth2, with O365_TENANT and \
                    O365_CLIENT_SECRET; or set SMTP_PASSWORD for Basic auth)"
            .into());
    }
    let client_id = required("O365_CLIENT_ID")?;
    let secret = required("O365_CLIENT_SECRET")?;
    let grant = match env::var("O365_TOKEN_URL") {
        // Another endpoint, asked for the same Office 365 scope.
        Ok(url) => ClientCredentials::new(url, client_id, secret)?
            .scope("https://outlook.office365.com/.default"),
        Err(_) => ClientCredentials::microsoft(&required("O365_TENANT")?, client_id, secret)?,
    };
    Ok(Auth::OAuth2(TokenSource::new(grant)))
}

#[tokio::main]
async fn main() -> ExitCode {
    // The error's own text (`Display`): the server's reply and reason, the token
    // endpoint's `AADSTS` code.
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("office365: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn Error>> {
    letterhead::Config::from_env()?.install()?;
    let host = env::var("SMTP_HOST").unwrap_or_else(|_| "smtp.office365.com".into());
    let port: u16 = match env::var("SMTP_PORT") {
        Ok(port) => port.parse().map_err(|e| format!("SMTP_PORT: {e}"))?,
        Err(_) => 587,
    };
    let user = required("SMTP_USER")?;
    let auth = auth_from_env()?;
    let to = env::var("MAIL_TO").unwrap_or_else(|_| user.clone());

    // STARTTLS on port 587, the certificate checked for `host`.
    let mut tls = TlsParameters::builder(host.clone());
    if let Ok(path) = env::var("SMTP_CA_CERT") {
        let pem = std::fs::read(&path).map_err(|e| format!("SMTP_CA_CERT {path}: {e}"))?;
        tls = tls.add_root_certificate(Certificate::from_pem(&pem)?);
    }
    // Named, as lettre needs where more than one async executor feature is on.
    let builder = AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)?
        .port(port)
        .tls(Tls::Required(tls.build()?));
    let mailer: AsyncSmtpTransport<Tokio1Executor> = match auth {
        // A token for each new connection; XOAUTH2, or OAUTHBEARER where offered.
        Auth::OAuth2(tokens) => builder.oauth2(&user, tokens),
        // Office 365 offers AUTH LOGIN (and XOAUTH2); PLAIN for other servers.
        Auth::Basic(password) => builder
            .credentials(Credentials::new(user.clone(), password))
            .authentication(vec![Mechanism::Login, Mechanism::Plain]),
    }
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
