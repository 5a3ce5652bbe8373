//! Message::builder() as lettre 0.11 users call it, and what it produces.

use letterhead_compat::emails::{self, AppError};
use lettre::Message;
use lettre::address::{Address, Envelope};
use lettre::message::header::{self, ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Mailboxes, MessageBuilder};

fn text(m: &Message) -> String {
    String::from_utf8(m.formatted()).expect("formatted message is UTF-8")
}

fn header_lines(m: &Message) -> Vec<String> {
    let t = text(m);
    let head = t.split("\r\n\r\n").next().unwrap().to_owned();
    head.split("\r\n").map(str::to_owned).collect()
}

#[test]
fn simple_message_has_headers_and_body() {
    let m = emails::simple("Happy new year", "Be happy!").unwrap();
    let t = text(&m);
    let lines = header_lines(&m);
    assert!(
        lines.contains(&"From: NoBody <nobody@domain.tld>".to_owned()),
        "{t}"
    );
    assert!(
        lines.contains(&"Reply-To: Yuin <yuin@domain.tld>".to_owned()),
        "{t}"
    );
    assert!(
        lines.contains(&"To: Hei <hei@domain.tld>".to_owned()),
        "{t}"
    );
    assert!(lines.contains(&"Subject: Happy new year".to_owned()), "{t}");
    assert!(
        lines.contains(&"Content-Type: text/plain; charset=utf-8".to_owned()),
        "{t}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("Date: ")),
        "Date is added when missing: {t}"
    );
    assert!(t.ends_with("\r\n\r\nBe happy!"), "{t:?}");
    // Lines end in CRLF.
    assert!(!t.replace("\r\n", "").contains('\n'), "bare LF in {t:?}");
}

#[test]
fn every_builder_method_lands_in_the_message() {
    let m = emails::threaded_reply("<orig-1@example.com>").unwrap();
    let t = text(&m);
    let lines = header_lines(&m);
    for expected in [
        "From: \"Alice Example\" <alice@example.com>",
        "Sender: \"Acme Mailer\" <mailer@example.com>",
        "Reply-To: Support <support@example.com>",
        "To: Bob <bob@example.net>, carol@example.net",
        "Cc: Dave <dave@example.org>, frank@example.org",
        "Subject: Re: Quarterly numbers",
        "In-Reply-To: <orig-1@example.com>",
        "References: <orig-1@example.com>",
        "User-Agent: acme-mailer/1.0",
        "Date: Tue, 14 Nov 2023 22:13:20 +0000",
        "X-Acme-Campaign: q3-report",
        "Content-Type: text/plain; charset=utf-8",
    ] {
        assert!(
            lines.contains(&expected.to_owned()),
            "missing {expected:?} in\n{t}"
        );
    }
    // An explicitly given short ASCII Message-ID is kept (format of generated ids is not checked).
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Message-ID: ") && l.contains("reply-42@example.com")),
        "{t}"
    );
    // Bcc is dropped from the headers by default but is still a recipient.
    assert!(!t.contains("Bcc:"), "{t}");
    assert!(!t.contains("eve@example.org"), "{t}");
    let to: Vec<String> = m.envelope().to().iter().map(ToString::to_string).collect();
    assert_eq!(
        to,
        [
            "bob@example.net",
            "carol@example.net",
            "dave@example.org",
            "frank@example.org",
            "eve@example.org"
        ]
    );
    // With a Sender header, the envelope's reverse path is the Sender.
    assert_eq!(
        m.envelope().from().map(ToString::to_string).as_deref(),
        Some("mailer@example.com")
    );
    assert!(t.ends_with("\r\n\r\nNumbers attached.\r\n"), "{t:?}");
}

