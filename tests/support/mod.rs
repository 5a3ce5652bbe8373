//! Shared by the end-to-end tests (`tests/e2e_*.rs`): the Postfix fixture's settings
//! (`scripts/postfix-fixture`), its Maildir, its start/stop/wait commands, the header lines of
//! a message as bytes, and Python's `email` package reading ids back (`read_ids.py`).
//!
//! Each test crate uses part of this module.
#![allow(dead_code)]

use std::{
    collections::HashMap,
    io::Write,
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::Mutex,
    time::{Duration, Instant},
};

use letterhead::transport::smtp::client::{Certificate, TlsParameters};

/// How to get the fixture, said by every skip notice and failure.
pub const HOW_TO_START: &str =
    "start it with `eval \"$(scripts/postfix-fixture start)\"` (root, repository root) \
     and test from that shell, or run `scripts/test`";

/// The running Postfix fixture, as `scripts/postfix-fixture start` exported it.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub dir: PathBuf,
    pub smtp_port: u16,
    pub submission_port: u16,
    /// Plain SMTP without SMTPUTF8: a server that takes ASCII mail only.
    pub ascii_port: u16,
    pub maildir: PathBuf,
    pub ca_cert: PathBuf,
    pub user: String,
    pub password: String,
    /// OpenDKIM verifies on the plain port (`FIXTURE_OPENDKIM=1`, the default).
    pub opendkim: bool,
    /// The OAuth 2.0 submission port (`FIXTURE_DOVECOT=1`, the default).
    pub oauth: Option<OAuthPort>,
}

/// The fixture's OAuth 2.0 submission port: STARTTLS, then AUTH XOAUTH2 or OAUTHBEARER with
/// an HS256 JWT (scripts/postfix/README.md, "The token").
#[derive(Debug, Clone)]
pub struct OAuthPort {
    pub port: u16,
    /// The file with the signing key, one line of base64.
    pub key: PathBuf,
    /// The user name for AUTH, and the token's `sub`.
    pub user: String,
    /// The token's `iss`.
    pub issuer: String,
}

const VARS: [&str; 8] = [
    "FIXTURE_DIR",
    "FIXTURE_SMTP_PORT",
    "FIXTURE_SUBMISSION_PORT",
    "FIXTURE_ASCII_PORT",
    "FIXTURE_MAILDIR",
    "FIXTURE_CA_CERT",
    "FIXTURE_USER",
    "FIXTURE_PASSWORD",
];

