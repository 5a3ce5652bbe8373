//! DKIM as lettre 0.11 documents it (`Message::sign`, `lettre::message::dkim`), feature
//! `dkim`. The first test is the example of lettre 0.11.23's `Message::sign` documentation,
//! as published (its key is the one in lettre's docs). The assertions hold for lettre and
//! letterhead alike (`run-against-lettre.sh`).

use lettre::message::dkim::{
    dkim_sign, DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey, DkimSigningKeyError,
};
use lettre::message::header::{ContentType, HeaderName};
use lettre::Message;

#[test]
fn lettres_documented_example() {
    use lettre::{
        Message,
        message::{
            dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey},
            header::ContentType,
        },
    };

    let mut message = Message::builder()
        .from("Alice <alice@example.org>".parse().unwrap())
        .reply_to("Bob <bob@example.org>".parse().unwrap())
        .to("Carla <carla@example.net>".parse().unwrap())
        .subject("Hello")
        .header(ContentType::TEXT_PLAIN)
        .body("Hi there, it's a test email, with utf-8 chars ë!\n\n\n".to_owned())
        .unwrap();
    let key = "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAt2gawjoybf0mAz0mSX0cq1ah5F9cPazZdCwLnFBhRufxaZB8
NLTdc9xfPIOK8l/xGrN7Nd63J4cTATqZukumczkA46O8YKHwa53pNT6NYwCNtDUL
eBu+7xUW18GmDzkIFkxGO2R5kkTeWPlKvKpEiicIMfl0OmyW/fI3AbtM7e/gmqQ4
kEYIO0mTjPT+jTgWE4JIi5KUTHudUBtfMKcSFyM2HkUOExl1c9+A4epjRFQwEXMA
hM5GrqZoOdUm4fIpvGpLIGIxFgHPpZYbyq6yJZzH3+5aKyCHrsHawPuPiCD45zsU
re31zCE6b6k1sDiiBR4CaRHnbL7hxFp0aNLOVQIDAQABAoIBAGMK3gBrKxaIcUGo
gQeIf7XrJ6vK72YC9L8uleqI4a9Hy++E7f4MedZ6eBeWta8jrnEL4Yp6xg+beuDc
A24+Mhng+6Dyp+TLLqj+8pQlPnbrMprRVms7GIXFrrs+wO1RkBNyhy7FmH0roaMM
pJZzoGW2pE9QdbqjL3rdlWTi/60xRX9eZ42nNxYnbc+RK03SBd46c3UBha6Y9iQX
562yWilDnB5WCX2tBoSN39bEhJvuZDzMwOuGw68Q96Hdz82Iz1xVBnRhH+uNStjR
VnAssSHVxPSpwWrm3sHlhjBHWPnNIaOKIKl1lbL+qWfVQCj/6a5DquC+vYAeYR6L
3mA0z0ECgYEA5YkNYcILSXyE0hZ8eA/t58h8eWvYI5iqt3nT4fznCoYJJ74Vukeg
6BTlq/CsanwT1lDtvDKrOaJbA7DPTES/bqT0HoeIdOvAw9w/AZI5DAqYp61i6RMK
xfAQL/Ik5MDFN8gEMLLXRVMe/aR27f6JFZpShJOK/KCzHqikKfYVJ+UCgYEAzI2F
ZlTyittWSyUSl5UKyfSnFOx2+6vNy+lu5DeMJu8Wh9rqBk388Bxq98CfkCseWESN
pTCGdYltz9DvVNBdBLwSMdLuYJAI6U+Zd70MWyuNdHFPyWVHUNqMUBvbUtj2w74q
Hzu0GI0OrRjdX6C63S17PggmT/N2R9X7P4STxbECgYA+AZAD4I98Ao8+0aQ+Ks9x
1c8KXf+9XfiAKAD9A3zGcv72JXtpHwBwsXR5xkJNYcdaFfKi7G0k3J8JmDHnwIqW
MSlhNeu+6hDg2BaNLhsLDbG/Wi9mFybJ4df9m8Qrp4efUgEPxsAwkgvFKTCXijMu
CspP1iutoxvAJH50d22voQKBgDIsSFtIXNGYaTs3Va8enK3at5zXP3wNsQXiNRP/
V/44yNL77EktmewfXFF2yuym1uOZtRCerWxpEClYO0wXa6l8pA3aiiPfUIBByQfo
s/4s2Z6FKKfikrKPWLlRi+NvWl+65kQQ9eTLvJzSq4IIP61+uWsGvrb/pbSLFPyI
fWKRAoGBALFCStBXvdMptjq4APUzAdJ0vytZzXkOZHxgmc+R0fQn22OiW0huW6iX
JcaBbL6ZSBIMA3AdaIjtvNRiomueHqh0GspTgOeCE2585TSFnw6vEOJ8RlR4A0Mw
I45fbR4l+3D/30WMfZlM6bzZbwPXEnr2s1mirmuQpjumY9wLhK25
-----END RSA PRIVATE KEY-----";
    let signing_key = DkimSigningKey::new(key, DkimSigningAlgorithm::Rsa).unwrap();
    message.sign(&DkimConfig::default_config(
        "dkimtest".to_owned(),
        "example.org".to_owned(),
        signing_key,
    ));
    println!(
        "message: {}",
        std::str::from_utf8(&message.formatted()).unwrap()
    );

    let sig: String = message
        .headers()
        .get_raw("DKIM-Signature")
        .expect("signed")
        .split_whitespace()
        .collect();
    for tag in ["v=1;", "a=rsa-sha256;", "d=example.org;", "s=dkimtest;", "bh=", "b="] {
        assert!(sig.contains(tag), "{tag} missing from {sig}");
    }
}

