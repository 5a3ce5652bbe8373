//! AsyncSmtpTransport<Tokio1Executor> in an Arc<AppState>, every builder shape,
//! and real sends to a scripted SMTP server on 127.0.0.1 (no network).

use std::sync::Arc;
use std::time::Duration;

use letterhead_compat::deliver::{deliver, deliver_sync};
use letterhead_compat::emails::{self, AppError};
use letterhead_compat::fake_smtp::FakeSmtp;
use letterhead_compat::mailer::{self, AppState};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::response::Response;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, SmtpTransport, Tokio1Executor, Transport,
};
use tokio1_crate as tokio;

fn assert_send_sync<T: Send + Sync + 'static>() {}

#[test]
fn transports_and_state_are_send_sync_clone() {
    assert_send_sync::<AsyncSmtpTransport<Tokio1Executor>>();
    assert_send_sync::<Arc<AppState>>();
    assert_send_sync::<SmtpTransport>();
    assert_send_sync::<Message>();
    assert_send_sync::<lettre::transport::smtp::Error>();
    assert_send_sync::<lettre::error::Error>();
    fn assert_clone<T: Clone>() {}
    assert_clone::<AsyncSmtpTransport<Tokio1Executor>>();
    assert_clone::<AppState>();
    assert_clone::<SmtpTransport>();
    assert_clone::<Message>();
}

#[tokio::test]
async fn every_async_builder_shape_constructs() {
    let _local = mailer::local_mailer(2525);
    let _auth = mailer::local_mailer_with_auth(2525, "u", "p");
    let _relay = mailer::relay_mailer("smtp.example.com", "user", "pass").unwrap();
    let _starttls =
        mailer::starttls_mailer("smtp.example.com", Credentials::new("u".into(), "p".into()))
            .unwrap();
    let _url = mailer::url_mailer("smtps://user:pass@smtp.example.com:465").unwrap();
    let _url = mailer::url_mailer("smtp://smtp.example.com:587?tls=required").unwrap();
    let _url = mailer::url_mailer("smtp://localhost:25").unwrap();
    let _tls = mailer::custom_tls_mailer("smtp.example.com").unwrap();
    let _unencrypted: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::unencrypted_localhost();
    assert!(mailer::url_mailer("not a url").is_err());
    assert!(mailer::url_mailer("http://smtp.example.com").is_err());

    let state = AppState::new(mailer::relay_mailer("smtp.example.com", "user", "pass").unwrap());
    let cloned: AppState = (*state).clone();
    assert_eq!(cloned.app_name, "acme");
    assert_eq!(cloned.from.email.to_string(), "noreply@acme.example");
    let _dbg = format!("{:?}", state.mailer);
}

#[test]
fn every_blocking_builder_shape_constructs() {
    let _ = mailer::blocking_mailers("smtp.example.com").unwrap();
    let _ = SmtpTransport::unencrypted_localhost();
    assert!(SmtpTransport::from_url("bogus").is_err());
}

#[tokio::test]
async fn app_state_sends_through_pooled_transport() {
    let server = FakeSmtp::start();
    let state = AppState::new(mailer::local_mailer(server.port));

    let response: Response = state
        .send_password_reset("user@example.net", "t0k3n")
        .await
        .unwrap();
    assert!(response.is_positive());
    assert_eq!(response.code().to_string(), "250");
    assert_eq!(response.first_line(), Some("2.0.0 Ok: queued as FAKE42"));

    let txs = server.transactions();
    assert_eq!(txs.len(), 1);
    assert_eq!(txs[0].mail_from, "noreply@acme.example");
    assert_eq!(txs[0].rcpt_to, ["user@example.net"]);
    assert_eq!(txs[0].ehlo.as_deref(), Some("app.acme.example"));
    assert!(
        txs[0].data.contains("Subject: [acme] Password reset\r\n"),
        "{}",
        txs[0].data
    );
    assert!(txs[0].data.contains("Your token: t0k3n"), "{}", txs[0].data);
}