impl Fixture {
    /// The fixture, or `None` (after a printed notice) when its environment is missing and
    /// `LETTERHEAD_REQUIRE_FIXTURE` is not `1`. With `LETTERHEAD_REQUIRE_FIXTURE=1` a missing
    /// environment fails the test. A fixture whose environment is set but which does not
    /// answer always fails the test.
    pub fn from_env(test: &str) -> Option<Fixture> {
        let required = std::env::var("LETTERHEAD_REQUIRE_FIXTURE").as_deref() == Ok("1");
        let missing: Vec<&str> = VARS
            .iter()
            .copied()
            .filter(|v| std::env::var_os(v).is_none_or(|s| s.is_empty()))
            .collect();
        if !missing.is_empty() {
            let missing = if missing.len() == VARS.len() {
                "FIXTURE_* not set".to_owned()
            } else {
                format!("{} not set", missing.join(", "))
            };
            assert!(
                !required,
                "{test}: LETTERHEAD_REQUIRE_FIXTURE=1 but {missing}: {HOW_TO_START}"
            );
            // Straight to stderr, past the test harness's capture, so that the skip shows.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: needs the Postfix fixture ({missing}); {HOW_TO_START}"
            );
            return None;
        }
        let var = |name: &str| std::env::var(name).unwrap();
        let port = |name: &str| -> u16 {
            var(name)
                .parse()
                .unwrap_or_else(|e| panic!("{name}={:?}: {e}", var(name)))
        };
        let fixture = Fixture {
            dir: var("FIXTURE_DIR").into(),
            smtp_port: port("FIXTURE_SMTP_PORT"),
            submission_port: port("FIXTURE_SUBMISSION_PORT"),
            ascii_port: port("FIXTURE_ASCII_PORT"),
            maildir: var("FIXTURE_MAILDIR").into(),
            ca_cert: var("FIXTURE_CA_CERT").into(),
            user: var("FIXTURE_USER"),
            password: var("FIXTURE_PASSWORD"),
            opendkim: std::env::var("FIXTURE_OPENDKIM").as_deref() == Ok("1"),
            oauth: (std::env::var("FIXTURE_DOVECOT").as_deref() == Ok("1")).then(|| OAuthPort {
                port: port("FIXTURE_OAUTH_PORT"),
                key: var("FIXTURE_OAUTH_KEY").into(),
                user: var("FIXTURE_OAUTH_USER"),
                issuer: var("FIXTURE_OAUTH_ISSUER"),
            }),
        };
        let oauth_port = fixture.oauth.as_ref().map(|o| o.port);
        for p in [
            fixture.smtp_port,
            fixture.submission_port,
            fixture.ascii_port,
        ]
        .into_iter()
        .chain(oauth_port)
        {
            assert!(
                TcpStream::connect(("127.0.0.1", p)).is_ok(),
                "{test}: the fixture's environment is set but 127.0.0.1:{p} refuses \
                 connections: {HOW_TO_START}"
            );
        }
        Some(fixture)
    }

    /// The OAuth 2.0 port, or `None` (after a printed notice) when the fixture runs without
    /// Dovecot (`FIXTURE_DOVECOT=0`) and `LETTERHEAD_REQUIRE_FIXTURE` is not `1`.
    pub fn oauth_port(&self, test: &str) -> Option<&OAuthPort> {
        if self.oauth.is_none() {
            let required = std::env::var("LETTERHEAD_REQUIRE_FIXTURE").as_deref() == Ok("1");
            assert!(
                !required,
                "{test}: LETTERHEAD_REQUIRE_FIXTURE=1 but the fixture runs without its OAuth \
                 2.0 port (FIXTURE_DOVECOT is not 1): {HOW_TO_START}"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: needs the fixture's OAuth 2.0 port (FIXTURE_DOVECOT=1)"
            );
        }
        self.oauth.as_ref()
    }

    /// `plain` for the plain SMTP port, `smtp://127.0.0.1:PORT`, as `SMTP_URL`.
    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.smtp_port)
    }

    /// TLS parameters for `server_name` that trust the fixture's CA (the server certificate is
    /// for `localhost` and `127.0.0.1`).
    pub fn tls_parameters(&self, server_name: &str) -> TlsParameters {
        let pem = std::fs::read(&self.ca_cert)
            .unwrap_or_else(|e| panic!("{}: {e}", self.ca_cert.display()));
        let ca = Certificate::from_pem(&pem).expect("FIXTURE_CA_CERT is a PEM certificate");
        TlsParameters::builder(server_name.to_owned())
            .add_root_certificate(ca)
            .build()
            .expect("TLS parameters")
    }

    /// Runs `scripts/postfix-fixture CMD` on this instance and fails the test if it fails.
    pub fn command(&self, cmd: &str) -> Output {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/postfix-fixture");
        let out = Command::new(script)
            .arg(cmd)
            .env("LETTERHEAD_FIXTURE_DIR", &self.dir)
            .env("FIXTURE_SMTP_PORT", self.smtp_port.to_string())
            .env("FIXTURE_SUBMISSION_PORT", self.submission_port.to_string())
            .env("FIXTURE_ASCII_PORT", self.ascii_port.to_string())
            .env(
                "FIXTURE_DOVECOT",
                if self.oauth.is_some() { "1" } else { "0" },
            )
            .env(
                "FIXTURE_OAUTH_PORT",
                self.oauth.as_ref().map_or(2588, |o| o.port).to_string(),
            )
            // `wait` after a few thousand messages: more than the default 60 s if need be.
            .env("FIXTURE_WAIT_TIMEOUT", "600")
            .output()
            .unwrap_or_else(|e| panic!("{script} {cmd}: {e}"));
        assert!(
            out.status.success(),
            "scripts/postfix-fixture {cmd} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `scripts/postfix-fixture status`: true if running.
    pub fn is_running(&self) -> bool {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/postfix-fixture");
        Command::new(script)
            .arg("status")
            .env("LETTERHEAD_FIXTURE_DIR", &self.dir)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// Waits until every message accepted so far is in the Maildir.
    pub fn wait_for_queue(&self) {
        self.command("wait");
    }

    /// Every file in the Maildir (`new/` and `cur/`).
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            let dir = self.maildir.join(sub);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries {
                let e = e.unwrap();
                if e.file_type().map(|t| t.is_file()).unwrap_or(false) {
                    files.push(e.path());
                }
            }
        }
        files
    }

    /// The delivered messages whose Subject contains `tag`.
    pub fn scan(&self, tag: &str) -> Vec<Delivered> {
        self.select(|_, subject| subject.is_some_and(|s| s.contains(tag)))
    }

    /// The delivered files whose Message-ID is `id`, waiting up to `timeout` for at least one
    /// (delivery into the Maildir follows the SMTP 250 reply by a few milliseconds).
    pub fn find_message_id(&self, id: &str, timeout: Duration) -> Vec<Delivered> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.select(|mid, _| mid.is_some_and(|m| m.trim() == id));
            if !found.is_empty() || Instant::now() >= deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The delivered messages whose (Message-ID, Subject) pass `keep`. Maildir files never
    /// change once in `new/`, so each is read once per test process (the Maildir keeps every
    /// earlier run's mail).
    fn select(&self, keep: impl Fn(Option<&str>, Option<&str>) -> bool) -> Vec<Delivered> {
        type Index = HashMap<PathBuf, (Option<String>, Option<String>)>;
        static INDEX: Mutex<Option<Index>> = Mutex::new(None);
        let mut index = INDEX.lock().unwrap_or_else(|e| e.into_inner());
        let index = index.get_or_insert_with(HashMap::new);
        let mut chosen = Vec::new();
        for path in self.files() {
            if !index.contains_key(&path) {
                let Ok(bytes) = std::fs::read(&path) else {
                    continue;
                };
                let entry = (unfolded(&bytes, "Message-ID"), unfolded(&bytes, "Subject"));
                index.insert(path.clone(), entry);
            }
            let (mid, subject) = &index[&path];
            if keep(mid.as_deref(), subject.as_deref()) {
                chosen.push(Delivered {
                    bytes: std::fs::read(&path).unwrap(),
                    message_id: mid.clone(),
                    subject: subject.clone().unwrap_or_default(),
                    path,
                });
            }
        }
        chosen
    }
}

