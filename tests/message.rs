//! The builder: every message gets a valid Message-ID, identifier headers however set go
//! through the policy, and what plain lettre would encode is written plain or refused.

use std::sync::Arc;

use letterhead::{
    message::{
        header::{self, ContentType, HeaderName, HeaderValue},
        Attachment, Mailbox, MultiPart, SinglePart,
    },
    policy::Value,
    Error, HeaderPolicy, IdentifierPolicy, Message, MsgId, Reason,
};

const HEROKU_ID: &str = "<154810422972.4.16142961424846318784@aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com>";

fn base() -> letterhead::message::MessageBuilder {
    Message::builder()
        .from("App <app@example.com>".parse().unwrap())
        .to("User <user@example.org>".parse().unwrap())
        .subject("Hello")
        .header(ContentType::TEXT_PLAIN)
}

fn text(m: &Message) -> String {
    String::from_utf8(m.formatted()).unwrap()
}

/// The header block, unfolded lines kept as written.
fn header_lines(m: &Message) -> Vec<String> {
    let t = text(m);
    let head = t.split("\r\n\r\n").next().unwrap().to_owned();
    head.split("\r\n").map(str::to_owned).collect()
}

#[test]
fn every_message_gets_a_message_id_on_the_from_domain() {
    let m = base().body(String::from("hi")).unwrap();
    let id = m.headers().get_raw("Message-ID").unwrap();
    let id = MsgId::parse(id).unwrap();
    // No Config installed in this test binary; MESSAGE_ID_DOMAIN is not set by the test
    // script, so the From domain is used.
    if std::env::var_os("MESSAGE_ID_DOMAIN").is_none() {
        assert_eq!(id.right(), "example.com");
    }
    assert_eq!(id.left().len(), 32);
    let other = base().body(String::from("hi")).unwrap();
    assert_ne!(
        other.headers().get_raw("Message-ID"),
        m.headers().get_raw("Message-ID")
    );
}

#[test]
fn sender_domain_wins_over_from() {
    if std::env::var_os("MESSAGE_ID_DOMAIN").is_some() {
        return;
    }
    let m = base()
        .sender("Relay <bounce@sender.example.net>".parse().unwrap())
        .body(String::from("hi"))
        .unwrap();
    let id = MsgId::parse(m.headers().get_raw("Message-ID").unwrap()).unwrap();
    assert_eq!(id.right(), "sender.example.net");
}

#[test]
fn idn_from_domain_becomes_a_labels() {
    if std::env::var_os("MESSAGE_ID_DOMAIN").is_some() {
        return;
    }
    let m = Message::builder()
        .from(Mailbox::new(None, "app@büro.example".parse().unwrap()))
        .to("user@example.org".parse().unwrap())
        .body(String::from("hi"))
        .unwrap();
    let id = MsgId::parse(m.headers().get_raw("Message-ID").unwrap()).unwrap();
    assert_eq!(id.right(), "xn--bro-hoa.example");
}

#[test]
fn per_message_domain_is_first_and_validated() {
    let m = base()
        .message_id_domain("mail.example.com")
        .body(String::new())
        .unwrap();
    assert!(m
        .headers()
        .get_raw("Message-ID")
        .unwrap()
        .ends_with("@mail.example.com>"));

    let err = base()
        .message_id_domain("bad domain>")
        .body(String::new())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"message_id_domain: "bad domain>": character ' ' is not allowed in a msg-id"#
    );
}

#[test]
fn message_id_none_generates_and_replaces_an_earlier_value() {
    let m = base()
        .message_id(Some("<old@example.com>".into()))
        .message_id(None)
        .message_id_domain("gen.example")
        .body(String::new())
        .unwrap();
    let id = m.headers().get_raw("Message-ID").unwrap();
    assert!(id.ends_with("@gen.example>"), "{id}");
}

#[test]
fn heroku_message_id_is_written_whole_and_unencoded() {
    let m = base()
        .message_id(Some(HEROKU_ID.into()))
        .body(String::new())
        .unwrap();
    let lines = header_lines(&m);
    assert!(
        lines.contains(&format!("Message-ID: {HEROKU_ID}")),
        "{lines:#?}"
    );
    assert!(!text(&m).contains("=?"));
}

