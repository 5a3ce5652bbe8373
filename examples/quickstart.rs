//! The main job, with no server: build mail the way an app on a Heroku dyno does (long host
//! name, a reply to a user on an IDN domain), write it with `FileTransport`, and print the
//! identifier headers plain lettre 0.11 writes beside the ones letterhead writes.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use letterhead::{message::header::ContentType, FileTransport, Message, Transport};

/// What `hostname` returns on a Heroku dyno; lettre's `message_id(None)` builds
/// `<UUID@HOSTNAME>` from it.
const DYNO_HOST: &str = "aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com";
/// The message being answered, from a user whose mail server has an IDN host name.
const PARENT_ID: &str = "<CAF9a7kq3@mx.büro.example>";

const ID_HEADERS: [&str; 3] = ["Message-ID", "In-Reply-To", "References"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let from = "Acme Support <support@acme.example>";
    let to = "Jürgen <juergen@büro.example>";
    let body = String::from("Thanks for your message; we are on it.");

    // Plain lettre, as the app does today.
    let with_lettre = lettre::Message::builder()
        .from(from.parse()?)
        .to(to.parse()?)
        .subject("Re: Your ticket")
        .message_id(Some(format!(
            "<{}@{DYNO_HOST}>",
            uuid::Uuid::new_v4().simple()
        )))
        .in_reply_to(PARENT_ID.to_owned())
        .references(PARENT_ID.to_owned())
        .header(ContentType::TEXT_PLAIN)
        .body(body.clone())?;

    // letterhead: the same code, with the crate renamed in Cargo.toml. No Message-ID is asked
    // for; one is made on a short domain (MESSAGE_ID_DOMAIN if set, else the From domain).
    let with_letterhead = Message::builder()
        .from(from.parse()?)
        .to(to.parse()?)
        .subject("Re: Your ticket")
        .in_reply_to(PARENT_ID.to_owned())
        .references(PARENT_ID.to_owned())
        .header(ContentType::TEXT_PLAIN)
        .body(body)?;

    let dir = std::env::temp_dir().join("letterhead-quickstart");
    std::fs::create_dir_all(&dir)?;
    let mailer = FileTransport::new(&dir);
    let id = mailer.send(&with_letterhead)?;
    let path = dir.join(format!("{id}.eml"));
    let written = std::fs::read(&path)?;

    println!("Identifier headers written by plain lettre 0.11:");
    print_id_headers(&with_lettre.formatted());
    println!();
    println!(
        "Identifier headers written by letterhead ({}):",
        path.display()
    );
    print_id_headers(&written);

    let lettre_text = String::from_utf8(with_lettre.formatted())?;
    let encoded = ID_HEADERS
        .iter()
        .filter(|h| header_block(&lettre_text, h).is_some_and(|b| b.contains("=?")))
        .count();
    println!();
    println!(
        "lettre encoded {encoded} identifier header(s) as RFC 2047 encoded-words \
         (the cause of Office 365's 554 5.6.0); letterhead encoded none."
    );
    let letterhead_text = String::from_utf8(written)?;
    assert!(ID_HEADERS
        .iter()
        .all(|h| header_block(&letterhead_text, h).is_some_and(|b| !b.contains("=?"))));
    Ok(())
}

fn print_id_headers(message: &[u8]) {
    let text = String::from_utf8_lossy(message);
    for name in ID_HEADERS {
        if let Some(block) = header_block(&text, name) {
            for line in block.split("\r\n") {
                println!("  {line}");
            }
        }
    }
}

/// The header `name` as written, folded lines included.
fn header_block<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let head = &text[..text.find("\r\n\r\n").unwrap_or(text.len())];
    let start = head
        .match_indices("\r\n")
        .map(|(i, _)| i + 2)
        .chain([0])
        .find(|&i| head[i..].starts_with(&format!("{name}:")))?;
    let mut end = start;
    for line in head[start..].split("\r\n") {
        if end > start && !line.starts_with([' ', '\t']) {
            break;
        }
        end += line.len() + 2;
    }
    Some(&head[start..(end - 2).min(head.len())])
}
