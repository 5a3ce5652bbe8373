//! The mail side of the example web apps (`examples/axum.rs`, `examples/actix.rs`), the same
//! for any framework: a pooled SMTP transport from `SMTP_URL`, the welcome mail, and replies
//! threaded from the parent's headers. The apps only map requests and errors to HTTP.

use std::{env, error::Error, time::Duration};

use letterhead::{
    message::{header::ContentType, Mailbox},
    reply::Parent,
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use serde::{Deserialize, Serialize};

/// `POST /signup`, a form: `email=...`.
#[derive(Deserialize)]
pub struct Signup {
    pub email: String,
}

/// `POST /reply`, JSON: the recipient, and the parent message's headers as your inbox
/// (IMAP, a webhook) gives them; RFC 2047-encoded ids are accepted and sent plain.
#[derive(Deserialize)]
pub struct Reply {
    pub to: String,
    /// The parent's Message-ID.
    pub message_id: String,
    /// The parent's References, if it has one.
    pub references: Option<String>,
    /// The parent's In-Reply-To, if it has one.
    pub in_reply_to: Option<String>,
    pub subject: Option<String>,
    pub body: String,
}

/// The identifier headers of the message sent.
#[derive(Serialize)]
pub struct Sent {
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub references: Option<String>,
}

/// Why a mail was not sent: the request's fault (HTTP 400), the SMTP server's (502), or a
/// server that did not answer within the transport's timeout (504).
pub enum MailError {
    Input(String),
    Smtp(String),
    /// A step of the SMTP session timed out. After the final dot the server may have taken
    /// the message: the text says so, and the client should not blindly send again.
    Timeout(String),
}

impl From<letterhead::Error> for MailError {
    fn from(e: letterhead::Error) -> Self {
        MailError::Input(e.to_string())
    }
}

impl From<letterhead::address::AddressError> for MailError {
    fn from(e: letterhead::address::AddressError) -> Self {
        MailError::Input(format!("address: {e}"))
    }
}

/// The app's mailer: one pooled transport, shared by every request.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// Installs `MESSAGE_ID_DOMAIN` for the process and builds the transport from `SMTP_URL`;
    /// the From address is `MAIL_FROM`.
    pub fn from_env() -> Result<Self, Box<dyn Error>> {
        letterhead::Config::from_env()?.install()?;
        let url =
            env::var("SMTP_URL").map_err(|_| "SMTP_URL is not set, e.g. smtp://127.0.0.1:25")?;
        let from = env::var("MAIL_FROM").unwrap_or_else(|_| "Example App <app@example.com>".into());
        // Every step of an SMTP session is bounded: a silent server costs a request at most
        // SMTP_TIMEOUT_SECS (default 10) per step, never a hung handler.
        let timeout = match env::var("SMTP_TIMEOUT_SECS") {
            Ok(s) => Duration::from_secs(s.parse().map_err(|e| format!("SMTP_TIMEOUT_SECS: {e}"))?),
            Err(_) => Duration::from_secs(10),
        };
        Ok(Mailer {
            transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)?
                .timeout(Some(timeout))
                .build(),
            from: from.parse()?,
        })
    }

    /// The welcome mail.
    pub async fn welcome(&self, form: Signup) -> Result<Sent, MailError> {
        let email = Message::builder()
            .from(self.from.clone())
            .to(form.email.parse()?)
            .subject("Welcome!")
            .header(ContentType::TEXT_PLAIN)
            .body(String::from("Thanks for signing up.\n"))?;
        self.send(email).await
    }

    /// A reply that threads under the parent.
    pub async fn reply(&self, req: Reply) -> Result<Sent, MailError> {
        let parent = Parent::from_headers(
            &req.message_id,
            req.references.as_deref(),
            req.in_reply_to.as_deref(),
        )?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(req.to.parse()?)
            .subject(req.subject.unwrap_or_else(|| "Re: your message".to_owned()))
            .replying_to(&parent)
            .header(ContentType::TEXT_PLAIN)
            .body(req.body)?;
        self.send(email).await
    }

    async fn send(&self, email: Message) -> Result<Sent, MailError> {
        let header = |name| email.headers().get_raw(name).map(str::to_owned);
        let sent = Sent {
            message_id: header("Message-ID").unwrap_or_default(),
            in_reply_to: header("In-Reply-To"),
            references: header("References"),
        };
        self.transport.send(email).await.map_err(|e| {
            if e.is_timeout() {
                MailError::Timeout(e.to_string())
            } else {
                MailError::Smtp(e.to_string())
            }
        })?;
        Ok(sent)
    }
}
