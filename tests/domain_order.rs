//! The Message-ID domain order through the process-wide sources (installed Config and
//! `MESSAGE_ID_DOMAIN`), which are read once per process: each case runs in a child process
//! of this test binary with its own environment.

use std::{process::Command, sync::Arc};

use letterhead::{Config, IdentifierPolicy, Message};

fn run_child(test: &str, env: &[(&str, &str)]) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--ignored", "--test-threads=1"])
        .env_remove("MESSAGE_ID_DOMAIN")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn build() -> Result<Message, letterhead::Error> {
    Message::builder()
        .from("app@from.example".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .body(String::from("hi"))
}

fn domain_of(m: &Message) -> String {
    let id = m.headers().get_raw("Message-ID").unwrap();
    letterhead::MsgId::parse(id).unwrap().right().to_owned()
}

#[test]
fn env_var_is_used_after_message_and_config() {
    run_child("child_env_valid", &[("MESSAGE_ID_DOMAIN", "büro.example")]);
}

#[test]
fn invalid_env_var_is_an_error_naming_it() {
    run_child("child_env_invalid", &[("MESSAGE_ID_DOMAIN", "bad domain>")]);
}

#[test]
fn installed_config_wins_over_env_and_sets_the_policy() {
    run_child("child_config", &[("MESSAGE_ID_DOMAIN", "bad domain>")]);
}

#[test]
fn config_from_env() {
    run_child(
        "child_config_from_env",
        &[("MESSAGE_ID_DOMAIN", "env.example")],
    );
    run_child(
        "child_config_from_env_invalid",
        &[("MESSAGE_ID_DOMAIN", "a\r\nb")],
    );
}

#[test]
fn without_env_or_config_the_from_domain_is_used() {
    run_child("child_no_env", &[]);
}

#[test]
#[ignore = "run in a child process by env_var_is_used_after_message_and_config"]
fn child_env_valid() {
    assert_eq!(domain_of(&build().unwrap()), "xn--bro-hoa.example");
    let m = Message::builder()
        .from("app@from.example".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .message_id_domain("mine.example")
        .body(String::new())
        .unwrap();
    assert_eq!(domain_of(&m), "mine.example");
}

#[test]
#[ignore = "run in a child process by invalid_env_var_is_an_error_naming_it"]
fn child_env_invalid() {
    let err = build().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"MESSAGE_ID_DOMAIN: "bad domain>": character ' ' is not allowed in a msg-id"#
    );
    // Every message, not only the first, gets the error: no silent fallback later either.
    assert!(build().is_err());
    // A per-message domain comes first, so the variable is never reached.
    let m = Message::builder()
        .from("app@from.example".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .message_id_domain("mine.example")
        .body(String::new())
        .unwrap();
    assert_eq!(domain_of(&m), "mine.example");
    // So is a message that brings its own Message-ID.
    let m = Message::builder()
        .from("app@from.example".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .message_id(Some("<own@example.com>".into()))
        .body(String::new())
        .unwrap();
    assert_eq!(domain_of(&m), "example.com");
}

#[test]
#[ignore = "run in a child process by installed_config_wins_over_env_and_sets_the_policy"]
fn child_config() {
    Config::new()
        .message_id_domain("cfg.example")
        .unwrap()
        .policy(IdentifierPolicy::new().smtputf8(true))
        .install()
        .unwrap();
    assert!(matches!(
        Config::new().install(),
        Err(letterhead::Error::ConfigAlreadyInstalled)
    ));
    assert_eq!(domain_of(&build().unwrap()), "cfg.example");
    // The installed policy is in force: SMTPUTF8 ids are accepted...
    let m = Message::builder()
        .from("app@from.example".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .in_reply_to("<grüße@example.com>".into())
        .body(String::new())
        .unwrap();
    assert_eq!(
        m.headers().get_raw("In-Reply-To"),
        Some("<grüße@example.com>")
    );
    // ...unless a builder names its own.
    let err = Message::builder()
        .from("app@from.example".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .policy(Arc::new(IdentifierPolicy::new()))
        .in_reply_to("<grüße@example.com>".into())
        .body(String::new())
        .unwrap_err();
    assert!(err.to_string().starts_with("In-Reply-To: "), "{err}");
}

#[test]
#[ignore = "run in a child process by config_from_env"]
fn child_config_from_env() {
    let config = Config::from_env().unwrap();
    assert_eq!(config.domain().unwrap().as_str(), "env.example");
    config.install().unwrap();
    assert_eq!(domain_of(&build().unwrap()), "env.example");
}

#[test]
#[ignore = "run in a child process by config_from_env"]
fn child_config_from_env_invalid() {
    let err = Config::from_env().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"MESSAGE_ID_DOMAIN: "a\r\nb": control character U+000D in a msg-id; a header value cannot hold one"#
    );
}

#[test]
#[ignore = "run in a child process by without_env_or_config_the_from_domain_is_used"]
fn child_no_env() {
    assert!(Config::installed().is_none());
    assert_eq!(domain_of(&build().unwrap()), "from.example");
}