/// One message in the Maildir.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub path: PathBuf,
    pub message_id: Option<String>,
    pub subject: String,
    pub bytes: Vec<u8>,
}

/// Counts Message-IDs: id -> number of files holding it.
pub fn count_ids<'a>(delivered: impl IntoIterator<Item = &'a Delivered>) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for d in delivered {
        let id = d
            .message_id
            .clone()
            .unwrap_or_else(|| panic!("{} has no Message-ID", d.path.display()));
        *counts.entry(id.trim().to_owned()).or_insert(0) += 1;
    }
    counts
}

/// The header section of a message: everything before the first empty line.
fn header_section(message: &[u8]) -> &[u8] {
    for (i, w) in message.windows(2).enumerate() {
        if w == b"\n\n" {
            return &message[..i + 1];
        }
        if i + 4 <= message.len() && &message[i..i + 4] == b"\r\n\r\n" {
            return &message[..i + 2];
        }
    }
    message
}

/// The physical lines of the first `name` header field (its first line and its continuation
/// lines), each with its line terminator (`\r\n` or `\n`) as in `message`.
pub fn header_lines(message: &[u8], name: &str) -> Option<Vec<Vec<u8>>> {
    let section = header_section(message);
    let mut lines = section.split_inclusive(|&b| b == b'\n');
    let prefix = format!("{}:", name.to_ascii_lowercase());
    while let Some(line) = lines.next() {
        if line.len() >= prefix.len()
            && line[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        {
            let mut field = vec![line.to_vec()];
            for cont in lines.by_ref() {
                if cont.first().is_some_and(|&b| b == b' ' || b == b'\t') {
                    field.push(cont.to_vec());
                } else {
                    break;
                }
            }
            return Some(field);
        }
    }
    None
}

/// A line without its terminator, and the terminator.
pub fn split_terminator(line: &[u8]) -> (&[u8], &[u8]) {
    if let Some(body) = line.strip_suffix(b"\r\n") {
        (body, b"\r\n")
    } else if let Some(body) = line.strip_suffix(b"\n") {
        (body, b"\n")
    } else {
        (line, b"")
    }
}

/// The value of the first `name` header field, unfolded as RFC 5322 section 2.2.3 says (line
/// breaks removed, the folding white space kept), without the space after the colon.
pub fn unfolded(message: &[u8], name: &str) -> Option<String> {
    let lines = header_lines(message, name)?;
    let mut value = Vec::new();
    for line in &lines {
        value.extend_from_slice(split_terminator(line).0);
    }
    let value = String::from_utf8_lossy(&value[name.len() + 1..]).into_owned();
    Some(value.trim_start_matches([' ', '\t']).to_owned())
}

/// One identifier header as Python's `email` package (policy.default) read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyId {
    pub index: usize,
    pub name: String,
    pub value: String,
    pub defects: String,
}

/// Reads the identifier headers of the files with `tests/support/read_ids.py`.
pub fn python_read_ids(paths: &[&Path]) -> Vec<PyId> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/read_ids.py");
    let out = Command::new("python3")
        .arg(script)
        .args(paths)
        .output()
        .expect("python3 is needed for this test; scripts/test installs it");
    assert!(
        out.status.success(),
        "read_ids.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "read_ids.py printed {l:?}");
            PyId {
                index: f[0].parse().unwrap(),
                name: f[1].into(),
                value: f[2].into(),
                defects: f[3].into(),
            }
        })
        .collect()
}

