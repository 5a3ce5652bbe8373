//! StubTransport / AsyncStubTransport, directly and through generic code.

use letterhead_compat::deliver::{deliver, deliver_boxed, deliver_sync};
use letterhead_compat::emails;
use lettre::transport::stub::{AsyncStubTransport, StubTransport};
use lettre::{AsyncTransport, Message, Transport};
use tokio1_crate as tokio;

fn email(subject: &str) -> Message {
    emails::simple(subject, "Be happy!").unwrap()
}

#[test]
fn stub_ok_records_messages() {
    let mailer = StubTransport::new_ok();
    let e = email("Happy new year");
    let res: Result<(), lettre::transport::stub::Error> = mailer.send(&e);
    assert!(res.is_ok());
    mailer.send(&email("second")).unwrap();

    let messages = mailer.messages();
    assert_eq!(messages.len(), 2);
    let (envelope, raw) = &messages[0];
    assert_eq!(envelope.to().len(), 1);
    assert_eq!(envelope.to()[0].to_string(), "hei@domain.tld");
    assert_eq!(envelope.from().unwrap().to_string(), "nobody@domain.tld");
    assert!(raw.contains("Subject: Happy new year\r\n"), "{raw}");
    assert_eq!(*raw, String::from_utf8(e.formatted()).unwrap());
    assert!(messages[1].1.contains("Subject: second\r\n"));
}

#[test]
fn stub_error_fails_but_still_records() {
    let mailer = StubTransport::new_error();
    let err = mailer.send(&email("doomed")).unwrap_err();
    let _: &dyn std::error::Error = &err;
    assert!(!err.to_string().is_empty());
    // lettre's stub logs the message before returning its canned response.
    assert_eq!(mailer.messages().len(), 1);
}

#[test]
fn stub_with_explicit_response_and_clone() {
    let mailer = StubTransport::new(Ok(()));
    let clone = mailer.clone();
    clone.send(&email("via clone")).unwrap();
    // Clones share the log.
    assert_eq!(mailer.messages().len(), 1);
}

#[test]
fn stub_through_generic_and_dyn() {
    let mailer = StubTransport::new_ok();
    deliver_sync(&mailer, &email("generic")).unwrap();
    deliver_boxed(&mailer, &email("dyn")).unwrap();
    let boxed: Box<dyn Transport<Ok = (), Error = lettre::transport::stub::Error>> =
        Box::new(mailer.clone());
    boxed.send(&email("boxed")).unwrap();
    let subjects: Vec<bool> = mailer
        .messages()
        .iter()
        .zip(["generic", "dyn", "boxed"])
        .map(|((_, raw), s)| raw.contains(&format!("Subject: {s}\r\n")))
        .collect();
    assert_eq!(subjects, [true, true, true]);
    mailer.shutdown();
}

#[tokio::test]
async fn async_stub_ok_records_messages() {
    let mailer = AsyncStubTransport::new_ok();
    let e = email("Happy new async year");
    mailer.send(e).await.unwrap();
    deliver(&mailer, email("generic async")).await.unwrap();
    let messages = mailer.messages().await;
    assert_eq!(messages.len(), 2);
    assert!(messages[0].1.contains("Subject: Happy new async year\r\n"));
    assert!(messages[1].1.contains("Subject: generic async\r\n"));
    assert_eq!(messages[1].0.to()[0].to_string(), "hei@domain.tld");
    mailer.shutdown().await;
}

#[tokio::test]
async fn async_stub_error() {
    let mailer = AsyncStubTransport::new_error();
    assert!(mailer.send(email("doomed")).await.is_err());
    assert!(deliver(&mailer, email("doomed too")).await.is_err());
}

#[tokio::test]
async fn async_stub_send_raw() {
    let mailer = AsyncStubTransport::new(Ok(()));
    let e = email("raw");
    mailer.send_raw(e.envelope(), &e.formatted()).await.unwrap();
    let messages = mailer.messages().await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0].1.contains("Subject: raw\r\n"));
}
