//! End to end through a real MTA, as against smtp.office365.com:587: STARTTLS, then AUTH, on
//! the Postfix fixture's submission port (`scripts/postfix-fixture`), which refuses at DATA,
//! with Office 365's `554 5.6.0 Corrupt message content`, a message whose identifier headers
//! hold an RFC 2047 encoded-word.
//!
//! For each case plain lettre 0.11 writes an encoded-word, is refused with that 554, and
//! delivers nothing; letterhead's copy of the same message is delivered, and its identifier
//! headers arrive in the Maildir as the very lines that were built, which Python's `email`
//! reads as the same ids. Once with the sync `SmtpTransport`, once with the pooled
//! `AsyncSmtpTransport<Tokio1Executor>`.
//!
//! Needs the fixture: `eval "$(scripts/postfix-fixture start)"`, or `scripts/test`. Without it
//! the tests print a notice and pass, unless `LETTERHEAD_REQUIRE_FIXTURE=1`.

mod support;

use std::time::Duration;

use letterhead::{
    message::header::{ContentType, HeaderName, HeaderValue},
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::Tls,
        PoolConfig,
    },
    AsyncSmtpTransport, AsyncTransport, SmtpTransport, Tokio1Executor, Transport,
};
use support::{assert_delivered_as_built, header_lines, run_tag, unfolded, Delivered, Fixture};

/// The same message built with plain lettre and with letterhead.
struct Case {
    name: &'static str,
    lettre: lettre::Message,
    letterhead: letterhead::Message,
}