#[test]
fn what_lettre_encodes_is_written_plain() {
    // lettre 0.11 writes `In-Reply-To: =?utf-8?b?...?=` for this.
    let plain = lettre::Message::builder()
        .from("app@example.com".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .in_reply_to("<parent@büro.example>".into())
        .body(String::new())
        .unwrap();
    let plain = String::from_utf8(plain.formatted()).unwrap();
    assert!(plain.contains("In-Reply-To: =?utf-8?"), "{plain}");

    let m = base()
        .in_reply_to("<parent@büro.example>".into())
        .body(String::new())
        .unwrap();
    assert!(header_lines(&m).contains(&"In-Reply-To: <parent@xn--bro-hoa.example>".to_owned()));
}

/// An application's own typed header that happens to be an identifier header.
#[derive(Clone)]
struct OriginalMessageId(String);

impl header::Header for OriginalMessageId {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Original-Message-ID")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[test]
fn an_apps_own_typed_identifier_header_goes_through_the_policy() {
    let m = base()
        .header(OriginalMessageId("<orig@büro.example>".to_owned()))
        .body(String::new())
        .unwrap();
    assert!(
        header_lines(&m).contains(&"Original-Message-ID: <orig@xn--bro-hoa.example>".to_owned())
    );
    let err = base()
        .header(OriginalMessageId("<a@b>\r\nBcc: x@y".to_owned()))
        .body(String::new())
        .unwrap_err();
    assert!(err.to_string().contains("Original-Message-ID"), "{err}");
}

#[test]
fn identifier_headers_set_any_way_go_through_the_policy() {
    // Through header(), raw_header() and the dedicated methods.
    let m = base()
        .header(header::InReplyTo::from("<a@büro.example>".to_owned()))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Resent-Message-ID"),
            "resent@büro.example".to_owned(),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("message-id"),
            "<lower@example.com>".to_owned(),
        ))
        .body(String::new())
        .unwrap();
    let lines = header_lines(&m);
    assert!(lines.contains(&"In-Reply-To: <a@xn--bro-hoa.example>".to_owned()));
    assert!(lines.contains(&"Resent-Message-ID: <resent@xn--bro-hoa.example>".to_owned()));
    assert!(lines.contains(&"Message-ID: <lower@example.com>".to_owned()));
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.to_ascii_lowercase().starts_with("message-id:"))
            .count(),
        1
    );
}

#[test]
fn references_append_and_fold_only_between_ids() {
    let ids: Vec<String> = (0..30)
        .map(|i| format!("<{i:02}.{}@mail.example.com>", "r".repeat(68)))
        .collect();
    let mut b = base().header(header::References::from(ids[0].clone()));
    for id in &ids[1..] {
        b = b.references(id.clone());
    }
    let m = b.body(String::new()).unwrap();
    let t = text(&m);
    let start = t.find("References: ").unwrap();
    let block: Vec<&str> = t[start..]
        .split("\r\n")
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.starts_with(' '))
        .map(|(_, l)| l)
        .collect();
    assert_eq!(block.len(), 30);
    for (i, line) in block.iter().enumerate() {
        assert!(line.len() <= 998);
        assert!(line.ends_with(&ids[i]), "{line}");
    }
    // A later header() replaces what was appended.
    let m = base()
        .references("<a@x>".into())
        .header(header::References::from("<b@x>".to_owned()))
        .references("<c@x>".into())
        .body(String::new())
        .unwrap();
    assert_eq!(m.headers().get_raw("References"), Some("<b@x> <c@x>"));
}

#[test]
fn injection_and_invalid_ids_are_errors_naming_the_header() {
    type Build = Box<dyn Fn() -> Result<Message, Error>>;
    let cases: [(&str, Build); 4] = [
        (
            "In-Reply-To",
            Box::new(|| {
                base()
                    .in_reply_to("<a@b>\r\nBcc: victim@example.net".into())
                    .body(String::new())
            }),
        ),
        (
            "References",
            Box::new(|| {
                base()
                    .references("<a@b>\nX-Evil: 1".into())
                    .body(String::new())
            }),
        ),
        (
            "Message-ID",
            Box::new(|| {
                base()
                    .message_id(Some("<a@b>\r\n\r\nbody".into()))
                    .body(String::new())
            }),
        ),
        (
            "Message-ID",
            Box::new(|| {
                base()
                    .message_id(Some("<a@b> <c@d>".into()))
                    .body(String::new())
            }),
        ),
    ];
    for (h, build) in cases {
        match build() {
            Err(Error::InvalidId { header, .. }) => assert_eq!(header, h),
            other => panic!("{h}: {other:?}"),
        }
    }
    match base()
        .message_id(Some("<ä@example.com>".into()))
        .body(String::new())
    {
        Err(Error::InvalidId { reason, .. }) => assert_eq!(reason, Reason::NonAsciiLeft),
        other => panic!("{other:?}"),
    }
}

#[test]
fn lettre_errors_keep_their_names() {
    let err = Message::builder()
        .to("a@example.com".parse().unwrap())
        .body(String::new())
        .unwrap_err();
    assert!(matches!(err, Error::MissingFrom));
}

#[test]
fn multipart_and_singlepart_go_through_the_policy_too() {
    let m = base()
        .in_reply_to("<p@büro.example>".into())
        .multipart(
            MultiPart::related()
                .singlepart(SinglePart::html(String::from("<img src=cid:logo>")))
                .singlepart(
                    Attachment::new_inline(String::from("logo"))
                        .body(vec![1u8, 2, 3], "image/png".parse().unwrap()),
                ),
        )
        .unwrap();
    assert!(text(&m).contains("In-Reply-To: <p@xn--bro-hoa.example>\r\n"));
    let m = base()
        .in_reply_to("<p@büro.example>".into())
        .singlepart(SinglePart::plain(String::from("x")))
        .unwrap();
    assert!(text(&m).contains("In-Reply-To: <p@xn--bro-hoa.example>\r\n"));
}