#[test]
fn headers_can_be_read_back() {
    let m = emails::threaded_reply("<orig-1@example.com>").unwrap();
    let headers = m.headers();
    assert_eq!(headers.get_raw("Subject"), Some("Re: Quarterly numbers"));
    assert_eq!(headers.get_raw("X-Acme-Campaign"), Some("q3-report"));
    let subject: header::Subject = headers.get().expect("typed Subject");
    assert_eq!(subject.as_ref(), "Re: Quarterly numbers");
    let ct: ContentType = headers.get().expect("typed Content-Type");
    assert_eq!(ct, ContentType::TEXT_PLAIN);
    let to: header::To = headers.get().expect("typed To");
    let to: Mailboxes = to.into();
    assert_eq!(to.iter().count(), 2);
    let from: header::From = headers.get().unwrap();
    let from: Mailboxes = from.into();
    let alice = from.into_single().unwrap();
    assert_eq!(alice.name.as_deref(), Some("Alice Example"));
    assert_eq!(alice.email.user(), "alice");
    assert_eq!(alice.email.domain(), "example.com");
}

#[test]
fn headers_mut_after_build() {
    let mut m = emails::simple("s", "b").unwrap();
    m.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii("X-Tracking".to_owned()).unwrap(),
        "abc".to_owned(),
    ));
    m.headers_mut()
        .set(header::Subject::from("changed".to_owned()));
    let t = text(&m);
    assert!(t.contains("\r\nX-Tracking: abc\r\n"), "{t}");
    assert!(t.contains("\r\nSubject: changed\r\n"), "{t}");
    assert!(!t.contains("Subject: s\r\n"), "{t}");
}

#[test]
fn keep_bcc_keeps_the_header() {
    let m = emails::with_kept_bcc().unwrap();
    let t = text(&m);
    assert!(t.contains("\r\nBcc: hidden@example.com\r\n"), "{t}");
    assert!(
        m.envelope()
            .to()
            .iter()
            .any(|a| a.to_string() == "hidden@example.com")
    );
}

#[test]
fn forced_envelope_overrides_headers() {
    let m = emails::with_forced_envelope().unwrap();
    let to: Vec<String> = m.envelope().to().iter().map(ToString::to_string).collect();
    assert_eq!(to, ["list-a@acme.example", "list-b@acme.example"]);
    assert_eq!(
        m.envelope().from().unwrap().to_string(),
        "bounces@acme.example"
    );
    assert!(text(&m).contains("To: Undisclosed <undisclosed@acme.example>"));
}

#[test]
fn builder_type_and_template_cloning() {
    let base: MessageBuilder = emails::template();
    let a = base
        .clone()
        .to("a@example.com".parse().unwrap())
        .body(String::from("A"))
        .unwrap();
    let b = emails::from_template("b@example.com").unwrap();
    assert!(text(&a).contains("To: a@example.com\r\n"));
    assert!(text(&b).contains("To: b@example.com\r\n"));
    assert!(text(&b).contains("Subject: Daily report\r\n"));
    let _also_default: MessageBuilder = MessageBuilder::default();
}

#[test]
fn mailbox_list_header() {
    let m = emails::to_list("Ann <ann@example.com>, bob@example.com").unwrap();
    let to: Vec<String> = m.envelope().to().iter().map(ToString::to_string).collect();
    assert_eq!(to, ["ann@example.com", "bob@example.com"]);
    assert!(text(&m).contains("To: Ann <ann@example.com>, bob@example.com\r\n"));
}

#[test]
fn non_ascii_is_encoded_in_headers_and_readable_raw() {
    let m = emails::signup_confirmation("Jürgen Müller", "j@example.de").unwrap();
    let t = text(&m);
    assert!(
        t.is_ascii(),
        "all of the formatted message must be ASCII: {t}"
    );
    assert!(t.contains("To: =?utf-8?b?"), "{t}");
    assert_eq!(
        m.headers().get_raw("Subject"),
        Some("Welcome to Acme, Jürgen Müller")
    );
    assert!(
        t.contains("Hi J=C3=BCrgen M=C3=BCller,"),
        "quoted-printable body: {t}"
    );
}

