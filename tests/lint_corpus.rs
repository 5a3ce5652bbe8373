//! The lint on real-shaped messages: what lettre 0.11 writes, what Outlook sends, what
//! letterhead writes, and the usual ways mail goes wrong.

use std::path::Path;

use letterhead::{
    lint::{lint, Code, Severity},
    reply::Parent,
    Message,
};

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus")
            .join(name),
    )
    .unwrap()
}

fn parts(raw: &[u8]) -> Vec<(&'static str, usize, Option<String>)> {
    lint(raw)
        .findings()
        .iter()
        .map(|f| (f.code.as_str(), f.line, f.part.clone()))
        .collect()
}

fn codes(raw: &[u8]) -> Vec<(&'static str, usize)> {
    lint(raw)
        .findings()
        .iter()
        .map(|f| (f.code.as_str(), f.line))
        .collect()
}

#[test]
fn lettre_idn_in_reply_to_is_the_554_cause_and_is_repaired() {
    let raw = corpus("lettre-idn-in-reply-to.eml");
    let report = lint(&raw);
    assert!(report.has_errors());
    assert_eq!(codes(&raw), [("LH004", 5), ("LH001", 6), ("LH001", 7)]);
    assert_eq!(
        report.repaired(),
        [
            "In-Reply-To: <CAF9a7kq3@mx.xn--bro-hoa.example>",
            "References: <CAF9a7kq3@mx.xn--bro-hoa.example>"
        ]
    );
}

#[test]
fn lettre_crlf_id_is_flagged_and_not_repaired() {
    let raw = corpus("lettre-crlf-message-id.eml");
    let report = lint(&raw);
    assert_eq!(codes(&raw), [("LH001", 5)]);
    assert!(report.repaired().is_empty(), "{:?}", report.repaired());
}

#[test]
fn outlook_continuation_line_is_fine() {
    let raw = corpus("outlook-reply.eml");
    let report = lint(&raw);
    assert!(!report.has_errors(), "{:?}", report.findings());
    // Its long Message-ID line passes 78 characters: a note, nothing more.
    assert!(report
        .findings()
        .iter()
        .all(|f| f.severity == Severity::Note && f.code == Code::LongLine));
}

#[test]
fn letterhead_reply_is_clean_and_threads_the_outlook_parent() {
    let raw = corpus("letterhead-reply.eml");
    assert!(!lint(&raw).has_errors());
    // The same reply built now from the Outlook parent lints clean too.
    let parent = corpus("outlook-reply.eml");
    let text = String::from_utf8(parent).unwrap();
    let header = |name: &str| -> String {
        let start = text.find(&format!("\r\n{name}:")).unwrap() + name.len() + 3;
        let end = start + text[start..].find("\r\n").unwrap();
        let mut v = text[start..end].to_owned();
        let mut rest = &text[end + 2..];
        while rest.starts_with(' ') {
            let e = rest.find("\r\n").unwrap();
            v.push_str("\r\n");
            v.push_str(&rest[..e]);
            rest = &rest[e + 2..];
        }
        v
    };
    let parent = Parent::from_headers(
        &header("Message-ID"),
        Some(&header("References")),
        Some(&header("In-Reply-To")),
    )
    .unwrap();
    let reply = Message::builder()
        .from("support@acme.example".parse().unwrap())
        .to("jane@contoso.example".parse().unwrap())
        .replying_to(&parent)
        .body(String::from("Glad to hear it."))
        .unwrap();
    let report = lint(&reply.formatted());
    assert!(!report.has_errors(), "{:?}", report.findings());
    assert!(
        report.findings().iter().all(|f| f.code == Code::LongLine),
        "{:?}",
        report.findings()
    );
}

#[test]
fn bare_host_ids_and_ids_without_brackets() {
    let raw = corpus("bare-host-id.eml");
    assert_eq!(codes(&raw), [("LH010", 5), ("LH012", 6)]);
    assert_eq!(
        lint(&raw).repaired(),
        ["In-Reply-To: <20261127030000.1111@vm>"]
    );
    assert!(!lint(&raw).has_errors());
}

#[test]
fn long_lines_duplicates_and_split_ids() {
    let raw = corpus("long-references.eml");
    assert_eq!(codes(&raw), [("LH003", 5), ("LH011", 6), ("LH002", 9)]);
}

#[test]
fn a_file_saved_with_lf_endings_is_read_as_crlf() {
    assert_eq!(codes(&corpus("unix-saved.eml")), [("LH014", 1)]);
}

