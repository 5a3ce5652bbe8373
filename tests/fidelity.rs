//! Drop-in fidelity: what lettre sends, letterhead sends too, unless it cannot be written
//! safely. Each case builds the same message with real lettre and with letterhead.

use std::sync::Arc;

use letterhead::{
    lint::{lint, Code},
    message::{header::ContentType, MessageBuilder},
    reply::Parent,
    Error, IdentifierPolicy, Message, Reason,
};

fn base() -> MessageBuilder {
    Message::builder()
        .from("App <app@example.com>".parse().unwrap())
        .to("User <user@example.org>".parse().unwrap())
        .subject("Hello")
        .header(ContentType::TEXT_PLAIN)
}

fn lettre_base() -> lettre::message::MessageBuilder {
    lettre::Message::builder()
        .from("App <app@example.com>".parse().unwrap())
        .to("User <user@example.org>".parse().unwrap())
        .subject("Hello")
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
}

fn text(m: &lettre::Message) -> String {
    String::from_utf8(m.formatted()).unwrap()
}

/// The one physical line of header `name`, which must not be folded.
fn line<'a>(text: &'a str, name: &str) -> &'a str {
    let start = text
        .find(&format!("\r\n{name}: "))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        + 2;
    let line = &text[start..start + text[start..].find("\r\n").unwrap()];
    assert!(
        !text[start + line.len() + 2..].starts_with([' ', '\t']),
        "{name} is folded"
    );
    line
}

/// The ids of the issue: each as lettre writes it (plainly) and as compatible mode writes it.
const IDS: [(&str, &str); 6] = [
    (
        "<7f1c2b9e-1a2b-4c3d-9e8f-001122334455@localhost:8536>",
        "<7f1c2b9e-1a2b-4c3d-9e8f-001122334455@localhost:8536>",
    ),
    ("<a..b@x.example>", "<a..b@x.example>"),
    ("<abc123>", "<abc123>"),
    ("<\"a b\"@x.example>", "<\"a b\"@x.example>"),
    ("<a(comment)@x.example>", "<a@x.example>"),
    ("< a@x.example >", "<a@x.example>"),
];

#[test]
fn compatible_mode_sends_what_lettre_sends() {
    for (given, written) in IDS {
        for (name, call) in [("Message-ID", 0), ("In-Reply-To", 1), ("References", 2)] {
            let (ours, theirs) = match call {
                0 => (
                    base().message_id(Some(given.into())),
                    lettre_base().message_id(Some(given.into())),
                ),
                1 => (
                    base().in_reply_to(given.into()),
                    lettre_base().in_reply_to(given.into()),
                ),
                _ => (
                    base().references(given.into()),
                    lettre_base().references(given.into()),
                ),
            };
            let ours = ours
                .body(String::from("hi"))
                .unwrap_or_else(|e| panic!("{given:?}: {e}"));
            let theirs = theirs.body(String::from("hi")).unwrap();
            let ours = text(&ours);
            assert_eq!(line(&ours, name), format!("{name}: {written}"));
            assert!(!ours.contains("=?"), "{ours}");
            // lettre writes these as given too, where no CFWS was removed.
            if given == written {
                assert_eq!(line(&text(&theirs), name), format!("{name}: {given}"));
            }
        }
    }
}

#[test]
fn strict_mode_refuses_each_naming_the_header_and_the_reason() {
    let reasons = [
        Reason::InvalidChar(':'),
        Reason::Dots,
        Reason::MissingAt,
        Reason::Quote,
        Reason::Comment,
        Reason::Whitespace,
    ];
    for ((given, _), why) in IDS.iter().zip(reasons) {
        let err = base()
            .policy(Arc::new(IdentifierPolicy::strict()))
            .in_reply_to((*given).into())
            .body(String::from("hi"))
            .unwrap_err();
        match &err {
            Error::InvalidId {
                header,
                value,
                reason,
            } => {
                assert_eq!((header.as_str(), value.as_str()), ("In-Reply-To", *given));
                assert_eq!(*reason, why, "{given:?}");
            }
            other => panic!("{given:?}: {other:?}"),
        }
        assert!(err.to_string().starts_with("In-Reply-To: "), "{err}");
    }
}

