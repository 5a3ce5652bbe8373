//! The SMTP transports' API as lettre 0.11 code uses it: generic over the executor, trait
//! objects, builders kept in structs, every builder and pool method, the smtp error's
//! methods, `?` from lettre's TLS parameters into the transport's error type.

use std::time::Duration;

use letterhead_compat::fake_smtp::FakeSmtp;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::{
    AsyncSmtpTransportBuilder, Error, PoolConfig, SmtpTransportBuilder, SMTP_PORT,
    SUBMISSIONS_PORT, SUBMISSION_PORT,
};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Executor, Message, SmtpTransport, Tokio1Executor, Transport,
};
use tokio1_crate as tokio;

/// A builder function generic over the executor, as libraries write it.
fn build_for<E: Executor>(port: u16) -> AsyncSmtpTransport<E> {
    AsyncSmtpTransport::<E>::builder_dangerous("127.0.0.1")
        .port(port)
        .hello_name(ClientId::Domain("app.example".into()))
        .timeout(Some(Duration::from_secs(5)))
        .build()
}

/// Settings kept in a struct until the transport is built.
struct Settings {
    async_builder: AsyncSmtpTransportBuilder,
    sync_builder: SmtpTransportBuilder,
}

#[allow(deprecated)]
fn every_pool_method() -> PoolConfig {
    PoolConfig::new()
        .min_idle(0)
        .max_size(3)
        .idle_timeout(Duration::from_secs(5))
        .connection_timeout(Duration::from_secs(1))
}

fn tls_builder(host: &str) -> Result<SmtpTransportBuilder, Error> {
    let tls = TlsParameters::builder(host.to_owned())
        .dangerous_accept_invalid_certs(true)
        .build()?;
    Ok(SmtpTransport::builder_dangerous(host)
        .port(SUBMISSION_PORT)
        .tls(Tls::Opportunistic(tls))
        .credentials(Credentials::new("u".into(), "p".into()))
        .authentication(vec![Mechanism::Plain])
        .pool_config(every_pool_method()))
}

#[tokio::test]
async fn generic_and_boxed_transports_send() {
    let server = FakeSmtp::start();
    let mailer: AsyncSmtpTransport<Tokio1Executor> = build_for::<Tokio1Executor>(server.port);
    let email = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .body(String::from("hi"))
        .unwrap();
    let response: Response = mailer.send(email.clone()).await.unwrap();
    assert!(response.is_positive());

    let boxed: Box<dyn AsyncTransport<Ok = Response, Error = Error> + Send + Sync> =
        Box::new(mailer.clone());
    boxed.send(email.clone()).await.unwrap();
    assert_eq!(server.transactions().len(), 2);
    assert_eq!(server.transactions()[0].ehlo.as_deref(), Some("app.example"));
    mailer.shutdown().await;
    assert!(mailer.send(email).await.unwrap_err().is_transport_shutdown());
}

#[test]
fn sync_transport_as_a_trait_object_and_from_settings() {
    let server = FakeSmtp::start();
    let settings = Settings {
        async_builder: AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("localhost"),
        sync_builder: SmtpTransport::builder_dangerous("127.0.0.1")
            .port(server.port)
            .timeout(None)
            .pool_config(every_pool_method()),
    };
    let _ = format!("{:?}", settings.async_builder);
    let mailer = settings.sync_builder.clone().build();
    let dynamic: &dyn Transport<Ok = Response, Error = Error> = &mailer;
    let email = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .body(String::from("hi"))
        .unwrap();
    dynamic.send(&email).unwrap();
    assert!(mailer.test_connection().unwrap());
    mailer.shutdown();
    assert!(mailer.send(&email).unwrap_err().is_transport_shutdown());
    let _ = format!("{mailer:?}");
    assert!(tls_builder("smtp.example.com").is_ok());
    assert_eq!((SMTP_PORT, SUBMISSION_PORT, SUBMISSIONS_PORT), (25, 587, 465));
}

#[test]
fn error_methods_answer_for_a_refused_connection() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailer = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(port)
        .build();
    let email = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .body(String::from("hi"))
        .unwrap();
    let e: Error = mailer.send(&email).unwrap_err();
    assert!(!e.is_response() && !e.is_client() && !e.is_transient() && !e.is_permanent());
    assert!(!e.is_timeout() && !e.is_tls() && !e.is_transport_shutdown());
    assert!(e.status().is_none());
    assert!(std::error::Error::source(&e).is_some(), "{e:?}");
    assert!(e.to_string().starts_with("Connection error: "), "{e}");
}
