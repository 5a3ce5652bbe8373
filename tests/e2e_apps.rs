//! The example apps, run as a user runs them, against the Postfix fixture
//! (`scripts/postfix-fixture`): `examples/axum.rs` and `examples/actix.rs` on the plain SMTP
//! port (through `SMTP_URL`, called over HTTP), `examples/office365.rs` on the submission port
//! (STARTTLS + AUTH, as smtp.office365.com:587). Each mail is then found in the Maildir.
//!
//! `cargo test` builds the examples first; the binaries are found next to this test's
//! executable (`target/<profile>/examples/`). Run alone (`cargo test --test e2e_apps`), the
//! examples must have been built (`cargo build --examples`).
//!
//! Needs the fixture: `eval "$(scripts/postfix-fixture start)"`, or `scripts/test`. Without it
//! the tests print a notice and pass, unless `LETTERHEAD_REQUIRE_FIXTURE=1`.

mod support;
#[path = "support/token_endpoint.rs"]
mod token_endpoint;

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{mpsc, Mutex},
    time::{Duration, Instant},
};

use serde_json::Value;
use support::{python_read_ids, run_tag, unfolded, Delivered, Fixture};
use token_endpoint::TokenEndpoint;

/// The app tests count SMTP sessions in the fixture's log: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// What lettre 0.11 writes for `<CAF9a7kq3@mx.büro.example>`, as a parent's Message-ID may
/// arrive.
const ENCODED_PARENT: &str = "=?utf-8?b?PENBRjlhN2txM0BteC5iw7xyby5leGFtcGxlPg==?=";
const PARENT_A_LABEL: &str = "<CAF9a7kq3@mx.xn--bro-hoa.example>";

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/e2e_apps-<hash>
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "example binary {} not built; run plain `cargo test` (which builds examples) or \
         `cargo build --examples` first",
        path.display()
    );
    path
}

/// A running example app; killed when dropped.
struct App {
    name: &'static str,
    child: Child,
    addr: String,
}

impl App {
    fn start(name: &'static str, fixture: &Fixture) -> App {
        App::start_with(name, &fixture.smtp_url(), &[])
    }

    fn start_with(name: &'static str, smtp_url: &str, env: &[(&str, &str)]) -> App {
        let mut child = Command::new(example(name))
            .envs(env.iter().copied())
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("SMTP_URL", smtp_url)
            .env("MESSAGE_ID_DOMAIN", "app.fixture.test")
            .env("MAIL_FROM", "Example App <app@fixture.test>")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut app = App {
            name,
            child,
            addr: String::new(),
        };
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{name}: no address on stdout after 60 s"));
        app.addr = line
            .trim_end()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| {
                panic!(
                    "{name}: first line should be `listening on http://ADDR`, was {line:?} \
                     (exit status: {:?})",
                    app.child.try_wait()
                )
            })
            .to_owned();
        app
    }

    /// POSTs `body` and returns the status and the JSON answer.
    fn post(&self, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        let (status, body) = http_post(&self.addr, path, content_type, body);
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{} {path}: {status} {body:?}: {e}", self.name));
        (status, json)
    }

    fn signup(&self, email: &str) -> (u16, Value) {
        self.post(
            "/signup",
            "application/x-www-form-urlencoded",
            &format!("email={}", form_encode(email)),
        )
    }

    fn reply(&self, request: &Value) -> (u16, Value) {
        self.post("/reply", "application/json", &request.to_string())
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A minimal HTTP/1.1 POST over a TcpStream: status and body (chunked bodies decoded).
fn http_post(addr: &str, path: &str, content_type: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("POST {path}: no header end in {response:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("POST {path}: bad status line in {head:?}"));
    let chunked = head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if chunked {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
        out
    } else {
        body.to_owned()
    };
    (status, body)
}

fn json_str<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key:?} in {v}"))
}

/// The one delivered copy of `id`.
fn delivered(fixture: &Fixture, id: &str) -> Delivered {
    let found = fixture.find_message_id(id, Duration::from_secs(30));
    assert_eq!(
        found.len(),
        1,
        "{id}: expected exactly one copy in {}",
        fixture.maildir.display()
    );
    found.into_iter().next().unwrap()
}