#[tokio::test]
async fn concurrent_sends_from_spawned_tasks_share_the_state() {
    let server = FakeSmtp::start();
    let state = AppState::new(mailer::local_mailer(server.port));
    let mut handles = Vec::new();
    for i in 0..6 {
        let state = state.clone();
        handles.push(tokio::spawn(async move {
            state
                .send_password_reset(&format!("user{i}@example.net"), &format!("tok{i}"))
                .await
        }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    let mut rcpts: Vec<String> = server
        .transactions()
        .into_iter()
        .flat_map(|t| t.rcpt_to)
        .collect();
    rcpts.sort();
    assert_eq!(rcpts.len(), 6);
    assert_eq!(rcpts[0], "user0@example.net");
    assert_eq!(rcpts[5], "user5@example.net");
    // Pooling: a later send reuses an idle pooled connection instead of dialing again.
    let before = server.connections();
    assert!((1..=6).contains(&before), "{before} connections");
    state
        .send_password_reset("later@example.net", "t")
        .await
        .unwrap();
    assert_eq!(
        server.connections(),
        before,
        "pooled connection was not reused"
    );
    state.mailer.shutdown().await;
    match state.send_password_reset("after@example.net", "t").await {
        Err(AppError::Smtp(e)) => assert!(e.is_transport_shutdown(), "{e:?}"),
        other => panic!("expected a shutdown error, got {other:?}"),
    }
}

#[tokio::test]
async fn whole_message_goes_over_the_wire_unchanged() {
    let server = FakeSmtp::start();
    let mailer = mailer::local_mailer(server.port);
    let message = emails::threaded_reply("<orig-1@example.com>").unwrap();
    let expected = String::from_utf8(message.formatted()).unwrap();
    deliver(&mailer, message).await.unwrap();
    let tx = &server.transactions()[0];
    assert_eq!(tx.mail_from, "mailer@example.com");
    assert_eq!(
        tx.rcpt_to,
        [
            "bob@example.net",
            "carol@example.net",
            "dave@example.org",
            "frank@example.org",
            "eve@example.org"
        ]
    );
    // DATA is the formatted message plus the CRLF lettre appends before the final dot.
    assert_eq!(
        tx.data.trim_end_matches("\r\n"),
        expected.trim_end_matches("\r\n")
    );
    assert!(tx.data.contains("In-Reply-To: <orig-1@example.com>\r\n"));
}

#[tokio::test]
async fn credentials_are_used() {
    let server = FakeSmtp::start();
    let mailer = mailer::local_mailer_with_auth(server.port, "user", "pass");
    mailer
        .send(emails::simple("authed", "x").unwrap())
        .await
        .unwrap();
    // AUTH PLAIN base64("\0user\0pass")
    assert_eq!(
        server.transactions()[0].auth.as_deref(),
        Some("AHVzZXIAcGFzcw==")
    );
}

#[tokio::test]
async fn permanent_rejection_is_a_permanent_error() {
    let server = FakeSmtp::start();
    let mailer = mailer::local_mailer(server.port);
    let m = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("reject-me@example.net".parse().unwrap())
        .body(String::from("x"))
        .unwrap();
    let err = mailer.send(m).await.unwrap_err();
    assert!(err.is_permanent(), "{err:?}");
    assert!(!err.is_transient());
    assert_eq!(err.status().map(|c| c.to_string()).as_deref(), Some("550"));
    assert!(server.transactions().is_empty());
    let app: AppError = err.into();
    assert!(app.to_string().starts_with("smtp: "));
}

#[tokio::test]
async fn connection_refused_is_an_error_not_a_panic() {
    // Grab a free loopback port and close it again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailer: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(port)
            .timeout(Some(Duration::from_secs(5)))
            .build();
    let err = mailer
        .send(emails::simple("s", "b").unwrap())
        .await
        .unwrap_err();
    assert!(!err.is_permanent() && !err.is_transient(), "{err:?}");
    assert!(mailer.test_connection().await.is_err());
}

#[tokio::test]
async fn test_connection_against_fake_server() {
    let server = FakeSmtp::start();
    let mailer = mailer::local_mailer(server.port);
    assert!(mailer.test_connection().await.unwrap());
}

#[test]
fn blocking_transport_sends() {
    let server = FakeSmtp::start();
    let mailer = mailer::local_blocking_mailer(server.port);
    let m = emails::simple("blocking", "Be happy!").unwrap();
    let response = mailer.send(&m).unwrap();
    assert!(response.is_positive());
    deliver_sync(&mailer, &m).unwrap();
    let txs = server.transactions();
    assert_eq!(txs.len(), 2);
    assert!(txs.iter().all(|t| t.rcpt_to == ["hei@domain.tld"]));
    assert!(txs[0].data.contains("Subject: blocking\r\n"));
    assert!(mailer.test_connection().unwrap());
}