const ED25519_SEED: &str = "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=";

fn ed25519_config(canonicalization: DkimCanonicalization) -> DkimConfig {
    DkimConfig::new(
        "ed".to_owned(),
        "example.org".to_owned(),
        DkimSigningKey::new(ED25519_SEED, DkimSigningAlgorithm::Ed25519).unwrap(),
        vec![
            HeaderName::new_from_ascii_str("From"),
            HeaderName::new_from_ascii_str("Subject"),
            HeaderName::new_from_ascii_str("Date"),
        ],
        canonicalization,
    )
}

fn message(subject: &str) -> Message {
    Message::builder()
        .from("Alice <alice@example.org>".parse().unwrap())
        .to("Carla <carla@example.net>".parse().unwrap())
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(String::from("Hi"))
        .unwrap()
}

#[test]
fn config_with_headers_and_canonicalization_ed25519_and_the_free_function() {
    let canonicalization = DkimCanonicalization {
        header: DkimCanonicalizationType::Relaxed,
        body: DkimCanonicalizationType::Simple,
    };
    assert_eq!(canonicalization.to_string(), "relaxed/simple");
    let config = ed25519_config(canonicalization);
    let mut m = message("one");
    dkim_sign(&mut m, &config);
    let sig = m.headers().get_raw("DKIM-Signature").expect("signed");
    assert!(sig.contains("a=ed25519-sha256"), "{sig}");
    assert!(sig.contains("c=relaxed/simple"), "{sig}");

    // `sign` returns (), so it fits where lettre code expects a unit closure.
    let mut batch = vec![message("a"), message("b")];
    batch.iter_mut().for_each(|m| m.sign(&config));
    assert!(batch
        .iter()
        .all(|m| m.headers().get_raw("DKIM-Signature").is_some()));

    // The re-exports at `lettre::message::*` name the same types.
    let _: lettre::message::DkimCanonicalizationType = DkimCanonicalizationType::Simple;
    let _: &lettre::message::DkimConfig = &config;
}

#[test]
fn a_bad_key_is_an_error_with_a_message() {
    let err: DkimSigningKeyError =
        DkimSigningKey::new("not a key", DkimSigningAlgorithm::Rsa).unwrap_err();
    assert!(!err.to_string().is_empty());
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    let _ = boxed;
    assert_eq!(DkimSigningAlgorithm::Ed25519.to_string(), "ed25519");
}
