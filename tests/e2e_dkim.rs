//! DKIM end to end: signed mail sent to the Postfix fixture's plain SMTP port, where OpenDKIM
//! runs as a Milter (`scripts/postfix-fixture`, `scripts/postfix/opendkim.conf.in`) and writes
//! its verdict into `Authentication-Results: fixture.test; dkim=...` of the delivered copy.
//!
//! Sync (`SmtpTransport`) and async (`AsyncSmtpTransport<Tokio1Executor>`): RSA and Ed25519,
//! relaxed and simple, a multipart, a message with both signatures: every signature arrives
//! `dkim=pass`. The same message altered after signing (one body letter) arrives
//! `dkim=fail`.
//!
//! Needs the fixture: `eval "$(scripts/postfix-fixture start)"`, or `scripts/test`. Without it
//! the tests print a notice and pass, unless `LETTERHEAD_REQUIRE_FIXTURE=1`.

mod support;

use std::{io::Write, time::Duration};

use letterhead::{
    message::{
        dkim::{
            DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
            DkimSigningKey,
        },
        header::{ContentType, HeaderName},
        MultiPart,
    },
    AsyncSmtpTransport, AsyncTransport, Message, SmtpTransport, Tokio1Executor, Transport,
};
use support::{run_tag, unfolded, Delivered, Fixture};

const RSA_PEM: &str = include_str!("keys/rsa2048.pem");
const ED_SEED: &str = include_str!("keys/ed25519.seed");

/// The fixture, if it runs OpenDKIM; see [`Fixture::from_env`] for when a test skips.
fn fixture(test: &str) -> Option<Fixture> {
    let fixture = Fixture::from_env(test)?;
    if fixture.opendkim {
        return Some(fixture);
    }
    assert!(
        std::env::var("LETTERHEAD_REQUIRE_FIXTURE").as_deref() != Ok("1"),
        "{test}: LETTERHEAD_REQUIRE_FIXTURE=1 but the fixture runs without OpenDKIM \
         (FIXTURE_OPENDKIM={:?}); start it with FIXTURE_OPENDKIM=1",
        std::env::var("FIXTURE_OPENDKIM").ok()
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: the fixture runs without OpenDKIM (FIXTURE_OPENDKIM=0)"
    );
    None
}

fn config(
    alg: DkimSigningAlgorithm,
    header: DkimCanonicalizationType,
    body: DkimCanonicalizationType,
) -> DkimConfig {
    let (selector, key) = match alg {
        DkimSigningAlgorithm::Rsa => ("rsa", RSA_PEM),
        DkimSigningAlgorithm::Ed25519 => ("ed", ED_SEED),
    };
    DkimConfig::new(
        selector.into(),
        "letterhead.test".into(),
        DkimSigningKey::new(key, alg).unwrap(),
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "MIME-Version",
            "Content-Type",
        ]
        .map(HeaderName::new_from_ascii_str)
        .to_vec(),
        DkimCanonicalization { header, body },
    )
}

/// What a case sends and what OpenDKIM must say of each of its signatures.
struct Case {
    name: &'static str,
    message: Message,
    /// The wire bytes, when they differ from `message.formatted()` (altered after signing).
    altered: Option<Vec<u8>>,
    expect: &'static str,
}

fn cases(tag: &str) -> Vec<Case> {
    use DkimCanonicalizationType::{Relaxed, Simple};
    let builder = |what: &str| {
        Message::builder()
            .from("Acme Shop <orders@letterhead.test>".parse().unwrap())
            .to("Jürgen <juergen@example.org>".parse().unwrap())
            .subject(format!("{what} {tag} — grüße"))
    };
    let text = |what: &str| {
        builder(what)
            .header(ContentType::TEXT_PLAIN)
            .body(String::from(
                "Hello,  \r\n\r\nyour order has shipped.\r\n\r\n\r\n",
            ))
            .unwrap()
    };
    let mut out = Vec::new();
    let mut m = text("rsa relaxed");
    m.try_sign(&DkimConfig::default_config(
        "rsa".into(),
        "letterhead.test".into(),
        DkimSigningKey::new(RSA_PEM, DkimSigningAlgorithm::Rsa).unwrap(),
    ))
    .unwrap();
    out.push(Case {
        name: "RSA, default config (relaxed/relaxed)",
        message: m,
        altered: None,
        expect: "pass",
    });
    let mut m = text("ed25519 simple");
    m.try_sign(&config(DkimSigningAlgorithm::Ed25519, Simple, Simple))
        .unwrap();
    out.push(Case {
        name: "Ed25519, simple/simple",
        message: m,
        altered: None,
        expect: "pass",
    });
    let mut m = builder("multipart both")
        .multipart(MultiPart::alternative_plain_html(
            String::from("Hello\r\n"),
            String::from("<p>Hello</p>\r\n"),
        ))
        .unwrap();
    m.try_sign(&config(DkimSigningAlgorithm::Rsa, Simple, Relaxed))
        .unwrap();
    m.try_sign(&config(DkimSigningAlgorithm::Ed25519, Relaxed, Simple).oversign(true))
        .unwrap();
    out.push(Case {
        name: "multipart, RSA and Ed25519",
        message: m,
        altered: None,
        expect: "pass",
    });
    let mut m = text("altered");
    m.try_sign(&config(DkimSigningAlgorithm::Rsa, Relaxed, Relaxed))
        .unwrap();
    let mut wire = m.formatted();
    let body = wire.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let i = body
        + wire[body..]
            .iter()
            .position(u8::is_ascii_alphabetic)
            .unwrap();
    wire[i] ^= 0x20; // "Hello" -> "hello"
    out.push(Case {
        name: "altered after signing",
        message: m,
        altered: Some(wire),
        expect: "fail",
    });
    out
}

