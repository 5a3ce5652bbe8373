//! The envelope of a message built through `from`, `sender`, `to`, `cc`, `bcc`, `header`,
//! `mailbox`, `envelope` and `keep_bcc`: letterhead hands lettre the envelope it derives from
//! those calls; it must be the one lettre derives from its own headers, but for IDN domains
//! after an ASCII local part, which letterhead may write as A-labels of the same domain; and a
//! build must fail exactly when lettre's fails. A display name with a control character is an
//! error naming its header (lettre panics on CR and LF), as is an address with one (lettre
//! writes it as given), so lettre is not asked then.
//!
//! Input: fields separated by the byte 0xFF; each field is one call, its first byte choosing
//! the method (modulo 9) and the rest the mailbox text (`Name <user@domain>` and the like).
//! A field whose text is no mailbox is skipped. See FUZZING.md.
#![no_main]

use letterhead::{
    message::{header, Mailbox, Mailboxes},
    Address, Error,
};
use libfuzzer_sys::fuzz_target;

/// Whether letterhead's `ours` is lettre's `theirs`, or the same address with the domain, an
/// IDN after an ASCII local part, as A-labels.
fn same_address(ours: &Address, theirs: &Address) -> bool {
    if ours == theirs {
        return true;
    }
    let (unicode, result) = idna::domain_to_unicode(ours.domain());
    ours.user() == theirs.user()
        && ours.user().is_ascii()
        && ours.domain().is_ascii()
        && !theirs.domain().is_ascii()
        && result.is_ok()
        && unicode == theirs.domain().to_lowercase()
}

fn same_envelope(ours: &lettre::address::Envelope, theirs: &lettre::address::Envelope) -> bool {
    let from = match (ours.from(), theirs.from()) {
        (Some(a), Some(b)) => same_address(a, b),
        (None, None) => true,
        _ => false,
    };
    from && ours.to().len() == theirs.to().len()
        && ours
            .to()
            .iter()
            .zip(theirs.to())
            .all(|(a, b)| same_address(a, b))
}

const FIELD_SEP: u8 = 0xFF;

macro_rules! apply {
    ($builder:expr, $calls:expr) => {{
        let mut b = $builder;
        for (op, m) in $calls {
            let m: Mailbox = m.clone();
            b = match op % 9 {
                0 => b.from(m),
                1 => b.sender(m),
                2 => b.to(m),
                3 => b.cc(m),
                4 => b.bcc(m),
                5 => b.header(header::To::from(Mailboxes::from(m))),
                6 => b.mailbox(header::Cc::from(Mailboxes::from(m))),
                7 => b.envelope(
                    lettre::address::Envelope::new(Some(m.email.clone()), vec![m.email]).unwrap(),
                ),
                _ => b.keep_bcc(),
            };
        }
        b.message_id(Some("<fixed@example.com>".to_owned()))
            .body(String::from("body"))
    }};
}

fuzz_target!(|data: &[u8]| {
    let calls: Vec<(u8, Mailbox)> = data
        .split(|&b| b == FIELD_SEP)
        .filter_map(|f| {
            let (&op, text) = f.split_first()?;
            let m = String::from_utf8_lossy(text).parse::<Mailbox>().ok()?;
            Some((op, m))
        })
        .take(16)
        .collect();
    let ours = apply!(letterhead::Message::builder(), &calls);
    // A mailbox no header may hold: a control character other than a tab in its display
    // name, a control character or line separator in its address. Given to `from`, `to`, ...
    // it is refused at once; given through `header` or `mailbox`, what lettre writes of it is
    // checked (a name lettre trims, or a header replaced later, never reaches the wire).
    let bad = |m: &Mailbox| {
        let address: &str = m.email.as_ref();
        m.name
            .as_deref()
            .is_some_and(|n| n.chars().any(|c| c.is_control() && c != '\t'))
            || address
                .chars()
                .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    };
    let surely = calls.iter().any(|(op, m)| op % 9 < 5 && bad(m));
    let maybe = calls
        .iter()
        .any(|(op, m)| (5..7).contains(&(op % 9)) && bad(m));
    match &ours {
        Err(Error::InvalidHeader { .. }) if surely || maybe => return,
        other if surely => {
            panic!("a mailbox with a control character: {other:?}, calls: {calls:?}")
        }
        _ => {}
    }
    let theirs = apply!(lettre::Message::builder(), &calls);
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            assert!(
                same_envelope(ours.envelope(), theirs.envelope()),
                "{:?} vs lettre's {:?}, calls: {calls:?}",
                ours.envelope(),
                theirs.envelope()
            );
            let bcc = |m: &lettre::Message| -> Vec<Address> {
                m.headers()
                    .get::<header::Bcc>()
                    .map(|b| Mailboxes::from(b).into_iter().map(|m| m.email).collect())
                    .unwrap_or_default()
            };
            let (a, b) = (bcc(&ours), bcc(&theirs));
            assert!(
                a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| same_address(x, y)),
                "Bcc {a:?} vs lettre's {b:?}"
            );
        }
        (Err(ours), Err(theirs)) => assert_eq!(ours.to_string(), theirs.to_string()),
        (ours, theirs) => panic!(
            "letterhead {:?}, lettre {:?}, calls: {calls:?}",
            ours.map(|_| ()),
            theirs.map(|_| ())
        ),
    }
});
