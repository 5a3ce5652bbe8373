//! A small axum app that mails through letterhead: a welcome mail on sign-up, and replies that
//! thread in the recipient's mail client.
//!
//! ```text
//! SMTP_URL=smtp://127.0.0.1:2525 MESSAGE_ID_DOMAIN=mail.example.com cargo run --example axum
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
//! input (an invalid address or id, named in the error), 502 when the SMTP server refuses and
//! 504 when it does not answer within the transport's timeout (`SMTP_TIMEOUT_SECS`, 10 s).
//!
//! Environment:
//!
//! - `SMTP_URL` (required): as lettre's `AsyncSmtpTransport::from_url` takes it, e.g.
//!   `smtp://127.0.0.1:2525`, or `smtp://user:pass@smtp.example.com:587?tls=required`
//!   (STARTTLS, trusting the system's root certificates). The transport keeps a pool of
//!   connections.
//! - `MESSAGE_ID_DOMAIN`: the domain of generated Message-IDs (else the From address's).
//! - `MAIL_FROM`: the From address, default `Example App <app@example.com>`.
//! - `SMTP_TIMEOUT_SECS`: the bound on each step of an SMTP session, default 10.
//! - `LISTEN_ADDR`: default `127.0.0.1:3000`. The first line on stdout is
//!   `listening on http://ADDR` with the address bound (useful with port 0).

use std::{env, error::Error};

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
    Form, Json, Router,
};

#[path = "shared/mailer.rs"]
mod mailer;
use mailer::{MailError, Mailer, Reply, Sent, Signup};

async fn signup(
    State(mailer): State<Mailer>,
    Form(form): Form<Signup>,
) -> Result<Json<Sent>, AppError> {
    Ok(Json(mailer.welcome(form).await?))
}

async fn reply(
    State(mailer): State<Mailer>,
    Json(req): Json<Reply>,
) -> Result<Json<Sent>, AppError> {
    Ok(Json(mailer.reply(req).await?))
}

/// An error answer: 400 for input letterhead or lettre refused, 502 for the SMTP server's
/// refusal, 504 for its silence.
struct AppError(MailError);

impl From<MailError> for AppError {
    fn from(e: MailError) -> Self {
        AppError(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, error) = match self.0 {
            MailError::Input(e) => (StatusCode::BAD_REQUEST, e),
            MailError::Smtp(e) => (StatusCode::BAD_GATEWAY, e),
            MailError::Timeout(e) => (StatusCode::GATEWAY_TIMEOUT, e),
        };
        (status, Json(serde_json::json!({ "error": error }))).into_response()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let app = Router::new()
        .route("/signup", post(signup))
        .route("/reply", post(reply))
        .with_state(Mailer::from_env()?);
    let addr = env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