/// The parts a case sets on both builders.
struct Spec {
    name: &'static str,
    message_id: Option<String>,
    in_reply_to: Option<String>,
    references: Option<String>,
    extra: Option<(&'static str, String)>,
}

fn cases(tag: &str) -> Vec<Case> {
    // A long thread whose last id has a non-ASCII id-right: lettre folds the list and writes
    // that id as an encoded-word; letterhead folds between ids and writes the A-label.
    let thread: Vec<String> = (0..25)
        .map(|i| format!("<{i:02}.{tag}@mail.example.com>"))
        .collect();
    let specs = vec![
        Spec {
            name: "IDN domain in In-Reply-To",
            message_id: None,
            in_reply_to: Some("<CAF9a7kq3@mx.büro.example>".into()),
            references: Some("<CAF9a7kq3@mx.büro.example>".into()),
            extra: None,
        },
        Spec {
            name: "Resent-Message-ID with an IDN domain",
            message_id: None,
            in_reply_to: None,
            references: None,
            extra: Some(("Resent-Message-ID", format!("<resent.{tag}@büro.example>"))),
        },
        Spec {
            name: "References with a non-ASCII id-right, folded",
            message_id: None,
            in_reply_to: Some("<p@exämple.org>".into()),
            references: Some(format!("{} <p@exämple.org>", thread.join(" "))),
            extra: None,
        },
        Spec {
            name: "Message-ID with an IDN domain",
            message_id: Some(format!("<{tag}@büro.example>")),
            in_reply_to: None,
            references: None,
            extra: Some((
                "Original-Message-ID",
                format!("<orig.{tag}@bücher.example>"),
            )),
        },
    ];
    specs
        .into_iter()
        .map(|s| {
            let subject = |lib: &str| format!("{tag} {lib}: {}", s.name);
            let mut lettre_b = lettre::Message::builder()
                .from("App <app@fixture.test>".parse().unwrap())
                .to("Jürgen <juergen@fixture.test>".parse().unwrap())
                .subject(subject("lettre"))
                .header(ContentType::TEXT_PLAIN);
            let mut lh_b = letterhead::Message::builder()
                .from("App <app@fixture.test>".parse().unwrap())
                .to("Jürgen <juergen@fixture.test>".parse().unwrap())
                .subject(subject("letterhead"))
                .message_id_domain("e2e.fixture.test")
                .header(ContentType::TEXT_PLAIN);
            // lettre adds no Message-ID unless asked; ask, as apps do.
            lettre_b = lettre_b.message_id(
                s.message_id
                    .clone()
                    .or_else(|| Some(format!("<lettre.{}@fixture.test>", uuid::Uuid::new_v4()))),
            );
            if let Some(id) = &s.message_id {
                lh_b = lh_b.message_id(Some(id.clone()));
            }
            if let Some(v) = &s.in_reply_to {
                lettre_b = lettre_b.in_reply_to(v.clone());
                lh_b = lh_b.in_reply_to(v.clone());
            }
            if let Some(v) = &s.references {
                lettre_b = lettre_b.references(v.clone());
                lh_b = lh_b.references(v.clone());
            }
            if let Some((name, v)) = &s.extra {
                let raw = HeaderValue::new(HeaderName::new_from_ascii_str(name), v.clone());
                lettre_b = lettre_b.raw_header(raw.clone());
                lh_b = lh_b.raw_header(raw);
            }
            let body = format!("{}\n", s.name);
            let case = Case {
                name: s.name,
                lettre: lettre_b.body(body.clone()).unwrap(),
                letterhead: lh_b.body(body).unwrap(),
            };
            // The premise: lettre writes an encoded-word in an identifier header here.
            let lettre_text = case.lettre.formatted();
            assert!(
                [
                    "Message-ID",
                    "In-Reply-To",
                    "References",
                    "Resent-Message-ID"
                ]
                .iter()
                .filter_map(|n| header_lines(&lettre_text, n))
                .flatten()
                .any(|l| l.windows(2).any(|w| w == b"=?")),
                "{}: lettre no longer encodes this case:\n{}",
                s.name,
                String::from_utf8_lossy(&lettre_text)
            );
            case
        })
        .collect()
}

/// The error for lettre's copy is the fixture's Office 365 reply: permanent, 554, 5.6.0.
fn assert_refused(case: &str, err: &letterhead::transport::smtp::Error) {
    assert!(
        err.is_permanent(),
        "{case}: lettre's copy: expected a permanent SMTP error, got {err:?}"
    );
    let code = err.status().expect("a permanent error has a code");
    assert_eq!(code.to_string(), "554", "{case}: {err}");
    let text = err.to_string();
    assert!(
        text.contains("permanent error (554)") && text.contains("5.6.0 Corrupt message content"),
        "{case}: {text}"
    );
}

/// After the queue drained: no copy of lettre's messages was delivered.
fn assert_nothing_from_lettre(fixture: &Fixture, tag: &str) {
    fixture.wait_for_queue();
    let lettre_copies: Vec<_> = fixture
        .scan(tag)
        .into_iter()
        .filter(|d| d.subject.contains(" lettre: "))
        .collect();
    assert!(
        lettre_copies.is_empty(),
        "refused messages were delivered: {lettre_copies:?}"
    );
}

/// Postfix's Received line says `with ESMTPSA`: ESMTP, over TLS (S), authenticated (A).
fn assert_came_over_tls_with_auth(delivered: &Delivered) {
    let received = unfolded(&delivered.bytes, "Received").expect("Postfix adds Received");
    assert!(
        received.contains(" with ESMTPSA "),
        "{}: {received}",
        delivered.path.display()
    );
}

fn credentials(fixture: &Fixture) -> Credentials {
    Credentials::new(fixture.user.clone(), fixture.password.clone())
}

#[test]
fn sync_starttls_auth_lettre_is_refused_with_554_letterhead_is_delivered() {
    let Some(fixture) = Fixture::from_env("e2e_smtp::sync") else {
        return;
    };
    let tag = run_tag("e2e-smtp-sync");
    // As for Office 365: `starttls_relay("smtp.office365.com")` and AUTH LOGIN; here the
    // fixture's host, port and CA.
    let mailer = SmtpTransport::starttls_relay("localhost")
        .unwrap()
        .port(fixture.submission_port)
        .tls(Tls::Required(fixture.tls_parameters("localhost")))
        .credentials(credentials(&fixture))
        .authentication(vec![Mechanism::Login])
        .timeout(Some(Duration::from_secs(30)))
        .build();
    assert!(mailer.test_connection().unwrap(), "STARTTLS + AUTH failed");

    let cases = cases(&tag);
    for case in &cases {
        let err = mailer
            .send(&case.lettre)
            .expect_err("lettre's copy must be refused");
        assert_refused(case.name, &err);
        let response = mailer
            .send(&case.letterhead)
            .unwrap_or_else(|e| panic!("{}: letterhead's copy refused: {e}", case.name));
        assert_eq!(response.code().to_string(), "250", "{}", case.name);
    }
    let built: Vec<&letterhead::Message> = cases.iter().map(|c| &c.letterhead).collect();
    for delivered in assert_delivered_as_built(&fixture, &built) {
        assert_came_over_tls_with_auth(&delivered);
    }
    assert_nothing_from_lettre(&fixture, &tag);
}

#[test]
fn sync_starttls_checks_the_certificate() {
    let Some(fixture) = Fixture::from_env("e2e_smtp::certificate") else {
        return;
    };
    // Without the fixture's CA the handshake fails: TLS is really in use and verified.
    let mailer = SmtpTransport::starttls_relay("localhost")
        .unwrap()
        .port(fixture.submission_port)
        .credentials(credentials(&fixture))
        .timeout(Some(Duration::from_secs(30)))
        .build();
    let err = mailer.test_connection().unwrap_err();
    // lettre reports a failed handshake during STARTTLS as a connection error whose source
    // is the TLS stack's.
    let text = format!("{err:?}");
    assert!(
        text.contains("certificate verify failed"),
        "expected a failed certificate verification, got {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_pooled_starttls_auth_lettre_is_refused_with_554_letterhead_is_delivered() {
    let Some(fixture) = Fixture::from_env("e2e_smtp::async") else {
        return;
    };
    let tag = run_tag("e2e-smtp-async");
    let mailer: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay("localhost")
            .unwrap()
            .port(fixture.submission_port)
            .tls(Tls::Required(fixture.tls_parameters("localhost")))
            .credentials(credentials(&fixture))
            .authentication(vec![Mechanism::Plain])
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(PoolConfig::new().max_size(4))
            .build();
    assert!(mailer.test_connection().await.unwrap());

    // Every case three times over, concurrently, refused and accepted messages interleaved on
    // the same pooled connections: a 554 must not spoil a connection for the next message.
    let mut tasks = Vec::new();
    for round in 0..3 {
        for case in cases(&format!("{tag}-{round}")) {
            let mailer = mailer.clone();
            tasks.push(tokio::spawn(async move {
                let err = lettre::AsyncTransport::send(&mailer, case.lettre.clone())
                    .await
                    .expect_err("lettre's copy must be refused");
                assert_refused(case.name, &err);
                let response = mailer
                    .send(case.letterhead.clone())
                    .await
                    .unwrap_or_else(|e| panic!("{}: letterhead's copy refused: {e}", case.name));
                assert_eq!(response.code().to_string(), "250", "{}", case.name);
                case
            }));
        }
    }
    let mut sent = Vec::new();
    for t in tasks {
        sent.push(t.await.unwrap());
    }
    let fixture2 = fixture.clone();
    tokio::task::spawn_blocking(move || {
        let built: Vec<&letterhead::Message> = sent.iter().map(|c| &c.letterhead).collect();
        for delivered in assert_delivered_as_built(&fixture2, &built) {
            assert_came_over_tls_with_auth(&delivered);
        }
        assert_nothing_from_lettre(&fixture2, &tag);
    })
    .await
    .unwrap();
    letterhead::AsyncTransport::shutdown(&mailer).await;
}

/// A recipient on an IDN domain, through a server that does not take SMTPUTF8 mail (the
/// fixture's ASCII port): lettre writes the domain as UTF-8 in `To:` and in the envelope, and
/// its send is refused before MAIL FROM; letterhead writes A-labels in both, and the message
/// arrives, `To:` in A-labels, at the address Postfix records.
#[test]
fn an_idn_recipient_is_delivered_through_a_server_without_smtputf8() {
    let Some(fixture) = Fixture::from_env("e2e_smtp::idn") else {
        return;
    };
    let tag = run_tag("e2e-smtp-idn");
    let mailer = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(fixture.ascii_port)
        .timeout(Some(Duration::from_secs(20)))
        .build();
    let subject = |lib: &str| format!("{tag} {lib}: IDN recipient");

    let lettre_message = lettre::Message::builder()
        .from("App <app@fixture.test>".parse().unwrap())
        .to("Jürgen <juergen@büro.example>".parse().unwrap())
        .subject(subject("lettre"))
        .message_id(Some(format!("<lettre.{tag}@fixture.test>")))
        .body(String::from("Hallo"))
        .unwrap();
    let err = lettre::Transport::send(&mailer, &lettre_message)
        .expect_err("lettre's UTF-8 envelope through a server without SMTPUTF8");
    assert!(
        err.to_string().contains("non-ascii"),
        "lettre's copy: {err}"
    );

    let message = letterhead::Message::builder()
        .from("App <app@fixture.test>".parse().unwrap())
        .to("Jürgen <juergen@büro.example>".parse().unwrap())
        .subject(subject("letterhead"))
        .body(String::from("Hallo"))
        .unwrap();
    let id = message.message_id().expect("a Message-ID").to_string();
    mailer
        .send(&message)
        .expect("letterhead's copy is delivered");
    let delivered = fixture.find_message_id(&id, Duration::from_secs(20));
    assert_eq!(delivered.len(), 1, "{id}: {delivered:?}");
    let bytes = &delivered[0].bytes;
    let to = unfolded(bytes, "To").expect("To");
    assert!(to.ends_with("<juergen@xn--bro-hoa.example>"), "{to}");
    // What Postfix took as the envelope recipient.
    let original = unfolded(bytes, "X-Original-To").or_else(|| unfolded(bytes, "Delivered-To"));
    assert_eq!(
        original.as_deref().map(str::trim),
        Some("juergen@xn--bro-hoa.example"),
        "{}",
        String::from_utf8_lossy(bytes)
    );
    // Sent as 7-bit mail: nothing but ASCII in the header the server received.
    let header_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n" || &w[..2] == b"\n\n");
    let header = &bytes[..header_end.unwrap_or(bytes.len())];
    assert!(header.is_ascii(), "{}", String::from_utf8_lossy(header));
    assert_nothing_from_lettre(&fixture, &tag);
}
