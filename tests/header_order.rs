//! A drop-in replacement writes the headers in the order lettre does: for any sequence of
//! builder calls, the names of the top-level headers in `formatted()` come out of
//! `letterhead::Message::builder()` in the same order as out of `lettre::Message::builder()`,
//! identifier headers (Message-ID, In-Reply-To, References) included, wherever and however
//! they were set. Either both builders build the message or neither does.
//!
//! Two documented differences are left out of the comparison: letterhead always adds a
//! Message-ID (lettre only when asked), so a generated one is dropped from the names; and
//! `references()` appends in letterhead where lettre replaces, which changes the value but not
//! where the header is.

use std::time::{Duration, SystemTime};

use letterhead::message::{
    header::{self, HeaderName, HeaderValue},
    Mailbox, Mailboxes,
};
use proptest::{prelude::*, sample::Index};

/// Plain mailboxes, so both builders write the same address headers.
const MAILBOXES: &[&str] = &["a@x.example", "Bob <b@y.example>", "c.d@z.example"];

/// Ids both builders accept: plain ones, and a few lettre writes raw that letterhead accepts in
/// its compatible default mode.
const IDS: &[&str] = &[
    "<a1@x.example>",
    "<b2@y.example>",
    "<c3.d4@z.example>",
    "<7f1c2b9e-1a2b-4c3d-9e8f-001122334455@localhost:8536>",
    "<a..b@x.example>",
    "<abc123>",
];

#[derive(Debug, Clone, Copy)]
enum Call {
    From(usize),
    To(usize),
    Cc(usize),
    Bcc(usize),
    Sender(usize),
    ReplyTo(usize),
    Subject,
    Date,
    UserAgent,
    InReplyTo(usize),
    References(usize),
    MessageId(usize),
    /// The identifier headers set as typed headers.
    HeaderReferences(usize),
    HeaderInReplyTo(usize),
    HeaderMessageId(usize),
    HeaderContentType,
    /// `raw_header`: an unknown header, and an identifier header.
    RawCustom,
    RawReferences,
    MailboxCc(usize),
    KeepBcc,
}

/// How the message is finished.
#[derive(Debug, Clone, Copy)]
enum Body {
    Text,
    SinglePart,
    MultiPart,
}

fn call() -> impl Strategy<Value = Call> {
    let m = 0..MAILBOXES.len();
    let id = 0..IDS.len();
    prop_oneof![
        // From rarely: two From addresses without a Sender fail to build, in both.
        1 => m.clone().prop_map(Call::From),
        2 => m.clone().prop_map(Call::To),
        2 => m.clone().prop_map(Call::Cc),
        1 => m.clone().prop_map(Call::Bcc),
        1 => m.clone().prop_map(Call::Sender),
        1 => m.clone().prop_map(Call::ReplyTo),
        2 => Just(Call::Subject),
        2 => Just(Call::Date),
        1 => Just(Call::UserAgent),
        3 => id.clone().prop_map(Call::InReplyTo),
        3 => id.clone().prop_map(Call::References),
        3 => id.clone().prop_map(Call::MessageId),
        2 => id.clone().prop_map(Call::HeaderReferences),
        2 => id.clone().prop_map(Call::HeaderInReplyTo),
        2 => id.prop_map(Call::HeaderMessageId),
        1 => Just(Call::HeaderContentType),
        1 => Just(Call::RawCustom),
        2 => Just(Call::RawReferences),
        1 => m.prop_map(Call::MailboxCc),
        1 => Just(Call::KeepBcc),
    ]
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        3 => Just(Body::Text),
        1 => Just(Body::SinglePart),
        1 => Just(Body::MultiPart),
    ]
}

/// 1 to 11 random calls, plus a From and a To at random places when the calls have none, so
/// the message can be built.
fn calls() -> impl Strategy<Value = Vec<Call>> {
    (
        prop::collection::vec(call(), 1..12),
        any::<Index>(),
        any::<Index>(),
    )
        .prop_map(|(mut calls, from_at, to_at)| {
            if !calls.iter().any(|c| matches!(c, Call::From(_))) {
                calls.insert(from_at.index(calls.len() + 1), Call::From(0));
            }
            if !calls.iter().any(|c| matches!(c, Call::To(_))) {
                calls.insert(to_at.index(calls.len() + 1), Call::To(1));
            }
            calls
        })
}

fn mbox(i: usize) -> Mailbox {
    MAILBOXES[i].parse().expect("a valid mailbox")
}

fn id(i: usize) -> String {
    IDS[i].to_owned()
}

/// A fixed date: Tue, 15 Nov 1994 08:12:31 +0000.
fn date() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(784_887_151)
}

/// Whether the calls set a Message-ID (rather than leave letterhead to generate one).
fn sets_message_id(calls: &[Call]) -> bool {
    calls
        .iter()
        .any(|c| matches!(c, Call::MessageId(_) | Call::HeaderMessageId(_)))
}

