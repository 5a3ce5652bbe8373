//! DKIM signing, with no server: sign a message with an RSA key and an Ed25519 key (two
//! signatures, as a domain rolling over to Ed25519 sends them), print the TXT records to
//! publish and the signed message, and write it with `FileTransport`.
//!
//! ```text
//! cargo run --example dkim
//! cargo run --example dkim -- KEY.pem SELECTOR DOMAIN   # your own RSA key (PKCS#1 or PKCS#8)
//! ```
//!
//! Without arguments it signs for `letterhead.test` with the test keys in `tests/keys/`,
//! which are public: never sign real mail with them.

use letterhead::{
    message::{
        dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey},
        header::ContentType,
    },
    FileTransport, Message, Transport,
};

const TEST_RSA: &str = include_str!("../tests/keys/rsa2048.pem");
const TEST_ED25519: &str = include_str!("../tests/keys/ed25519.seed");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (rsa_pem, selector, domain) = match args.as_slice() {
        [key, selector, domain] => (
            std::fs::read_to_string(key)?,
            selector.clone(),
            domain.clone(),
        ),
        [] => (
            TEST_RSA.to_owned(),
            "rsa".to_owned(),
            "letterhead.test".to_owned(),
        ),
        _ => return Err("usage: dkim [KEY.pem SELECTOR DOMAIN]".into()),
    };

    let mut email = Message::builder()
        .from(format!("Acme Shop <orders@{domain}>").parse()?)
        .to("Jürgen Müller <juergen@example.org>".parse()?)
        .subject("Ihre Bestellung ist unterwegs")
        .header(ContentType::TEXT_PLAIN)
        .body(String::from(
            "Hallo Jürgen,\r\n\r\nIhre Bestellung ist unterwegs.\r\n",
        ))?;

    // lettre's constructors: DkimConfig::default_config signs From, Subject, To and Date,
    // relaxed/relaxed in letterhead (lettre: simple/relaxed).
    let rsa = DkimSigningKey::new(&rsa_pem, DkimSigningAlgorithm::Rsa)?;
    println!(
        "publish at {selector}._domainkey.{domain}:\n  {}\n",
        rsa.dns_record()
    );
    let rsa_config = DkimConfig::default_config(selector, domain.clone(), rsa).oversign(true);
    // check() finds a setting that cannot be written (a selector with a space, ...) before
    // the first message; sign() would then leave the message unsigned.
    rsa_config.check()?;
    email.sign(&rsa_config);

    if args.is_empty() {
        let ed = DkimSigningKey::new(TEST_ED25519, DkimSigningAlgorithm::Ed25519)?;
        println!(
            "publish at ed._domainkey.{domain}:\n  {}\n",
            ed.dns_record()
        );
        // try_sign says what went wrong, where sign (lettre's signature) cannot.
        email.try_sign(&DkimConfig::default_config("ed".into(), domain, ed))?;
    }

    let text = String::from_utf8(email.formatted())?;
    println!("{}", text.replace("\r\n", "\n"));

    let dir = std::env::temp_dir().join("letterhead-dkim-example");
    std::fs::create_dir_all(&dir)?;
    let id = FileTransport::new(&dir).send(&email)?;
    println!("written to {}", dir.join(format!("{id}.eml")).display());
    Ok(())
}
