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
//! input (an invalid address or id, named in the error), 502 when the SMTP server refuses and
//! 504 when it does not answer within the transport's timeout (`SMTP_TIMEOUT_SECS`, 10 s).
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
//! - `SMTP_TIMEOUT_SECS`: the bound on each step of an SMTP session, default 10.
//! - `LISTEN_ADDR`: default `127.0.0.1:3000`. The first line on stdout is
//!   `listening on http://ADDR` with the address bound (useful with port 0).

use std::{env, error::Error, fmt};

use actix_web::{http::StatusCode, post, web, App, HttpResponse, HttpServer, ResponseError};

#[path = "shared/mailer.rs"]
mod mailer;
use mailer::{MailError, Mailer, Reply, Sent, Signup};

#[post("/signup")]
async fn signup(
    mailer: web::Data<Mailer>,
    form: web::Form<Signup>,
) -> Result<web::Json<Sent>, AppError> {
    Ok(web::Json(mailer.welcome(form.into_inner()).await?))
}

#[post("/reply")]
async fn reply(
    mailer: web::Data<Mailer>,
    req: web::Json<Reply>,
) -> Result<web::Json<Sent>, AppError> {
    Ok(web::Json(mailer.reply(req.into_inner()).await?))
}

/// An error answer: 400 for input letterhead or lettre refused, 502 for the SMTP server's
/// refusal, 504 for its silence.
#[derive(Debug)]
struct AppError(StatusCode, String);

impl From<MailError> for AppError {
    fn from(e: MailError) -> Self {
        match e {
            MailError::Input(e) => AppError(StatusCode::BAD_REQUEST, e),
            MailError::Smtp(e) => AppError(StatusCode::BAD_GATEWAY, e),
            MailError::Timeout(e) => AppError(StatusCode::GATEWAY_TIMEOUT, e),
        }
    }
}

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

#[actix_web::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // One mailer, and so one connection pool, shared by every worker.
    let mailer = web::Data::new(Mailer::from_env()?);
    let addr = env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(mailer.clone())
            .service(signup)
            .service(reply)
    })
    .bind(&addr)?;
    println!("listening on http://{}", server.addrs()[0]);
    server.run().await?;
    Ok(())
}