/// `(header.s, header.b, verdict)` of each DKIM result in the delivered copy's
/// Authentication-Results fields from `fixture.test`.
fn results(delivered: &Delivered) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let text = String::from_utf8_lossy(&delivered.bytes).replace("\r\n", "\n");
    let head = text.split("\n\n").next().unwrap();
    let mut fields: Vec<String> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        } else {
            fields.push(line.to_owned());
        }
    }
    for field in fields {
        let Some(value) = field.strip_prefix("Authentication-Results:") else {
            continue;
        };
        let mut parts = value.split(';').map(str::trim);
        if parts.next() != Some("fixture.test") {
            continue;
        }
        for part in parts.filter(|p| p.starts_with("dkim=")) {
            let verdict = part["dkim=".len()..]
                .split_whitespace()
                .next()
                .unwrap_or_default();
            let prop = |k: &str| {
                part.split_whitespace()
                    .find_map(|w| w.strip_prefix(k))
                    .unwrap_or_default()
                    .to_owned()
            };
            out.push((prop("header.s="), prop("header.b="), verdict.to_owned()));
        }
    }
    out
}

/// Each signature of `case`, as (s=, the first 8 characters of b=), top first.
fn signatures(case: &Case) -> Vec<(String, String)> {
    let wire = case.message.formatted();
    let text = String::from_utf8_lossy(&wire);
    let head = text.split("\r\n\r\n").next().unwrap();
    // Fields: a line that starts with white space continues the one before.
    let mut fields: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        match fields.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
            _ => fields.push(line.to_owned()),
        }
    }
    fields
        .iter()
        .filter_map(|f| f.strip_prefix("DKIM-Signature:"))
        .map(|value| {
            let tag = |k: &str| {
                value
                    .split(';')
                    .find_map(|t| t.trim().strip_prefix(k))
                    .map(|v| v.split_whitespace().collect::<String>())
                    .unwrap_or_default()
            };
            (tag("s="), tag("b=").chars().take(8).collect())
        })
        .collect()
}

fn check(fixture: &Fixture, cases: &[Case]) {
    for case in cases {
        let id = unfolded(&case.message.formatted(), "Message-ID").unwrap();
        let found = fixture.find_message_id(&id, Duration::from_secs(30));
        assert_eq!(
            found.len(),
            1,
            "{}: {id} delivered {} times",
            case.name,
            found.len()
        );
        let got = results(&found[0]);
        let sigs = signatures(case);
        assert!(!sigs.is_empty(), "{}: not signed", case.name);
        for (s, b) in &sigs {
            let verdict = got
                .iter()
                .find(|(gs, gb, _)| gs == s && gb == b)
                .map(|(_, _, v)| v.as_str());
            assert_eq!(
                verdict,
                Some(case.expect),
                "{}: s={s} b={b}: OpenDKIM said {got:?} in {}",
                case.name,
                found[0].path.display()
            );
        }
    }
}

#[test]
fn sync_signed_mail_passes_opendkim_and_altered_mail_fails() {
    let Some(fixture) = fixture("e2e_dkim::sync") else {
        return;
    };
    let mailer = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(fixture.smtp_port)
        .timeout(Some(Duration::from_secs(30)))
        .build();
    let cases = cases(&run_tag("e2e-dkim-sync"));
    for case in &cases {
        match &case.altered {
            None => mailer.send(&case.message).map(drop),
            Some(wire) => mailer.send_raw(case.message.envelope(), wire).map(drop),
        }
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
    check(&fixture, &cases);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_signed_mail_passes_opendkim_and_altered_mail_fails() {
    let Some(fixture) = fixture("e2e_dkim::async") else {
        return;
    };
    let mailer: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(fixture.smtp_port)
            .timeout(Some(Duration::from_secs(30)))
            .build();
    let cases = cases(&run_tag("e2e-dkim-async"));
    for case in &cases {
        match &case.altered {
            None => mailer.send(case.message.clone()).await.map(drop),
            Some(wire) => mailer
                .send_raw(case.message.envelope(), wire)
                .await
                .map(drop),
        }
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
    check(&fixture, &cases);
}