/// For each answer of the app: the delivered identifier headers are the ones it reported,
/// written plain, and Python's `email` reads the same (one Python run for all).
fn assert_ids_as_reported(fixture: &Fixture, sent: &[&Value]) -> Vec<Delivered> {
    let delivered: Vec<Delivered> = sent
        .iter()
        .map(|s| delivered(fixture, json_str(s, "message_id")))
        .collect();
    let paths: Vec<&Path> = delivered.iter().map(|d| d.path.as_path()).collect();
    let py = python_read_ids(&paths);
    for (index, (sent, d)) in sent.iter().zip(&delivered).enumerate() {
        for (key, name) in [
            ("message_id", "Message-ID"),
            ("in_reply_to", "In-Reply-To"),
            ("references", "References"),
        ] {
            let Some(want) = sent[key].as_str() else {
                assert!(unfolded(&d.bytes, name).is_none(), "{name} in {sent}");
                continue;
            };
            let got = unfolded(&d.bytes, name).unwrap_or_else(|| panic!("no {name}: {sent}"));
            assert_eq!(got, want, "{name} as delivered");
            assert!(!got.contains("=?"), "{name}: {got}");
            let py = py
                .iter()
                .find(|r| r.index == index && r.name == name)
                .unwrap_or_else(|| panic!("Python did not read {name} of {sent}"));
            assert_eq!(py.value, want, "{name} as Python reads it");
            assert!(py.defects.is_empty(), "{name}: {}", py.defects);
        }
    }
    delivered
}

/// Byte offset of the end of the fixture's log.
fn log_len(fixture: &Fixture) -> u64 {
    std::fs::metadata(fixture.dir.join("maillog"))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// The SMTP sessions on the plain port that ended after `offset` in the fixture's log and
/// carried mail, each as its number of DATA commands. (Sessions without DATA are the tests'
/// own checks that the port answers.)
fn smtp_sessions_since(fixture: &Fixture, offset: u64) -> Vec<usize> {
    let log = std::fs::read(fixture.dir.join("maillog")).unwrap();
    let log = String::from_utf8_lossy(&log[offset as usize..]);
    log.lines()
        .filter(|l| l.contains("postfix/fixture-smtp/smtpd[") && l.contains(": disconnect from "))
        .map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("data="))
                .map(|n| n.split('/').next().unwrap().parse::<usize>().unwrap())
                .unwrap_or(0)
        })
        .filter(|&data| data > 0)
        .collect()
}