#[derive(Debug)]
struct Refuses(Vec<HeaderName>);

impl HeaderPolicy for Refuses {
    fn header_names(&self) -> &[HeaderName] {
        &self.0
    }
    fn write(&self, name: &HeaderName, _: Value<'_>) -> Result<String, Error> {
        Err(Error::Policy {
            header: name.to_string(),
            reason: "refused by test policy".into(),
        })
    }
}

#[derive(Debug)]
struct Broken(Vec<HeaderName>);

impl HeaderPolicy for Broken {
    fn header_names(&self) -> &[HeaderName] {
        &self.0
    }
    fn write(&self, _: &HeaderName, value: Value<'_>) -> Result<String, Error> {
        // A buggy policy that lets a line break through.
        let Value::Ids(ids) = value else {
            unreachable!("Message-ID holds ids")
        };
        Ok(format!("{}\r\nBcc: victim@example.net", &ids[0]))
    }
}

#[test]
fn custom_policies_are_used_and_their_output_verified() {
    let names = vec![HeaderName::new_from_ascii_str("Message-ID")];
    let err = base()
        .policy(Arc::new(Refuses(names.clone())))
        .body(String::new())
        .unwrap_err();
    assert_eq!(err.to_string(), "Message-ID: refused by test policy");

    let err = base()
        .policy(Arc::new(Broken(names)))
        .body(String::new())
        .unwrap_err();
    assert!(err.to_string().contains("header injection"), "{err}");

    // SMTPUTF8 mode through a builder policy.
    let m = base()
        .policy(Arc::new(IdentifierPolicy::new().smtputf8(true)))
        .message_id(Some("<grüße@example.com>".into()))
        .body(String::new())
        .unwrap();
    assert!(text(&m).contains("Message-ID: <grüße@example.com>\r\n"));
}

#[test]
fn message_converts_and_derefs_to_lettre() {
    let m = base().body(String::from("hi")).unwrap();
    let envelope_to = m.envelope().to().to_vec();
    assert_eq!(envelope_to.len(), 1);
    let inner: lettre::Message = m.clone().into();
    assert_eq!(inner.formatted(), m.formatted());
}

#[test]
fn author_set_through_header_or_mailbox_is_still_used() {
    if std::env::var_os("MESSAGE_ID_DOMAIN").is_some() {
        return;
    }
    let right = |m: &Message| m.message_id().unwrap().right().to_owned();
    let m = Message::builder()
        .header(header::From::from(letterhead::message::Mailboxes::from(
            "a@header-from.example".parse::<Mailbox>().unwrap(),
        )))
        .to("user@example.org".parse().unwrap())
        .body(String::new())
        .unwrap();
    assert_eq!(right(&m), "header-from.example");
    // Sender set through header() wins over a From set through from().
    let m = Message::builder()
        .from("a@from.example".parse().unwrap())
        .header(header::Sender::from(
            "b@header-sender.example".parse::<Mailbox>().unwrap(),
        ))
        .to("user@example.org".parse().unwrap())
        .body(String::new())
        .unwrap();
    assert_eq!(right(&m), "header-sender.example");
}

#[test]
fn a_custom_policy_that_leaves_out_identifier_headers_does_not_leave_them_to_lettre() {
    // A policy that takes over only X-Entity-Ref-ID: the builder's identifier headers are still
    // written by the default policy, never RFC 2047-encoded.
    let names = vec![HeaderName::new_from_ascii_str("X-Entity-Ref-ID")];
    let m = base()
        .policy(Arc::new(Refuses(names.clone())))
        .in_reply_to("<a@büro.example>".into())
        .references("<r@example.org>".into())
        .body(String::new())
        .unwrap();
    let t = text(&m);
    assert!(
        t.contains("In-Reply-To: <a@xn--bro-hoa.example>\r\n"),
        "{t}"
    );
    assert!(!t.contains("=?"), "{t}");
    let err = base()
        .policy(Arc::new(Refuses(names)))
        .references("<x@b>\r\nBcc: evil@example.net".into())
        .body(String::new())
        .unwrap_err();
    assert!(err.to_string().starts_with("References: "), "{err}");
}

#[test]
fn each_references_call_is_validated_on_its_own() {
    // Two pieces that are invalid alone but would join into something valid.
    let err = base()
        .references("<a@b> (".into())
        .references(") <c@d>".into())
        .body(String::new())
        .unwrap_err();
    assert!(
        err.to_string().starts_with("References: \"<a@b> (\""),
        "{err}"
    );
    let err = base()
        .references("<a@b>\r\n".into())
        .references("<c@d>".into())
        .body(String::new())
        .unwrap_err();
    assert!(err.to_string().starts_with("References: "), "{err}");
}
