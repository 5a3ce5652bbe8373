//! letterhead hands lettre the envelope of a message built through `from`, `sender`, `to`,
//! `cc` and `bcc`, instead of letting it parse the address headers it has just written. The
//! result must be what lettre itself derives: the same envelope, or an error where lettre
//! gives one, for any sequence of builder calls; the one difference is an IDN domain after an
//! ASCII local part, which letterhead writes as A-labels.

use letterhead::{
    message::{header, Mailbox, Mailboxes},
    Address,
};
use proptest::prelude::*;

/// Mailboxes: plain ones (tracked), and ones lettre may read back differently (not tracked).
const MAILBOXES: &[&str] = &[
    "a@example.com",
    "First Last <b.c+tag@sub.example.org>",
    "\"Quoted, Name\" <d@example.net>",
    "Jürgen Groß <e@example.com>",
    "<f@example.com>",
    "G@EXAMPLE.COM",
    "h@bücher.example",
    // Two addresses lettre cannot read back from its own From or To header: built below.
    "i@[192.0.2.1]",
    "\"john doe\"@example.com",
    "j=k?l@example.com",
    "o'brien@example.ie",
];

#[derive(Debug, Clone)]
enum Call {
    From(usize),
    Sender(usize),
    To(usize),
    Cc(usize),
    Bcc(usize),
    /// The same address headers set other ways: the envelope is then lettre's to derive.
    HeaderTo(usize),
    MailboxCc(usize),
    Envelope,
    KeepBcc,
}

fn call() -> impl Strategy<Value = Call> {
    let m = 0..MAILBOXES.len();
    prop_oneof![
        4 => m.clone().prop_map(Call::From),
        1 => m.clone().prop_map(Call::Sender),
        4 => m.clone().prop_map(Call::To),
        2 => m.clone().prop_map(Call::Cc),
        2 => m.clone().prop_map(Call::Bcc),
        1 => m.clone().prop_map(Call::HeaderTo),
        1 => m.prop_map(Call::MailboxCc),
        1 => Just(Call::Envelope),
        1 => Just(Call::KeepBcc),
    ]
}

fn mbox(i: usize) -> Mailbox {
    let s = MAILBOXES[i];
    s.parse().unwrap_or_else(|_| {
        let (user, domain) = s.rsplit_once('@').expect("an address");
        Mailbox::new(None, Address::new(user, domain).expect("a valid address"))
    })
}

/// What letterhead writes for an address lettre writes as given: the IDN domain of the one
/// IDN address above as A-labels.
fn a_labels(text: &str) -> String {
    text.replace("bücher.example", "xn--bcher-kva.example")
}

/// lettre's envelope with [`a_labels`].
fn expected(envelope: &lettre::address::Envelope) -> lettre::address::Envelope {
    let convert = |a: &Address| -> Address { a_labels(a.as_ref()).parse().unwrap() };
    lettre::address::Envelope::new(
        envelope.from().map(convert),
        envelope.to().iter().map(convert).collect(),
    )
    .unwrap()
}

fn given_envelope() -> lettre::address::Envelope {
    lettre::address::Envelope::new(
        Some("bounce@example.com".parse().unwrap()),
        vec!["rcpt@example.com".parse().unwrap()],
    )
    .unwrap()
}

/// Applies the same calls to a letterhead and a lettre builder (a macro: the two builders are
/// different types with the same methods).
macro_rules! apply {
    ($builder:expr, $calls:expr) => {{
        let mut b = $builder;
        for c in $calls {
            b = match *c {
                Call::From(i) => b.from(mbox(i)),
                Call::Sender(i) => b.sender(mbox(i)),
                Call::To(i) => b.to(mbox(i)),
                Call::Cc(i) => b.cc(mbox(i)),
                Call::Bcc(i) => b.bcc(mbox(i)),
                Call::HeaderTo(i) => b.header(header::To::from(Mailboxes::from(mbox(i)))),
                Call::MailboxCc(i) => b.mailbox(header::Cc::from(Mailboxes::from(mbox(i)))),
                Call::Envelope => b.envelope(given_envelope()),
                Call::KeepBcc => b.keep_bcc(),
            };
        }
        b.message_id(Some("<fixed@example.com>".to_owned()))
            .subject("s")
            .body(String::from("body"))
    }};
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_envelope_is_the_one_lettre_derives(calls in prop::collection::vec(call(), 0..8)) {
        let ours = apply!(letterhead::Message::builder(), &calls);
        let theirs = apply!(lettre::Message::builder(), &calls);
        match (ours, theirs) {
            (Ok(ours), Ok(theirs)) => {
                prop_assert_eq!(ours.envelope(), &expected(theirs.envelope()));
                // An address header is written with A-labels only where lettre reads back what
                // it wrote (it cannot read back an address literal such as `i@[192.0.2.1]`).
                let bcc = |raw: &str| match raw.parse::<Mailboxes>() {
                    Ok(_) => a_labels(raw),
                    Err(_) => raw.to_owned(),
                };
                prop_assert_eq!(
                    ours.headers().get_raw("Bcc").map(str::to_owned),
                    theirs.headers().get_raw("Bcc").map(bcc)
                );
            }
            (Err(ours), Err(theirs)) => prop_assert_eq!(ours.to_string(), theirs.to_string()),
            (ours, theirs) => prop_assert!(false, "letterhead {:?}, lettre {:?}", ours.map(|_| ()), theirs.map(|_| ())),
        }
    }
}

/// A readable case of the property above: a plain message's envelope, whoever derives it.
#[test]
fn a_plain_messages_envelope_is_sender_or_from_then_to_cc_bcc() {
    let m = letterhead::Message::builder()
        .from(mbox(1))
        .to(mbox(0))
        .cc(mbox(2))
        .bcc(mbox(4))
        .body(String::new())
        .unwrap();
    let to: Vec<String> = m.envelope().to().iter().map(ToString::to_string).collect();
    assert_eq!(to, ["a@example.com", "d@example.net", "f@example.com"]);
    assert_eq!(
        m.envelope().from().unwrap().to_string(),
        "b.c+tag@sub.example.org"
    );
}
