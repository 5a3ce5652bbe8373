//! A small actix-web app that mails through letterhead: a welcome mail on sign-up, and replies
//! that thread in the recipient's mail client.
//!
//! ```text
//! SMTP_URL=smtp://127.0.0.1:2525 MESSAGE_ID_DOMAIN=mail.example.com cargo run --example actix
//!
//! curl -d email=ada@example.org http://127.0.0.1:3000/signup
//! curl -H 'Content-Type: application/json' http://127.0.0.1:3000/reply -d '{
//!   "to": "ada@example.org",
//!   "message_id": "<CAF9a7kq3@mx.büro.example>",
//!   "references": "<root@example.org>",
//!   "body": "Thanks, we are on it."
//! }'
//! ```
//!
//! Both answer `{"message_id": "<...>", ...}` with the identifier headers sent, 400 for bad
//! input (an invalid address or id, named in the error) and 502 when the SMTP server refuses.
//!
//! `AsyncSmtpTransport<Tokio1Executor>` works as it is here: actix-web runs each worker on a
//! Tokio current-thread runtime (actix-rt). The transport is built once, in `main`, and its
//! connection pool is shared by all workers through `web::Data`.
//!
//! Environment:
//!
//! - `SMTP_URL` (required): as lettre's `AsyncSmtpTransport::from_url` takes it, e.g.
//!   `smtp://127.0.0.1:2525`, or `smtp://user:pass@smtp.example.com:587?tls=required`
//!   (STARTTLS, trusting the system's root certificates).
//! - `MESSAGE_ID_DOMAIN`: the domain of generated Message-IDs (else the From address's).
//! - `MAIL_FROM`: the From address, default `Example App <app@example.com>`.
//! - `LISTEN_ADDR`: default `127.0.0.1:3000`. The first line on stdout is
//!   `listening on http://ADDR` with the address bound (useful with port 0).

use std::{env, error::Error, fmt};

use actix_web::{http::StatusCode, post, web, App, HttpResponse, HttpServer, ResponseError};
use letterhead::{
    message::{header::ContentType, Mailbox},
    reply::Parent,
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use serde::{Deserialize, Serialize};

struct AppState {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// `POST /signup`, a form: `email=...`.
#[derive(Deserialize)]
struct Signup {
    email: String,
}

/// `POST /reply`, JSON: the recipient, and the parent message's headers as your inbox
/// (IMAP, a webhook) gives them; RFC 2047-encoded ids are accepted and sent plain.
#[derive(Deserialize)]
struct Reply {
    to: String,
    /// The parent's Message-ID.
    message_id: String,
    /// The parent's References, if it has one.
    references: Option<String>,
    /// The parent's In-Reply-To, if it has one.
    in_reply_to: Option<String>,
    subject: Option<String>,
    body: String,
}

/// The identifier headers of the message sent.
#[derive(Serialize)]
struct Sent {
    message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_reply_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    references: Option<String>,
}

#[post("/signup")]
async fn signup(
    app: web::Data<AppState>,
    form: web::Form<Signup>,
) -> Result<web::Json<Sent>, AppError> {
    let email = Message::builder()
        .from(app.from.clone())
        .to(form.email.parse()?)
        .subject("Welcome!")
        .header(ContentType::TEXT_PLAIN)
        .body(String::from("Thanks for signing up.\n"))?;
    send(&app, email).await
}

#[post("/reply")]
async fn reply(
    app: web::Data<AppState>,
    req: web::Json<Reply>,
) -> Result<web::Json<Sent>, AppError> {
    let req = req.into_inner();
    let parent = Parent::from_headers(
        &req.message_id,
        req.references.as_deref(),
        req.in_reply_to.as_deref(),
    )?;
    let email = Message::builder()
        .from(app.from.clone())
        .to(req.to.parse()?)
        .subject(req.subject.unwrap_or_else(|| "Re: your message".to_owned()))
        .replying_to(&parent)
        .header(ContentType::TEXT_PLAIN)
        .body(req.body)?;
    send(&app, email).await
}

async fn send(app: &AppState, email: Message) -> Result<web::Json<Sent>, AppError> {
    let header = |name| email.headers().get_raw(name).map(str::to_owned);
    let sent = Sent {
        message_id: header("Message-ID").unwrap_or_default(),
        in_reply_to: header("In-Reply-To"),
        references: header("References"),
    };
    app.mailer
        .send(email)
        .await
        .map_err(|e| AppError(StatusCode::BAD_GATEWAY, e.to_string()))?;
    Ok(web::Json(sent))
}

/// An error answer: 400 for input letterhead or lettre refused, 502 for the SMTP server.
#[derive(Debug)]
struct AppError(StatusCode, String);

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.1)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.0
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.0).json(serde_json::json!({ "error": self.1 }))
    }
}

impl From<letterhead::Error> for AppError {
    fn from(e: letterhead::Error) -> Self {
        AppError(StatusCode::BAD_REQUEST, e.to_string())
    }
}

impl From<letterhead::address::AddressError> for AppError {
    fn from(e: letterhead::address::AddressError) -> Self {
        AppError(StatusCode::BAD_REQUEST, format!("address: {e}"))
    }
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn Error>> {
    letterhead::Config::from_env()?.install()?;
    let url = env::var("SMTP_URL").map_err(|_| "SMTP_URL is not set, e.g. smtp://127.0.0.1:25")?;
    let from = env::var("MAIL_FROM").unwrap_or_else(|_| "Example App <app@example.com>".into());
    let state = web::Data::new(AppState {
        mailer: AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)?.build(),
        from: from.parse()?,
    });

    let addr = env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .service(signup)
            .service(reply)
    })
    .bind(&addr)?;
    println!("listening on http://{}", server.addrs()[0]);
    server.run().await?;
    Ok(())
}