#[test]
fn replies_thread_parents_whose_ids_are_not_rfc_5322() {
    // LF-only folds, as IMAP libraries hand header values over.
    let parent = Parent::from_headers(
        "<7f1c2b9e@localhost:8536>",
        Some("<\"a b\"@x.example>\n <a..b@x.example> < c@x.example > <abc123>"),
        None,
    )
    .unwrap();
    let reply = base()
        .replying_to(&parent)
        .body(String::from("re"))
        .unwrap();
    let headers = reply.headers();
    assert_eq!(
        headers.get_raw("In-Reply-To"),
        Some("<7f1c2b9e@localhost:8536>")
    );
    assert_eq!(
        headers.get_raw("References"),
        Some(
            "<\"a b\"@x.example> <a..b@x.example> <c@x.example> <abc123> <7f1c2b9e@localhost:8536>"
        )
    );
    // lint reads the written reply: a warning for each header with such an id, no error.
    let report = lint(&reply.formatted());
    assert!(!report.has_errors(), "{:?}", report.findings());
    let warned: Vec<_> = report
        .findings()
        .iter()
        .filter(|f| f.code == Code::NonConformingId)
        .filter_map(|f| f.header.as_deref())
        .collect();
    assert_eq!(warned, ["In-Reply-To", "References"]);
}

#[test]
fn a_from_domain_that_cannot_be_a_message_id_domain_does_not_fail_the_build() {
    let from = "a@bü_ro.example";
    // lettre accepts the address and builds.
    let theirs = lettre::Message::builder()
        .from(from.parse().unwrap())
        .to("b@example.org".parse().unwrap())
        .body(String::from("hi"));
    assert!(theirs.is_ok());
    let ours = Message::builder()
        .from(from.parse().unwrap())
        .to("b@example.org".parse().unwrap())
        .body(String::from("hi"))
        .unwrap();
    let id = ours.message_id().unwrap();
    if std::env::var_os("MESSAGE_ID_DOMAIN").is_none() {
        // The host name step or localhost: never the From domain.
        assert!(!id.right().contains('_'), "{id}");
    }
}

#[test]
fn no_silent_idna_mapping_in_ids_or_settings() {
    for c in ['\u{200b}', '\u{ad}', '\u{2060}', '\u{ff0e}'] {
        let domain = format!("bü{c}ro.example");
        let err = base()
            .in_reply_to(format!("<abc@{domain}>"))
            .body(String::new())
            .unwrap_err();
        // Format characters (Cf) are refused as such; what else IDNA would map, as that.
        assert!(
            matches!(err, Error::InvalidId { reason: Reason::IdnaChanges(x) | Reason::FormatChar(x), .. } if x == c),
            "{err:?}"
        );
        let shown = format!("U+{:04X}", c as u32);
        assert!(err.to_string().contains(&shown), "{err}");
        let err = base()
            .message_id_domain(domain.clone())
            .body(String::new())
            .unwrap_err();
        assert!(err.to_string().starts_with("message_id_domain: "), "{err}");
        assert!(err.to_string().contains(&shown), "{err}");
        let err = letterhead::Config::new()
            .message_id_domain(&domain)
            .unwrap_err();
        assert!(err.to_string().contains(&shown), "{err}");
    }
    // The zero-width space of the issue, in an ASCII-looking domain.
    let err = base()
        .message_id(Some("<abc@exa\u{200b}mple.com>".into()))
        .body(String::new())
        .unwrap_err();
    assert!(err.to_string().contains("U+200B"), "{err}");
}

#[test]
fn what_cannot_be_written_safely_is_still_refused_in_compatible_mode() {
    for (bad, why) in [
        ("<a b@x.example>", Reason::Whitespace),
        ("<a@b>\r\nBcc: victim@example.com", Reason::Control('\r')),
        ("<a\0b@x>", Reason::Control('\0')),
        ("<grüße@x.example>", Reason::NonAsciiLeft),
        ("<=?utf-8?q?a?=@x>", Reason::EncodedWordLike),
        ("<>", Reason::Empty),
    ] {
        match base().in_reply_to(bad.into()).body(String::new()) {
            Err(Error::InvalidId { reason, .. }) => assert_eq!(reason, why, "{bad:?}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    let long = format!("<{}@x.example>", "a".repeat(990));
    assert!(matches!(
        base().in_reply_to(long).body(String::new()),
        Err(Error::InvalidId {
            reason: Reason::TooLong { .. },
            ..
        })
    ));
}