/// Applies the calls to a builder and finishes it with the body, returning the formatted
/// message or the error's text (a macro: the two builders, and their `MultiPart`s, are
/// different types with the same methods).
macro_rules! build {
    ($builder:expr, $single:ty, $multi:ty, $calls:expr, $body:expr) => {{
        let mut b = $builder;
        for c in $calls {
            b = match *c {
                Call::From(i) => b.from(mbox(i)),
                Call::To(i) => b.to(mbox(i)),
                Call::Cc(i) => b.cc(mbox(i)),
                Call::Bcc(i) => b.bcc(mbox(i)),
                Call::Sender(i) => b.sender(mbox(i)),
                Call::ReplyTo(i) => b.reply_to(mbox(i)),
                Call::Subject => b.subject("s"),
                Call::Date => b.date(date()),
                Call::UserAgent => b.user_agent("ua/1.0".to_owned()),
                Call::InReplyTo(i) => b.in_reply_to(id(i)),
                Call::References(i) => b.references(id(i)),
                Call::MessageId(i) => b.message_id(Some(id(i))),
                Call::HeaderReferences(i) => b.header(header::References::from(id(i))),
                Call::HeaderInReplyTo(i) => b.header(header::InReplyTo::from(id(i))),
                Call::HeaderMessageId(i) => b.header(header::MessageId::from(id(i))),
                Call::HeaderContentType => b.header(header::ContentType::TEXT_PLAIN),
                Call::RawCustom => b.raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("X-Custom"),
                    "v".into(),
                )),
                Call::RawReferences => b.raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("References"),
                    "<r@x.example>".into(),
                )),
                Call::MailboxCc(i) => b.mailbox(header::Cc::from(Mailboxes::from(mbox(i)))),
                Call::KeepBcc => b.keep_bcc(),
            };
        }
        let built = match $body {
            Body::Text => b.body(String::from("x")),
            Body::SinglePart => b.singlepart(<$single>::plain(String::from("x"))),
            Body::MultiPart => b.multipart(<$multi>::alternative_plain_html(
                String::from("x"),
                String::from("<p>x</p>"),
            )),
        };
        built.map(|m| m.formatted()).map_err(|e| e.to_string())
    }};
}

/// The names of the top-level headers, lowercased, in order: the header block ends at the
/// first empty line; a line starting with a space or tab continues the header before it.
fn header_names(formatted: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(formatted).expect("a formatted message is UTF-8");
    text.split("\r\n")
        .take_while(|line| !line.is_empty())
        .filter(|line| !line.starts_with([' ', '\t']))
        .map(|line| {
            let (name, _) = line.split_once(':').expect("a header line has a colon");
            name.to_ascii_lowercase()
        })
        .collect()
}

/// A message's header names, or why it did not build.
type Names = Result<Vec<String>, String>;

/// Header names as written by letterhead and by lettre, for the same calls; a Message-ID the
/// calls did not set is left out.
fn both(calls: &[Call], body: Body) -> (Names, Names) {
    let ours = build!(
        letterhead::Message::builder(),
        letterhead::message::SinglePart,
        letterhead::message::MultiPart,
        calls,
        body
    );
    let theirs = build!(
        lettre::Message::builder(),
        lettre::message::SinglePart,
        lettre::message::MultiPart,
        calls,
        body
    );
    let generated = !sets_message_id(calls);
    let names = |formatted: Vec<u8>| {
        let mut names = header_names(&formatted);
        if generated {
            names.retain(|n| n != "message-id");
        }
        names
    };
    (ours.map(names), theirs.map(names))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn headers_come_in_lettres_order(calls in calls(), body in body()) {
        match both(&calls, body) {
            (Ok(ours), Ok(theirs)) => prop_assert_eq!(ours, theirs),
            (Err(_), Err(_)) => {}
            (ours, theirs) => prop_assert!(false, "letterhead {:?}, lettre {:?}", ours, theirs),
        }
    }
}

fn position(names: &[String], name: &str) -> usize {
    names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no {name} in {names:?}"))
}

#[test]
fn references_set_before_from_comes_before_from() {
    let calls = [Call::References(0), Call::From(0), Call::To(1)];
    let (ours, theirs) = both(&calls, Body::Text);
    for (by, names) in [("lettre", theirs), ("letterhead", ours)] {
        let names = names.unwrap();
        assert!(
            position(&names, "references") < position(&names, "from"),
            "{by}: {names:?}"
        );
    }
}

#[test]
fn in_reply_to_set_first_is_the_first_header() {
    let calls = [Call::HeaderInReplyTo(0), Call::From(0), Call::To(1)];
    let (ours, theirs) = both(&calls, Body::Text);
    for (by, names) in [("lettre", theirs), ("letterhead", ours)] {
        let names = names.unwrap();
        assert_eq!(names[0], "in-reply-to", "{by}: {names:?}");
    }
}

#[test]
fn a_given_message_id_stays_where_it_was_set() {
    let calls = [
        Call::From(0),
        Call::To(1),
        Call::Subject,
        Call::MessageId(0),
        Call::Date,
    ];
    let expected = [
        "from",
        "to",
        "subject",
        "message-id",
        "date",
        "content-transfer-encoding",
    ];
    let (ours, theirs) = both(&calls, Body::Text);
    assert_eq!(theirs.unwrap(), expected, "lettre");
    assert_eq!(ours.unwrap(), expected, "letterhead");
}
