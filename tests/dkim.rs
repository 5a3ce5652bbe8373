//! DKIM signatures that independent verifiers accept.
//!
//! Five messages (transactional; a reply with 20 folded References and an IDN In-Reply-To;
//! multipart/related with an inline image; multipart/alternative plus an attachment; non-ASCII
//! Subject and display names) x four canonicalizations x RSA and Ed25519 x two header lists
//! (lettre's default list; one with the identifier headers and Content-Type): 80 signatures,
//! each checked by dkimpy and by OpenDKIM (`tests/support/dkim_verify.py`, key records from
//! `tests/keys/records.txt`, no DNS). Each message altered after signing must fail both.
//! lettre's own signer is measured on the same 80 and the counts printed.
//!
//! Needs python3 with dkimpy and pynacl, and opendkim (scripts/test installs them). Without
//! them the tests print a notice and pass, unless `LETTERHEAD_REQUIRE_VERIFIERS=1` or
//! `LETTERHEAD_REQUIRE_FIXTURE=1`.

use std::{
    collections::BTreeMap,
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, UNIX_EPOCH},
};

use letterhead::message::{
    dkim::{
        DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
        DkimSigningKey,
    },
    header::HeaderName,
};

const RSA_PEM: &str = include_str!("keys/rsa2048.pem");
const ED_SEED: &str = include_str!("keys/ed25519.seed");
const RECORDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/records.txt");
const DRIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/dkim_verify.py");
const DOMAIN: &str = "letterhead.test";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Transactional,
    Reply20Refs,
    RelatedInlineImage,
    AlternativeAttachment,
    NonAscii,
}

const KINDS: [Kind; 5] = [
    Kind::Transactional,
    Kind::Reply20Refs,
    Kind::RelatedInlineImage,
    Kind::AlternativeAttachment,
    Kind::NonAscii,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Transactional => "transactional",
            Kind::Reply20Refs => "reply20refs",
            Kind::RelatedInlineImage => "related-image",
            Kind::AlternativeAttachment => "alternative-attachment",
            Kind::NonAscii => "non-ascii",
        }
    }
}

/// `(header, body)` canonicalizations, in `c=` order.
const CANONS: [(DkimCanonicalizationType, DkimCanonicalizationType); 4] = {
    use DkimCanonicalizationType::{Relaxed, Simple};
    [
        (Simple, Simple),
        (Simple, Relaxed),
        (Relaxed, Simple),
        (Relaxed, Relaxed),
    ]
};

const ALGS: [DkimSigningAlgorithm; 2] = [DkimSigningAlgorithm::Rsa, DkimSigningAlgorithm::Ed25519];

/// lettre's default list.
const BASIC: &[&str] = &["From", "Subject", "To", "Date"];
/// The identifier headers and Content-Type (which lettre keeps in a multipart's body part).
const IDS: &[&str] = &[
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
];
const LISTS: [(&str, &[&str]); 2] = [("basic", BASIC), ("ids", IDS)];

fn selector(alg: DkimSigningAlgorithm) -> &'static str {
    match alg {
        DkimSigningAlgorithm::Rsa => "rsa",
        DkimSigningAlgorithm::Ed25519 => "ed",
    }
}

fn key_text(alg: DkimSigningAlgorithm) -> &'static str {
    match alg {
        DkimSigningAlgorithm::Rsa => RSA_PEM,
        DkimSigningAlgorithm::Ed25519 => ED_SEED.trim(),
    }
}

/// A deterministic "image" (a PNG signature and noise), for the inline part.
fn image() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..6000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push(x as u8);
    }
    bytes
}

const TEXT: &str = "Hello Ada,  \r\n\r\nyour order #1234 has shipped.\t \r\n  Tracking: 1Z999AA10123456784\r\n\r\n-- \r\nAcme Shop\r\n\r\n\r\n";
const HTML: &str = "<html><body><p>Hello Ada,</p>\r\n<p>your order  has shipped.</p>\r\n<img src=\"cid:logo.1@letterhead.test\"></body></html>\r\n";