/// Checks the delivered copy of each of `built` (letterhead messages) against what was built:
///
/// - the file is found in the Maildir by its Message-ID, exactly once;
/// - each identifier header (Message-ID, In-Reply-To, References, Resent-Message-ID,
///   Original-Message-ID) that was built is delivered as the same physical lines, byte for
///   byte, folds included. Postfix stores mail with LF line ends (the local mailbox
///   convention) where the wire had CRLF, so the terminators are compared as CRLF -> LF and
///   everything before them byte for byte;
/// - Python's `email` (policy.default) reads from the delivered file the same ids as the
///   built message holds (unfolded), with no defect, and no other identifier header.
///
/// Returns the delivered copies, in the order of `built`.
pub fn assert_delivered_as_built(
    fixture: &Fixture,
    built: &[&letterhead::Message],
) -> Vec<Delivered> {
    const NAMES: [&str; 5] = [
        "Message-ID",
        "In-Reply-To",
        "References",
        "Resent-Message-ID",
        "Original-Message-ID",
    ];
    let mut all_delivered = Vec::new();
    let mut all_expected = Vec::new();
    for message in built {
        let formatted = message.formatted();
        let id = unfolded(&formatted, "Message-ID").expect("letterhead always writes a Message-ID");
        let found = fixture.find_message_id(&id, Duration::from_secs(30));
        assert_eq!(
            found.len(),
            1,
            "{id}: expected exactly one delivered file in {}, found {:?}",
            fixture.maildir.display(),
            found.iter().map(|d| &d.path).collect::<Vec<_>>()
        );
        let delivered = found.into_iter().next().unwrap();
        let mut expected_ids = Vec::new();
        for name in NAMES {
            let Some(built_lines) = header_lines(&formatted, name) else {
                assert!(
                    header_lines(&delivered.bytes, name).is_none(),
                    "{id}: {name} appeared on the way"
                );
                continue;
            };
            let got_lines = header_lines(&delivered.bytes, name).unwrap_or_else(|| {
                panic!("{id}: {name} missing from {}", delivered.path.display())
            });
            assert_eq!(
                got_lines.len(),
                built_lines.len(),
                "{id}: {name} has {} physical lines as delivered, {} as built:\n{}\nvs\n{}",
                got_lines.len(),
                built_lines.len(),
                String::from_utf8_lossy(&got_lines.concat()),
                String::from_utf8_lossy(&built_lines.concat())
            );
            for (got, want) in got_lines.iter().zip(&built_lines) {
                let (got_body, got_end) = split_terminator(got);
                let (want_body, want_end) = split_terminator(want);
                assert_eq!(
                    want_end, b"\r\n",
                    "{id}: {name}: letterhead ends every line with CRLF"
                );
                assert_eq!(
                    got_end, b"\n",
                    "{id}: {name}: Postfix stores LF line ends in the Maildir"
                );
                assert_eq!(
                    String::from_utf8_lossy(got_body),
                    String::from_utf8_lossy(want_body),
                    "{id}: {name}: a delivered line differs from the built one"
                );
                assert_eq!(got_body, want_body, "{id}: {name}: bytes differ");
            }
            expected_ids.push((name, unfolded(&formatted, name).unwrap()));
        }
        all_delivered.push(delivered);
        all_expected.push((id, expected_ids));
    }

    // One Python run for all files.
    let paths: Vec<&Path> = all_delivered.iter().map(|d| d.path.as_path()).collect();
    let read = python_read_ids(&paths);
    for (index, (id, expected_ids)) in all_expected.iter().enumerate() {
        let read: Vec<&PyId> = read.iter().filter(|r| r.index == index).collect();
        for (name, value) in expected_ids {
            let py = read
                .iter()
                .find(|r| r.name == *name)
                .unwrap_or_else(|| panic!("{id}: Python did not read {name}: {read:?}"));
            assert_eq!(&py.value, value, "{id}: Python reads {name} differently");
            assert!(
                py.defects.is_empty(),
                "{id}: Python found defects in {name}: {}",
                py.defects
            );
        }
        assert_eq!(
            read.len(),
            expected_ids.len(),
            "{id}: Python read other identifier headers: {read:?}"
        );
    }
    all_delivered
}

/// A tag unique to this run, for Subjects: lets a test count only its own messages in a
/// Maildir that keeps every earlier run's mail.
pub fn run_tag(test: &str) -> String {
    format!("{test}-{}", uuid::Uuid::new_v4().simple())
}
