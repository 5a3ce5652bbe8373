//! A user-written AsyncTransport (only send_raw implemented), used directly,
//! through generic functions and as a trait object.

use std::sync::Arc;

use async_trait::async_trait;
use letterhead_compat::deliver::{
    DynMailer, deliver, deliver_all, deliver_boxed, deliver_dyn, deliver_sync,
};
use letterhead_compat::emails;
use letterhead_compat::mock::{MockError, MockMailer, RecordingTransport};
use lettre::address::Envelope;
use lettre::{AsyncTransport, Message, Transport};
use tokio1_crate as tokio;

fn to(addr: &str, subject: &str) -> Message {
    Message::builder()
        .from("App <app@example.com>".parse().unwrap())
        .to(addr.parse().unwrap())
        .cc("audit@example.com".parse().unwrap())
        .subject(subject)
        .body(String::from("body"))
        .unwrap()
}

#[tokio::test]
async fn provided_send_formats_and_passes_envelope() {
    let mock = MockMailer::new();
    let message = to("Bob <bob@example.net>", "Hello Bob");
    let expected_raw = String::from_utf8(message.formatted()).unwrap();
    mock.send(message).await.unwrap();

    let sent = mock.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].from.as_deref(), Some("app@example.com"));
    assert_eq!(sent[0].to, ["bob@example.net", "audit@example.com"]);
    assert!(
        sent[0].raw.contains("Subject: Hello Bob\r\n"),
        "{}",
        sent[0].raw
    );
    assert!(sent[0].raw.contains("To: Bob <bob@example.net>\r\n"));
    assert_eq!(sent[0].raw, expected_raw);
}

#[tokio::test]
async fn mock_errors_surface_as_the_users_error_type() {
    let mock = MockMailer::rejecting("bad@example.net");
    let err: MockError = mock.send(to("bad@example.net", "x")).await.unwrap_err();
    assert_eq!(err, MockError::Rejected("bad@example.net".to_owned()));
    assert!(mock.sent().is_empty());
    mock.send(to("good@example.net", "y")).await.unwrap();
    assert_eq!(mock.sent().len(), 1);
}

#[tokio::test]
async fn generic_functions_accept_the_mock() {
    let mock = MockMailer::new();
    let ok: Result<(), MockError> = deliver(&mock, to("a@example.net", "one")).await;
    assert!(ok.is_ok());
    let results = deliver_all(
        &mock,
        vec![to("b@example.net", "two"), to("c@example.net", "three")],
    )
    .await;
    assert!(results.iter().all(Result::is_ok));
    let subjects: Vec<bool> = mock
        .sent()
        .iter()
        .zip(["one", "two", "three"])
        .map(|(c, s)| c.raw.contains(&format!("Subject: {s}\r\n")))
        .collect();
    assert_eq!(subjects, [true, true, true]);
}

#[tokio::test]
async fn trait_object_injection() {
    let mock = MockMailer::new();
    let mailer: DynMailer<MockError> = Arc::new(mock.clone());
    deliver_dyn(&mailer, to("dyn@example.net", "dyn"))
        .await
        .unwrap();
    let boxed: Box<dyn AsyncTransport<Ok = (), Error = MockError> + Send + Sync> =
        Box::new(mock.clone());
    boxed.send(to("boxed@example.net", "boxed")).await.unwrap();
    assert_eq!(mock.sent().len(), 2);
    assert_eq!(mock.sent()[1].to[0], "boxed@example.net");
}

#[tokio::test]
async fn mock_moves_into_spawned_tasks() {
    let mock = Arc::new(MockMailer::new());
    let mut handles = Vec::new();
    for i in 0..4 {
        let mock = mock.clone();
        handles.push(tokio::spawn(async move {
            mock.send(to(&format!("u{i}@example.net"), &format!("n{i}")))
                .await
        }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    let mut to: Vec<String> = mock.sent().iter().map(|c| c.to[0].clone()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "u0@example.net",
            "u1@example.net",
            "u2@example.net",
            "u3@example.net"
        ]
    );
}

#[tokio::test]
async fn send_raw_directly_with_hand_built_envelope() {
    let mock = MockMailer::new();
    let envelope = Envelope::new(
        Some("bounce@example.com".parse().unwrap()),
        vec!["x@example.net".parse().unwrap()],
    )
    .unwrap();
    mock.send_raw(&envelope, b"Subject: raw\r\n\r\nhi")
        .await
        .unwrap();
    assert_eq!(mock.sent()[0].from.as_deref(), Some("bounce@example.com"));
    assert_eq!(mock.sent()[0].raw, "Subject: raw\r\n\r\nhi");
    mock.shutdown().await;
}

#[test]
fn blocking_mock_with_non_unit_ok() {
    let t = RecordingTransport::default();
    let m = emails::simple("sync", "b").unwrap();
    let id: usize = t.send(&m).unwrap();
    assert_eq!(id, 1);
    assert_eq!(deliver_sync(&t, &m).unwrap(), 2);
    assert_eq!(deliver_boxed(&t, &m).unwrap(), 3);
    let sent = t.sent.lock().unwrap();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|c| c.raw.contains("Subject: sync\r\n")));
    assert_eq!(sent[0].to, ["hei@domain.tld"]);
}

/// An app-local wrapper transport: decorates another AsyncTransport.
struct Tagging<T> {
    inner: T,
}

#[async_trait]
impl<T> AsyncTransport for Tagging<T>
where
    T: AsyncTransport + Send + Sync,
{
    type Ok = T::Ok;
    type Error = T::Error;

    async fn send_raw(&self, envelope: &Envelope, email: &[u8]) -> Result<Self::Ok, Self::Error> {
        let mut tagged = b"X-Tagged: yes\r\n".to_vec();
        tagged.extend_from_slice(email);
        self.inner.send_raw(envelope, &tagged).await
    }
}

#[tokio::test]
async fn decorating_transport() {
    let mock = MockMailer::new();
    let tagging = Tagging {
        inner: mock.clone(),
    };
    tagging.send(to("t@example.net", "tagged")).await.unwrap();
    assert!(mock.sent()[0].raw.starts_with("X-Tagged: yes\r\n"));
    assert!(mock.sent()[0].raw.contains("Subject: tagged\r\n"));
}