/// Signup, a threaded reply to a parent whose id was RFC 2047-encoded by lettre, a refused
/// reply, then 12 replies (8 at once, 4 one after another) through the app's one pooled
/// transport; every mail found in the Maildir once, and fewer SMTP sessions than mails.
fn exercise(name: &'static str) {
    let Some(fixture) = Fixture::from_env(&format!("e2e_apps::{name}")) else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let tag = run_tag(&format!("e2e-apps-{name}"));
    let log_start = log_len(&fixture);
    let app = App::start(name, &fixture);

    // Sign-up: a welcome mail, with a Message-ID on MESSAGE_ID_DOMAIN.
    let user = format!("{tag}@fixture.test");
    let (status, sent) = app.signup(&user);
    assert_eq!(status, 200, "{sent}");
    let id = json_str(&sent, "message_id");
    assert!(id.ends_with("@app.fixture.test>"), "{id}");
    let d = &assert_ids_as_reported(&fixture, &[&sent])[0];
    assert_eq!(unfolded(&d.bytes, "To").unwrap(), user);
    assert_eq!(unfolded(&d.bytes, "Subject").unwrap(), "Welcome!");

    // A reply to a message whose ids arrive as lettre wrote them.
    let request = |n: usize| {
        serde_json::json!({
            "to": user,
            "message_id": ENCODED_PARENT,
            "references": format!("<root.{tag}@example.org>,\r\n <mid@mx.büro.example>"),
            "subject": format!("Re: {tag} #{n}"),
            "body": "Thanks, we are on it.",
        })
    };
    let (status, sent) = app.reply(&request(0));
    assert_eq!(status, 200, "{sent}");
    assert_eq!(json_str(&sent, "in_reply_to"), PARENT_A_LABEL);
    assert_eq!(
        json_str(&sent, "references"),
        format!("<root.{tag}@example.org> <mid@mx.xn--bro-hoa.example> {PARENT_A_LABEL}")
    );
    let d = &assert_ids_as_reported(&fixture, &[&sent])[0];
    assert_eq!(
        unfolded(&d.bytes, "Subject").unwrap(),
        format!("Re: {tag} #0")
    );

    // An id that would add a header: refused, naming the header.
    let mut bad = request(0);
    bad["message_id"] = "<a@b>\r\nBcc: victim@example.net".into();
    let (status, answer) = app.reply(&bad);
    assert_eq!(status, 400, "{answer}");
    assert!(
        json_str(&answer, "error").starts_with("parent Message-ID: "),
        "{answer}"
    );

    // The pool: 8 requests at once (spread over the app's workers), then 4 in turn.
    let concurrent: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=8)
            .map(|n| {
                let (app, request) = (&app, &request);
                s.spawn(move || app.reply(&request(n)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap().1).collect()
    });
    let sequential: Vec<Value> = (9..=12).map(|n| app.reply(&request(n)).1).collect();
    let pooled: Vec<&Value> = concurrent.iter().chain(&sequential).collect();
    for sent in &pooled {
        assert!(sent["message_id"].is_string(), "{sent}");
    }
    assert_ids_as_reported(&fixture, &pooled);
    drop(app);

    // 14 mails; Postfix logs each session's DATA count when the killed app's connections go.
    let mails = 14;
    let deadline = Instant::now() + Duration::from_secs(30);
    let sessions = loop {
        let sessions = smtp_sessions_since(&fixture, log_start);
        if sessions.iter().sum::<usize>() >= mails || Instant::now() > deadline {
            break sessions;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        sessions.iter().sum::<usize>(),
        mails,
        "DATA commands in the fixture's log: {sessions:?}"
    );
    assert!(
        sessions.len() < mails,
        "{name}: {mails} mails over {} SMTP sessions: the pool reused no connection",
        sessions.len()
    );
    let _ = writeln!(
        std::io::stderr(),
        "e2e_apps: {name}: {mails} mails over {} pooled SMTP sessions (DATA per session: {sessions:?})",
        sessions.len()
    );
}

/// An SMTP server that accepts and never greets: the app answers 504 within the timeout
/// (`SMTP_TIMEOUT_SECS=1`) plus a margin, and stays up. Needs no Postfix.
fn answers_504_when_the_server_is_silent(name: &'static str) {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", silent.local_addr().unwrap());
    let app = App::start_with(name, &url, &[("SMTP_TIMEOUT_SECS", "1")]);
    for _ in 0..2 {
        let start = Instant::now();
        let (status, answer) = app.signup("ada@example.org");
        let took = start.elapsed();
        assert_eq!(status, 504, "{name}: {answer}");
        assert!(
            json_str(&answer, "error").contains("greeting"),
            "{name}: {answer}"
        );
        assert!(took < Duration::from_secs(3), "{name}: 504 after {took:?}");
    }
    drop(silent);
}

#[test]
fn axum_example_answers_504_when_the_smtp_server_is_silent() {
    answers_504_when_the_server_is_silent("axum");
}

#[test]
fn actix_example_answers_504_when_the_smtp_server_is_silent() {
    answers_504_when_the_server_is_silent("actix");
}

#[test]
fn axum_example_sends_welcome_and_threaded_replies() {
    exercise("axum");
}

#[test]
fn actix_example_sends_welcome_and_threaded_replies_pool_shared_by_workers() {
    exercise("actix");
}

/// The Message-ID the office365 example printed (`sent <ID>: <reply>`); it must have succeeded.
fn office365_sent(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "office365 failed: {out:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .strip_prefix("sent ")
        .and_then(|s| s.split(':').next())
        .unwrap_or_else(|| panic!("office365 printed {stdout:?}"))
        .to_owned()
}

#[test]
fn office365_example_sends_through_starttls_and_auth() {
    let Some(fixture) = Fixture::from_env("e2e_apps::office365") else {
        return;
    };
    let out = Command::new(example("office365"))
        .env("SMTP_HOST", "localhost")
        .env("SMTP_PORT", fixture.submission_port.to_string())
        .env("SMTP_USER", &fixture.user)
        .env("SMTP_PASSWORD", &fixture.password)
        .env("SMTP_CA_CERT", &fixture.ca_cert)
        .env("MAIL_TO", "colleague@fixture.test")
        .env("PARENT_MESSAGE_ID", "<CAF9a7kq3@mx.büro.example>")
        .env_remove("MESSAGE_ID_DOMAIN")
        .env_remove("O365_CLIENT_ID")
        .output()
        .unwrap();
    let d = delivered(&fixture, &office365_sent(&out));
    assert_eq!(unfolded(&d.bytes, "In-Reply-To").unwrap(), PARENT_A_LABEL);
    assert_eq!(unfolded(&d.bytes, "From").unwrap(), fixture.user);
    let received = unfolded(&d.bytes, "Received").unwrap();
    assert!(
        received.contains(" with ESMTPSA "),
        "not over TLS with AUTH: {received}"
    );
    // Without credentials it says what is missing.
    let out = Command::new(example("office365"))
        .env_remove("SMTP_USER")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("SMTP_USER is not set"),
        "{out:?}"
    );
    let out = Command::new(example("office365"))
        .env("SMTP_USER", &fixture.user)
        .env_remove("SMTP_PASSWORD")
        .env_remove("O365_CLIENT_ID")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("O365_CLIENT_ID is not set"),
        "{out:?}"
    );
}

