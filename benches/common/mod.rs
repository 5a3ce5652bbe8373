//! The messages every benchmark builds, with plain lettre and with letterhead.
//!
//! Both libraries get exactly the same input: the same From/Reply-To/To, Subject, explicit
//! Date, identifier headers and body. Mailboxes are parsed once, outside the timed code; what
//! is timed is the builder (cloning the inputs in, as application code does) plus
//! `formatted()`.
#![allow(dead_code)] // each bench binary uses its own part of this module

use std::time::{Duration, SystemTime};

use lettre::message::{header::ContentType, Mailbox};

/// The three messages of the issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An order notification: From, Reply-To, To, Subject, Date, text/plain body (~0.9 kB).
    Transactional,
    /// A reply in a long thread: In-Reply-To and References with 20 ids of ~58 octets.
    Reply20Refs,
    /// multipart/alternative: text/plain and multipart/related (HTML + a 6 kB inline PNG).
    MultipartInlineImage,
}

impl Kind {
    pub const ALL: [Kind; 3] = [
        Kind::Transactional,
        Kind::Reply20Refs,
        Kind::MultipartInlineImage,
    ];

    /// The criterion group name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Transactional => "transactional",
            Kind::Reply20Refs => "reply_20_refs",
            Kind::MultipartInlineImage => "multipart_inline_image",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// Which library, and what the caller says about the Message-ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// Plain lettre, no Message-ID call: lettre writes none.
    Lettre,
    /// letterhead with no Message-ID call: it generates `<uuid@domain>` (domain resolved from
    /// the From address, step 4 of the order).
    Letterhead,
    /// Plain lettre asked to generate one: `.message_id(None)` (36 random alphanumerics and
    /// the host name, looked up on every call).
    LettreGeneratedId,
    /// Plain lettre given an explicit Message-ID.
    LettreGivenId,
    /// letterhead given the same explicit Message-ID: the policy cost alone, no generation.
    LetterheadGivenId,
}

impl Case {
    pub const ALL: [Case; 5] = [
        Case::Lettre,
        Case::Letterhead,
        Case::LettreGeneratedId,
        Case::LettreGivenId,
        Case::LetterheadGivenId,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Case::Lettre => "lettre",
            Case::Letterhead => "letterhead",
            Case::LettreGeneratedId => "lettre_generated_id",
            Case::LettreGivenId => "lettre_given_id",
            Case::LetterheadGivenId => "letterhead_given_id",
        }
    }

    pub fn from_name(s: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|c| c.name() == s)
    }

    /// Builds the message and formats it.
    pub fn build_format(self, kind: Kind, inp: &Inputs) -> Vec<u8> {
        match self {
            Case::Lettre | Case::LettreGeneratedId | Case::LettreGivenId => {
                lettre_message(self, kind, inp).formatted()
            }
            Case::Letterhead | Case::LetterheadGivenId => {
                letterhead_message(self, kind, inp).formatted()
            }
        }
    }
}

/// The given Message-ID (32 hex digits, as letterhead generates them).
pub const GIVEN_ID: &str = "<0f3a9c2e5b1d4e8fa1b2c3d4e5f60718@acme.example>";

/// Everything a message is made of, prepared once.
pub struct Inputs {
    pub from: Mailbox,
    pub reply_to: Mailbox,
    pub to: Mailbox,
    pub date: SystemTime,
    pub subject: String,
    pub reply_subject: String,
    pub text: String,
    pub html: String,
    pub image: Vec<u8>,
    pub in_reply_to: String,
    /// 20 ids, one space between them.
    pub references: String,
}

/// A msg-id of realistic length (58 octets), as mail clients write them.
pub fn thread_id(i: usize) -> String {
    format!("<CAF9a7kq3{i:02}.1750000000.7f3a9c2e5b1d4e8f@mail.example.com>")
}

/// `n` distinct thread ids, one space between them.
pub fn references(n: usize) -> String {
    (0..n).map(thread_id).collect::<Vec<_>>().join(" ")
}