#[test]
fn lettre_without_message_id_is_flagged() {
    assert_eq!(codes(&corpus("lettre-no-message-id.eml")), [("LH007", 0)]);
}

#[test]
fn what_lettre_writes_today_is_flagged_and_what_letterhead_writes_is_not() {
    // Generated now, so the corpus cannot drift from lettre's behaviour.
    let lettre = lettre::Message::builder()
        .from("app@acme.example".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .message_id(Some("<1@acme.example>".into()))
        .in_reply_to("<p@büro.example>".into())
        .body(String::new())
        .unwrap();
    let findings = codes(&lettre.formatted());
    assert!(findings.iter().any(|(c, _)| *c == "LH001"), "{findings:?}");

    let letterhead = Message::builder()
        .from("app@acme.example".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .in_reply_to("<p@büro.example>".into())
        .body(String::new())
        .unwrap();
    assert!(lint(&letterhead.formatted()).findings().is_empty());
}

#[test]
fn lettre_idn_content_id_in_a_part_is_found_in_its_part_and_repaired() {
    // lettre 0.11's multipart/mixed holding a multipart/related with an inline image on an
    // IDN Content-ID: part 1.2's Content-ID is an encoded-word.
    let raw = corpus("lettre-idn-content-id.eml");
    assert_eq!(parts(&raw), [("LH001", 20, Some("1.2".to_owned()))]);
    let report = lint(&raw);
    assert!(report.repaired().is_empty());
    assert_eq!(
        report.repaired_parts(),
        [(
            "1.2".to_owned(),
            "Content-ID: <logo@xn--bro-hoa.example>".to_owned()
        )]
    );
}

#[test]
fn parts_lettre_writes_today_are_flagged_and_what_letterhead_writes_is_not() {
    use letterhead::message::{header::ContentType, SinglePart};

    let png = || ContentType::parse("image/png").unwrap();
    let lettre = lettre::Message::builder()
        .from("app@acme.example".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .message_id(Some("<1@acme.example>".into()))
        .multipart(
            lettre::message::MultiPart::related()
                .singlepart(SinglePart::html(String::from("<img src=\"cid:a\">")))
                .singlepart(
                    lettre::message::Attachment::new_inline(String::from("a@b\u{fc}ro.example"))
                        .body(vec![1u8], png()),
                ),
        )
        .unwrap();
    assert_eq!(
        parts(&lettre.formatted())
            .into_iter()
            .map(|(code, _, part)| (code, part))
            .collect::<Vec<_>>(),
        [("LH001", Some("2".to_owned()))]
    );

    let letterhead = Message::builder()
        .from("app@acme.example".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .multipart(
            letterhead::message::MultiPart::related()
                .singlepart(SinglePart::html(String::from("<img src=\"cid:a\">")))
                .singlepart(
                    letterhead::message::Attachment::new_inline(String::from(
                        "a@b\u{fc}ro.example",
                    ))
                    .body(vec![1u8], png()),
                ),
        )
        .unwrap();
    let report = lint(&letterhead.formatted());
    assert!(report.findings().is_empty(), "{:?}", report.findings());
}

#[test]
fn the_doctor_example_reports_and_exits_nonzero_on_errors() {
    let exe = std::env::current_exe().unwrap();
    let doctor = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples")
        .join(format!("doctor{}", std::env::consts::EXE_SUFFIX));
    assert!(
        doctor.is_file(),
        "{} not built: run `cargo test` (which builds examples)",
        doctor.display()
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let out = std::process::Command::new(&doctor)
        .arg("--repair")
        .arg(dir.join("lettre-idn-in-reply-to.eml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("line 6: error LH001 [In-Reply-To]"),
        "{stdout}"
    );
    assert!(stdout.contains("554 5.6.0"), "{stdout}");
    assert!(
        stdout.contains("    In-Reply-To: <CAF9a7kq3@mx.xn--bro-hoa.example>"),
        "{stdout}"
    );

    let out = std::process::Command::new(&doctor)
        .arg(dir.join("outlook-reply.eml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));

    // A finding in a MIME part names the part, and so does its repair.
    let out = std::process::Command::new(&doctor)
        .arg("--repair")
        .arg(dir.join("lettre-idn-content-id.eml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("line 20, part 1.2: error LH001 [Content-ID]"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "repaired identifier headers of part 1.2:\n    Content-ID: <logo@xn--bro-hoa.example>"
        ),
        "{stdout}"
    );
}