#[test]
fn date_now_and_explicit_date() {
    let m = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .date_now()
        .body(String::from("x"))
        .unwrap();
    let date: header::Date = m.headers().get().expect("Date");
    let _ = date;
    let m = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .date(emails::fixed_date())
        .body(String::from("x"))
        .unwrap();
    assert_eq!(
        m.headers().get_raw("Date"),
        Some("Tue, 14 Nov 2023 22:13:20 +0000")
    );
}

#[test]
fn body_accepts_string_vec_and_body() {
    use lettre::message::Body;
    let m = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .body(vec![0u8, 159, 146, 150])
        .unwrap();
    assert!(text(&m).contains("Content-Transfer-Encoding: base64"));
    let m = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .body(Body::new(String::from("hello")))
        .unwrap();
    assert!(text(&m).ends_with("\r\n\r\nhello"));
}

/// A custom typed header, the way apps add e.g. List-Unsubscribe.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[test]
fn custom_header_type() {
    let m = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .header(ListUnsubscribe("<mailto:unsub@example.com>".to_owned()))
        .body(String::from("x"))
        .unwrap();
    assert!(text(&m).contains("\r\nList-Unsubscribe: <mailto:unsub@example.com>\r\n"));
    let back: ListUnsubscribe = m.headers().get().unwrap();
    assert_eq!(back.0, "<mailto:unsub@example.com>");
}

#[test]
fn mailbox_and_address_parsing() {
    let mb: Mailbox = "Hei <hei@domain.tld>".parse().unwrap();
    assert_eq!(mb.name.as_deref(), Some("Hei"));
    assert_eq!(mb.email.to_string(), "hei@domain.tld");
    assert_eq!(mb.to_string(), "Hei <hei@domain.tld>");
    let mb: Mailbox = "plain@domain.tld".parse().unwrap();
    assert_eq!(mb.name, None);
    let mb: Mailbox = ("Name", "x@y.z").try_into().unwrap();
    assert_eq!(mb.email.to_string(), "x@y.z");
    assert_eq!(mb.name.as_deref(), Some("Name"));
    let mb: Mailbox = Mailbox::from("solo@example.com".parse::<Address>().unwrap());
    assert_eq!(mb.to_string(), "solo@example.com");
    let addr: Address = "user@example.com".parse().unwrap();
    assert_eq!(Address::new("user", "example.com").unwrap(), addr);
    assert!("not an address".parse::<Address>().is_err());
    assert!("missing-at.example.com".parse::<Mailbox>().is_err());
    let list: Mailboxes = "a@x.y, B <b@x.y>".parse().unwrap();
    assert_eq!(list.iter().count(), 2);
    let env = Envelope::new(Some(addr.clone()), vec![addr.clone()]).unwrap();
    assert_eq!(env.to(), &[addr][..]);
}

#[test]
fn app_error_via_question_mark() {
    match emails::signup_confirmation("x", "nope") {
        Err(AppError::Address(_)) => {}
        other => panic!("expected address error, got {other:?}"),
    }
    match emails::from_template("not an address") {
        Err(AppError::Address(_)) => {}
        other => panic!("expected address error, got {other:?}"),
    }
    let m = emails::signup_confirmation("Ann", "ann@example.com").unwrap();
    assert!(text(&m).contains("To: Ann <ann@example.com>\r\n"));
    assert!(text(&m).contains("Subject: Welcome to Acme, Ann\r\n"));
}

#[test]
fn formatted_is_deterministic() {
    // Transports send exactly `formatted()`; calling it twice (or on a clone)
    // must give the same bytes, generated headers included.
    let m = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .message_id(None)
        .subject("stable")
        .body(String::from("x"))
        .unwrap();
    assert_eq!(m.formatted(), m.formatted());
    assert_eq!(m.clone().formatted(), m.formatted());
    // message_id(None) generates one (its format is deliberately not checked).
    assert!(
        m.headers()
            .get_raw("Message-ID")
            .is_some_and(|v| !v.is_empty())
    );
}