fn references() -> String {
    (0..20)
        .map(|i| format!("<thread.{i:02}.a8f3c2d1e0b94f6a@mail.letterhead.test>"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The same message built with `$m`'s builder (`letterhead` or `lettre`).
macro_rules! build {
    ($m:ident, $kind:expr) => {{
        use $m::message::{header::ContentType, Attachment, MultiPart, SinglePart};
        let kind: Kind = $kind;
        let b = $m::Message::builder()
            .date(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
            .message_id(Some(format!("<{}.7f1c2b9e@letterhead.test>", kind.name())));
        match kind {
            Kind::Transactional => b
                .from("Acme Shop <orders@letterhead.test>".parse().unwrap())
                .reply_to("Acme Support <support@letterhead.test>".parse().unwrap())
                .to("Ada Lovelace <ada@example.org>".parse().unwrap())
                .subject("Your order #1234 has shipped")
                .header(ContentType::TEXT_PLAIN)
                .body(String::from(TEXT))
                .unwrap(),
            Kind::Reply20Refs => b
                .from("Acme Support <support@letterhead.test>".parse().unwrap())
                .to("Jürgen <juergen@example.org>".parse().unwrap())
                .in_reply_to("<CAF9a7kq3@mx.büro.example>".to_owned())
                .references(references())
                .subject("Re: Your ticket")
                .header(ContentType::TEXT_PLAIN)
                .body(String::from(TEXT))
                .unwrap(),
            Kind::RelatedInlineImage => b
                .from("Acme Shop <orders@letterhead.test>".parse().unwrap())
                .to("ada@example.org".parse().unwrap())
                .subject("Your receipt")
                .multipart(
                    MultiPart::related()
                        .singlepart(SinglePart::html(String::from(HTML)))
                        .singlepart(
                            Attachment::new_inline("logo.1@letterhead.test".to_owned())
                                .body(image(), ContentType::parse("image/png").unwrap()),
                        ),
                )
                .unwrap(),
            Kind::AlternativeAttachment => b
                .from("Acme Billing <billing@letterhead.test>".parse().unwrap())
                .to("ada@example.org".parse().unwrap())
                .cc("Accounts <accounts@example.org>".parse().unwrap())
                .subject("Invoice 2024-001")
                .multipart(
                    MultiPart::mixed()
                        .multipart(MultiPart::alternative_plain_html(
                            String::from(TEXT),
                            String::from(HTML),
                        ))
                        .singlepart(
                            Attachment::new("invoice.pdf".to_owned()).body(
                                b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
                                    .to_vec(),
                                ContentType::parse("application/pdf").unwrap(),
                            ),
                        ),
                )
                .unwrap(),
            Kind::NonAscii => b
                .from("Jürgen Müller <juergen@letterhead.test>".parse().unwrap())
                .to("Zoë Ångström <zoe@example.org>".parse().unwrap())
                .cc("山田 太郎 <yamada@example.jp>".parse().unwrap())
                .subject(
                    "Grüße aus Köln — Ihre Bestellung über 120 € ist unterwegs, \
                     Zustellung voraussichtlich morgen (日本語テキスト)",
                )
                .header(ContentType::TEXT_PLAIN)
                .body(String::from(
                    "Grüße,\r\n\r\nIhre Bestellung ist unterwegs.  \r\n\r\nJürgen\r\n",
                ))
                .unwrap(),
        }
    }};
}

fn letterhead_config(
    alg: DkimSigningAlgorithm,
    (header, body): (DkimCanonicalizationType, DkimCanonicalizationType),
    list: &[&'static str],
) -> DkimConfig {
    DkimConfig::new(
        selector(alg).to_owned(),
        DOMAIN.to_owned(),
        DkimSigningKey::new(key_text(alg), alg).unwrap(),
        list.iter()
            .map(|h| HeaderName::new_from_ascii_str(h))
            .collect(),
        DkimCanonicalization { header, body },
    )
}

fn lettre_config(
    alg: DkimSigningAlgorithm,
    (header, body): (DkimCanonicalizationType, DkimCanonicalizationType),
    list: &[&'static str],
) -> lettre::message::dkim::DkimConfig {
    use lettre::message::dkim as l;
    let canon = |c| match c {
        DkimCanonicalizationType::Simple => l::DkimCanonicalizationType::Simple,
        DkimCanonicalizationType::Relaxed => l::DkimCanonicalizationType::Relaxed,
    };
    let lalg = match alg {
        DkimSigningAlgorithm::Rsa => l::DkimSigningAlgorithm::Rsa,
        DkimSigningAlgorithm::Ed25519 => l::DkimSigningAlgorithm::Ed25519,
    };
    l::DkimConfig::new(
        selector(alg).to_owned(),
        DOMAIN.to_owned(),
        l::DkimSigningKey::new(key_text(alg), lalg).unwrap(),
        list.iter()
            .map(|h| HeaderName::new_from_ascii_str(h))
            .collect(),
        l::DkimCanonicalization {
            header: canon(header),
            body: canon(body),
        },
    )
}

/// One signed file and the combination it was signed with.
#[derive(Clone, Debug)]
struct Signed {
    path: PathBuf,
    combo: String,
}

fn combo_name(
    kind: Kind,
    (h, b): (DkimCanonicalizationType, DkimCanonicalizationType),
    alg: DkimSigningAlgorithm,
    list: &str,
) -> String {
    format!("{}-{h}-{b}-{alg}-{list}", kind.name())
}

/// The verdicts of both verifiers for one signature.
#[derive(Clone, Debug)]
struct Verdict {
    selector: Option<String>,
    dkimpy: String,
    opendkim: String,
}

impl Verdict {
    fn both_pass(&self) -> bool {
        self.dkimpy == "pass" && self.opendkim == "pass"
    }
}

/// A scratch directory under the target dir, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the two verifiers on `files`: per file, the verdict for each signature (top first).
/// `None` (after a notice) when a verifier is missing and neither
/// `LETTERHEAD_REQUIRE_VERIFIERS=1` nor `LETTERHEAD_REQUIRE_FIXTURE=1` is set.
fn verify(test: &str, files: &[&Path]) -> Option<BTreeMap<PathBuf, Vec<Verdict>>> {
    let required = ["LETTERHEAD_REQUIRE_VERIFIERS", "LETTERHEAD_REQUIRE_FIXTURE"]
        .iter()
        .any(|v| std::env::var(v).as_deref() == Ok("1"));
    let missing = |why: String| {
        assert!(
            !required,
            "{test}: the DKIM verifiers are required but {why}; scripts/test installs them"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: {why}; scripts/test installs dkimpy and opendkim"
        );
        None
    };
    let out = match Command::new("python3")
        .arg(DRIVER)
        .arg(RECORDS)
        .args(files)
        .output()
    {
        Ok(out) => out,
        Err(e) => return missing(format!("python3 cannot be run: {e}")),
    };
    if out.status.code() == Some(2) {
        return missing(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    assert!(
        out.status.success(),
        "{DRIVER} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut verdicts: BTreeMap<PathBuf, Vec<Verdict>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let verdict = Verdict {
            selector: v["selector"].as_str().map(str::to_owned),
            dkimpy: v["dkimpy"].as_str().unwrap().to_owned(),
            opendkim: v["opendkim"].as_str().unwrap().to_owned(),
        };
        verdicts
            .entry(PathBuf::from(v["file"].as_str().unwrap()))
            .or_default()
            .push(verdict);
    }
    for f in files {
        assert!(verdicts.contains_key(*f), "no verdict for {}", f.display());
    }
    Some(verdicts)
}

/// `wire` with one letter of its body flipped in case: a change both canonicalizations see.
fn altered(wire: &[u8]) -> Vec<u8> {
    let start = wire.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut out = wire.to_vec();
    let i = start
        + out[start..]
            .iter()
            .position(u8::is_ascii_alphabetic)
            .unwrap();
    out[i] ^= 0x20;
    out
}

/// Counts both-pass signatures of `signed`, by verifier.
fn tally(signed: &[Signed], verdicts: &BTreeMap<PathBuf, Vec<Verdict>>) -> (usize, usize, usize) {
    let (mut py, mut od, mut both) = (0, 0, 0);
    for s in signed {
        let v = &verdicts[&s.path][0];
        py += usize::from(v.dkimpy == "pass");
        od += usize::from(v.opendkim == "pass");
        both += usize::from(v.both_pass());
    }
    (py, od, both)
}

#[test]
fn eighty_signatures_verify_with_dkimpy_and_opendkim_and_fail_when_altered() {
    let dir = scratch("dkim-matrix");
    let mut ours = Vec::new();
    let mut tampered = Vec::new();
    let mut lettres = Vec::new();
    let mut lettre_on_ours = Vec::new();
    for kind in KINDS {
        for canon in CANONS {
            for alg in ALGS {
                for (list_name, list) in LISTS {
                    let combo = combo_name(kind, canon, alg, list_name);

                    let mut email = build!(letterhead, kind);
                    email
                        .try_sign(&letterhead_config(alg, canon, list))
                        .unwrap_or_else(|e| panic!("{combo}: {e}"));
                    let wire = email.formatted();
                    let path = dir.join(format!("letterhead-{combo}.eml"));
                    std::fs::write(&path, &wire).unwrap();
                    ours.push(Signed {
                        path,
                        combo: combo.clone(),
                    });
                    let path = dir.join(format!("altered-{combo}.eml"));
                    std::fs::write(&path, altered(&wire)).unwrap();
                    tampered.push(Signed {
                        path,
                        combo: combo.clone(),
                    });

                    // lettre's own signer, on lettre's message and on letterhead's.
                    let mut email = build!(lettre, kind);
                    email.sign(&lettre_config(alg, canon, list));
                    let path = dir.join(format!("lettre-{combo}.eml"));
                    std::fs::write(&path, email.formatted()).unwrap();
                    lettres.push(Signed {
                        path,
                        combo: combo.clone(),
                    });
                    let mut email = build!(letterhead, kind);
                    lettre::Message::sign(&mut email, &lettre_config(alg, canon, list));
                    let path = dir.join(format!("lettre-signer-letterhead-{combo}.eml"));
                    std::fs::write(&path, email.formatted()).unwrap();
                    lettre_on_ours.push(Signed { path, combo });
                }
            }
        }
    }
    assert_eq!(ours.len(), 80);

    let files: Vec<&Path> = ours
        .iter()
        .chain(&tampered)
        .chain(&lettres)
        .chain(&lettre_on_ours)
        .map(|s| s.path.as_path())
        .collect();
    let Some(verdicts) = verify("dkim::eighty_signatures", &files) else {
        return;
    };

    let mut failures = Vec::new();
    for s in &ours {
        let v = &verdicts[&s.path];
        if v.len() != 1 || !v[0].both_pass() {
            failures.push(format!("{}: {v:?}", s.combo));
        }
    }
    for s in &tampered {
        let v = &verdicts[&s.path];
        if v.len() != 1 || v[0].dkimpy == "pass" || v[0].opendkim == "pass" {
            failures.push(format!(
                "{} altered after signing still verifies: {v:?}",
                s.combo
            ));
        }
    }

    let (py, od, both) = tally(&lettres, &verdicts);
    let (lpy, lod, lboth) = tally(&lettre_on_ours, &verdicts);
    let mut report = format!(
        "DKIM, 80 combinations: letterhead {} verify with both (dkimpy and OpenDKIM)\n\
         lettre 0.11.23's signer on lettre's messages: dkimpy {py}/80, OpenDKIM {od}/80, both {both}/80\n\
         lettre 0.11.23's signer on letterhead's messages: dkimpy {lpy}/80, OpenDKIM {lod}/80, both {lboth}/80\n\
         lettre's signer by canonicalization and header list (both verifiers pass):\n",
        80 - failures.iter().filter(|f| !f.contains("altered")).count()
    );
    for canon in CANONS {
        for (list_name, _) in LISTS {
            let c = format!("-{}-{}-", canon.0, canon.1);
            let set: Vec<Signed> = lettres
                .iter()
                .filter(|s| s.combo.contains(&c) && s.combo.ends_with(&format!("-{list_name}")))
                .cloned()
                .collect();
            let (_, _, n) = tally(&set, &verdicts);
            report.push_str(&format!(
                "  {}/{} {list_name}: {n}/{}\n",
                canon.0,
                canon.1,
                set.len()
            ));
        }
    }
    let _ = writeln!(std::io::stderr(), "{report}");
    assert!(
        failures.is_empty(),
        "{} failures (files in {}):\n{}",
        failures.len(),
        dir.display(),
        failures.join("\n")
    );
}

#[test]
fn rsa_and_ed25519_signatures_on_one_message_both_verify_and_oversigning_too() {
    let dir = scratch("dkim-two");
    let mut files = Vec::new();
    for kind in KINDS {
        let mut email = build!(letterhead, kind);
        email
            .try_sign(&letterhead_config(
                DkimSigningAlgorithm::Rsa,
                CANONS[3],
                IDS,
            ))
            .unwrap();
        email
            .try_sign(
                &letterhead_config(DkimSigningAlgorithm::Ed25519, CANONS[0], IDS).oversign(true),
            )
            .unwrap();
        let path = dir.join(format!("two-{}.eml", kind.name()));
        std::fs::write(&path, email.formatted()).unwrap();
        files.push(path);
    }
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let Some(verdicts) = verify("dkim::two_signatures", &paths) else {
        return;
    };
    for path in &files {
        let v = &verdicts[path];
        let selectors: Vec<_> = v.iter().map(|v| v.selector.as_deref()).collect();
        // The second signature is on top.
        assert_eq!(selectors, [Some("ed"), Some("rsa")], "{}", path.display());
        for verdict in v {
            assert!(verdict.both_pass(), "{}: {verdict:?}", path.display());
        }
    }
}