/// The example's default: OAuth2, a token of the client-credentials grant (from a token
/// endpoint on loopback instead of the tenant's), on the fixture's OAuth 2.0 port, where
/// Dovecot checks the token (it offers OAUTHBEARER and XOAUTH2; the transport takes the former).
#[test]
fn office365_example_sends_with_an_oauth2_token() {
    let test = "e2e_apps::office365_oauth2";
    let Some(fixture) = Fixture::from_env(test) else {
        return;
    };
    let Some(port) = fixture.oauth_port(test) else {
        return;
    };
    let endpoint = TokenEndpoint::start(
        TokenEndpoint::fixture_key(&port.key),
        &port.issuer,
        &port.user,
    );
    endpoint.add_client("office365-example", "example-secret");
    let run = |secret: &str| {
        Command::new(example("office365"))
            .env("SMTP_HOST", "localhost")
            .env("SMTP_PORT", port.port.to_string())
            .env("SMTP_USER", &port.user)
            .env("SMTP_CA_CERT", &fixture.ca_cert)
            .env("MAIL_TO", "colleague@fixture.test")
            .env("O365_TOKEN_URL", endpoint.url())
            .env("O365_CLIENT_ID", "office365-example")
            .env("O365_CLIENT_SECRET", secret)
            // OAuth2 wins over a password left in the environment.
            .env("SMTP_PASSWORD", "not-this")
            .env_remove("O365_TENANT")
            .env_remove("PARENT_MESSAGE_ID")
            .env_remove("MESSAGE_ID_DOMAIN")
            .output()
            .unwrap()
    };
    let out = run("example-secret");
    let d = delivered(&fixture, &office365_sent(&out));
    assert_eq!(unfolded(&d.bytes, "From").unwrap(), port.user);
    let issued = endpoint.issued();
    assert_eq!(issued.len(), 1, "{issued:?}");
    assert_eq!(issued[0].grant_type, "client_credentials");
    assert_eq!(
        issued[0].scope.as_deref(),
        Some("https://outlook.office365.com/.default")
    );
    // A wrong secret: the token endpoint's refusal, with Microsoft's code, and no mail.
    let out = run("wrong-secret");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid_client") && stderr.contains("AADSTS7000215"),
        "{stderr}"
    );
    assert_eq!(endpoint.issued().len(), 1);
}