impl Inputs {
    pub fn new() -> Self {
        let text = "Hello Jane,\n\n\
            Good news: your order #10423 has shipped and is on its way.\n\n\
            Carrier: Example Parcel Service\n\
            Tracking number: 1Z999AA10123456784\n\
            Track it: https://shop.acme.example/orders/10423/tracking?utm_source=email\n\n\
            Items:\n  1 x Espresso machine, stainless steel      249.00 EUR\n\
            \x20 2 x Coffee beans, 1 kg, medium roast          31.80 EUR\n\
            \x20 Shipping                                        0.00 EUR\n\
            \x20 Total                                         280.80 EUR\n\n\
            Expected delivery: Thursday, between 9:00 and 13:00.\n\n\
            If anything is wrong with your order, reply to this message or visit\n\
            https://shop.acme.example/help and quote your order number.\n\n\
            Thank you for shopping with Acme,\nThe Acme team\n\n\
            --\nAcme Shop GmbH, Examplestrasse 1, 12345 Example City\n\
            You receive this email because you placed an order at shop.acme.example.\n"
            .to_owned();
        let html = format!(
            "<!DOCTYPE html><html><body>\
             <p><img src=\"cid:logo@acme.example\" alt=\"Acme\" width=\"120\" height=\"40\"></p>\
             <pre>{text}</pre></body></html>"
        );
        // A deterministic 6 kB "PNG": the signature, then pseudo-random bytes (what a
        // compressed image looks like to the base64 encoder).
        let mut image = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut x: u32 = 0x2545_f491;
        while image.len() < 6 * 1024 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            image.push(x as u8);
        }
        Inputs {
            from: "Acme Shop <orders@shop.acme.example>".parse().unwrap(),
            reply_to: "Acme Support <support@acme.example>".parse().unwrap(),
            to: "Jane Doe <jane.doe@example.org>".parse().unwrap(),
            date: SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000),
            subject: "Your order #10423 has shipped".to_owned(),
            reply_subject: "Re: Your order #10423 has shipped".to_owned(),
            text,
            html,
            image,
            in_reply_to: thread_id(19),
            references: references(20),
        }
    }
}

impl Default for Inputs {
    fn default() -> Self {
        Self::new()
    }
}

/// The MIME body of [`Kind::MultipartInlineImage`], made with the `MultiPart`, `SinglePart`
/// and `Attachment` of the message module named (`lettre::message` or `letterhead::message`,
/// as application code does after the one-line switch); built inside the timed code.
macro_rules! mime_body {
    ($($module:ident)::+, $inp:expr) => {{
        use $($module)::+::{Attachment, MultiPart, SinglePart};
        let inp = $inp;
        MultiPart::alternative()
            .singlepart(SinglePart::plain(inp.text.clone()))
            .multipart(
                MultiPart::related()
                    .singlepart(SinglePart::html(inp.html.clone()))
                    .singlepart(
                        Attachment::new_inline("logo@acme.example".to_owned())
                            .body(inp.image.clone(), ContentType::parse("image/png").unwrap()),
                    ),
            )
    }};
}

/// The same builder calls on either library's `MessageBuilder` (their methods share names and
/// signatures); evaluates to the builder, ready for a body.
macro_rules! headers {
    ($builder:expr, $case:expr, $kind:expr, $inp:expr) => {{
        let inp = $inp;
        let mut b = $builder
            .from(inp.from.clone())
            .reply_to(inp.reply_to.clone())
            .to(inp.to.clone())
            .date(inp.date);
        match $case {
            Case::LettreGeneratedId => b = b.message_id(None),
            Case::LettreGivenId | Case::LetterheadGivenId => {
                b = b.message_id(Some(GIVEN_ID.to_owned()))
            }
            Case::Lettre | Case::Letterhead => {}
        }
        match $kind {
            Kind::Reply20Refs => b
                .subject(inp.reply_subject.clone())
                .in_reply_to(inp.in_reply_to.clone())
                .references(inp.references.clone()),
            Kind::Transactional | Kind::MultipartInlineImage => b.subject(inp.subject.clone()),
        }
    }};
}

/// Builds `kind` with plain lettre.
pub fn lettre_message(case: Case, kind: Kind, inp: &Inputs) -> lettre::Message {
    let b = headers!(lettre::Message::builder(), case, kind, inp);
    match kind {
        Kind::MultipartInlineImage => b.multipart(mime_body!(lettre::message, inp)),
        _ => b.header(ContentType::TEXT_PLAIN).body(inp.text.clone()),
    }
    .unwrap()
}

/// Builds `kind` with letterhead.
pub fn letterhead_message(case: Case, kind: Kind, inp: &Inputs) -> letterhead::Message {
    let b = headers!(letterhead::Message::builder(), case, kind, inp);
    match kind {
        Kind::MultipartInlineImage => b.multipart(mime_body!(letterhead::message, inp)),
        _ => b.header(ContentType::TEXT_PLAIN).body(inp.text.clone()),
    }
    .unwrap()
}
