//! The envelope of a message built through `from`, `sender`, `to`, `cc`, `bcc`, `header`,
//! `mailbox`, `envelope` and `keep_bcc`: letterhead hands lettre the envelope it derives from
//! those calls; it must be the one lettre derives from its own headers, and a build must fail
//! exactly when lettre's fails.
//!
//! Input: fields separated by the byte 0xFF; each field is one call, its first byte choosing
//! the method (modulo 9) and the rest the mailbox text (`Name <user@domain>` and the like).
//! A field whose text is no mailbox is skipped. See FUZZING.md.
#![no_main]

use letterhead::message::{header, Mailbox, Mailboxes};
use libfuzzer_sys::fuzz_target;

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
    let theirs = apply!(lettre::Message::builder(), &calls);
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            assert_eq!(ours.envelope(), theirs.envelope(), "calls: {calls:?}");
            assert_eq!(
                ours.headers().get_raw("Bcc"),
                theirs.headers().get_raw("Bcc")
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
