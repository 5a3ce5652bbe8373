//! `letterhead::lint::lint` on arbitrary bytes, and on a multipart message built around them.
//!
//! Every input is linted twice: as it is, and as the part header blocks of a multipart
//! message (`[depth, part 0xFF part ...]`): the parts, up to eight, are nested `depth % 36`
//! multiparts deep, and one known part follows them, whose Content-ID is an encoded-word.
//!
//! Both ways: never a panic; findings are sorted by line, each with its code's severity and a
//! line within the message (0 only for a missing header, which is always the message's own); a
//! finding's `Display` holds no control character; its header is at most `EXCERPT_CHARS`
//! characters (and `…`), its detail a bounded excerpt; its part path is `None` or numbers
//! `1.2.3` (none zero, at most `MAX_DEPTH`); at most `LISTED_PER_CODE` findings of a code,
//! then exactly one that says how many more. Every repaired header, the message's or a
//! part's, is one of the identifier headers, passes `policy::verify`, is what
//! `policy::write_text` writes from it through `IdentifierPolicy::new()` (compatible mode,
//! SMTPUTF8 for a non-ASCII value; a repair is a fixed point), re-parses in compatible mode,
//! and a message holding it lints clean: no error, nothing further to repair.
//!
//! The built message: unless the parts hold the word "boundary" (any case) or the boundaries
//! themselves (then they could nest a multipart or end one), the known part is found where it
//! is: an LH001 on its Content-ID line, in part `1.1...(parts + 1)`; below `MAX_DEPTH` an LH018
//! at the deepest multipart lint reads instead. See FUZZING.md.
#![no_main]

use letterhead::{
    lint::{lint, Code, Report, Severity, EXCERPT_CHARS, LISTED_PER_CODE, MAX_DEPTH},
    message::header::HeaderName,
    msgid::Mode,
    policy::{verify, write_text},
    ContentId, IdentifierPolicy, MsgIds,
};
use libfuzzer_sys::fuzz_target;

const ID_HEADERS: [&str; 6] = [
    "Message-ID",
    "In-Reply-To",
    "References",
    "Resent-Message-ID",
    "Original-Message-ID",
    "Content-ID",
];

/// What a detail may hold: an excerpt of `EXCERPT_CHARS` characters, escaped (at most ten
/// octets a character), and the text around it.
const DETAIL_MAX: usize = 10 * EXCERPT_CHARS + 200;

fuzz_target!(|data: &[u8]| {
    check(data, &lint(data));
    if let Some((eml, expect)) = multipart(data) {
        let report = lint(&eml);
        check(&eml, &report);
        if let Some(expect) = expect {
            expect.holds(&eml, &report);
        }
    }
});

/// The properties every report has.
fn check(data: &[u8], report: &Report) {
    let lines = data.split(|&b| b == b'\n').count();
    let findings = report.findings();
    for w in findings.windows(2) {
        assert!(
            (w[0].line, w[0].severity) <= (w[1].line, w[1].severity),
            "findings out of order: {:?}",
            findings
        );
    }
    let mut per_code = std::collections::HashMap::<Code, Vec<&letterhead::lint::Finding>>::new();
    for f in findings {
        assert_eq!(f.severity, f.code.severity(), "{f:?}");
        assert!(f.line <= lines, "{f:?}: line past the end ({lines} lines)");
        let missing = matches!(
            f.code,
            Code::MissingMessageId | Code::MissingDate | Code::MissingFrom
        );
        assert_eq!(
            f.line == 0,
            missing,
            "{f:?}: line 0 is for a missing header only"
        );
        if missing {
            assert_eq!(f.part, None, "{f:?}: only the message itself needs one");
        }
        assert!(f.code.as_str().starts_with("LH"), "{f:?}");
        // A finding is one line of a terminal report: no CR, LF, ESC or other control character
        // from the message gets into it unescaped.
        let shown = f.to_string();
        assert!(
            !shown.chars().any(char::is_control),
            "finding shown with a control character: {shown:?}"
        );
        if let Some(h) = &f.header {
            let n = h.chars().count();
            assert!(
                n <= EXCERPT_CHARS || (n == EXCERPT_CHARS + 1 && h.ends_with('…')),
                "{f:?}: a header name of {n} characters"
            );
        }
        assert!(
            f.detail.len() <= DETAIL_MAX,
            "{:?} at line {}: a detail of {} octets",
            f.code,
            f.line,
            f.detail.len()
        );
        if let Some(p) = &f.part {
            assert_part_path(p);
        }
        per_code.entry(f.code).or_default().push(f);
    }
    for (code, of) in per_code {
        assert!(
            of.len() <= LISTED_PER_CODE + 1,
            "{} findings of {code}",
            of.len()
        );
        // The one finding that says how many more there were: no header, and a detail of
        // lint's own words (every finding that quotes the message names its header).
        let more = format!(" more {code} findings not listed, lines ");
        let summaries: Vec<_> = of
            .iter()
            .filter(|f| f.header.is_none() && f.detail.contains(&more))
            .collect();
        if of.len() == LISTED_PER_CODE + 1 {
            assert_eq!(summaries.len(), 1, "{code}: {of:?}");
            let s = summaries[0];
            let (count, lines) = s.detail.split_once(&more).unwrap();
            let (first, last) = lines.split_once(" to ").unwrap();
            let count: usize = count.parse().unwrap();
            let (first, last): (usize, usize) = (first.parse().unwrap(), last.parse().unwrap());
            assert!(count >= 1 && first == s.line && first <= last && last <= lines_of(data));
        } else {
            assert!(
                summaries.is_empty(),
                "{code}: a summary with {} findings: {summaries:?}",
                of.len()
            );
        }
    }
    assert_eq!(
        report.has_errors(),
        findings.iter().any(|f| f.severity == Severity::Error)
    );

    assert!(report.repaired_parts().len() <= LISTED_PER_CODE);
    let repaired = report.repaired().iter().map(|r| (None, r));
    let parts = report.repaired_parts().iter().map(|(p, r)| (Some(p), r));
    for (part, header) in repaired.chain(parts) {
        if let Some(p) = part {
            assert_part_path(p);
        }
        check_repaired(data, header);
    }
}

fn lines_of(data: &[u8]) -> usize {
    data.split(|&b| b == b'\n').count()
}

/// `1`, `2.1`, ...: numbers from 1, without leading zeros, at most `MAX_DEPTH` of them.
fn assert_part_path(p: &str) {
    let numbers: Vec<&str> = p.split('.').collect();
    assert!(numbers.len() <= MAX_DEPTH, "part path {p:?} too deep");
    for n in numbers {
        assert!(
            !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()),
            "part path {p:?}"
        );
    }
}

fn check_repaired(data: &[u8], repaired: &str) {
    let (name, value) = repaired
        .split_once(": ")
        .unwrap_or_else(|| panic!("repaired header without \": \": {repaired:?}"));
    let name: &'static str = ID_HEADERS
        .iter()
        .find(|h| **h == name)
        .unwrap_or_else(|| panic!("repaired a non-identifier header: {repaired:?}"));
    assert!(
        !repaired.contains("=?"),
        "repaired header holds =?: {repaired:?}"
    );
    let utf8 = !value.is_ascii();
    if let Err(e) = verify(name, value, utf8) {
        panic!("repaired header fails verify: {repaired:?}: {e}");
    }
    // Written as letterhead writes it: writing it again changes nothing.
    let policy = IdentifierPolicy::new().smtputf8(utf8);
    match write_text(&policy, &HeaderName::new_from_ascii_str(name), value) {
        Ok(again) => assert_eq!(again, value, "repaired {repaired:?} is rewritten"),
        Err(e) => panic!("repaired {repaired:?} is refused by the policy: {e}"),
    }
    let unfolded = value.replace("\r\n", "");
    let parses = if name == "Content-ID" {
        ContentId::parse_in(&unfolded, Mode::Compatible, utf8).is_ok()
    } else {
        MsgIds::parse_in(&unfolded, Mode::Compatible, utf8).is_ok()
    };
    assert!(parses, "repaired {repaired:?} does not parse");
    // A message holding the repaired header lints clean.
    let mut eml = String::from("From: a@example.com\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n");
    if name != "Message-ID" {
        eml.push_str("Message-ID: <1@example.com>\r\n");
    }
    eml.push_str(repaired);
    eml.push_str("\r\n\r\nbody\r\n");
    let again = lint(eml.as_bytes());
    assert!(
        !again.has_errors() && again.repaired().is_empty(),
        "repaired {repaired:?} (from {:?}) still has findings: {:?}, repaired again: {:?}",
        String::from_utf8_lossy(data),
        again.findings(),
        again.repaired()
    );
}

/// Where the known part must be found.
struct Expect {
    /// The line of its Content-ID, and its part path.
    line: usize,
    part: String,
    /// Nested deeper than lint reads: an LH018 in this part instead.
    too_deep: Option<String>,
}

impl Expect {
    fn holds(&self, eml: &[u8], report: &Report) {
        let shown = || String::from_utf8_lossy(eml).into_owned();
        if let Some(deep) = &self.too_deep {
            assert!(
                report
                    .findings()
                    .iter()
                    .any(|f| f.code == Code::NestedTooDeep && f.part.as_deref() == Some(deep)),
                "no LH018 in part {deep}: {:?}\n{}",
                report.findings(),
                shown()
            );
            return;
        }
        let encoded: Vec<_> = report
            .findings()
            .iter()
            .filter(|f| f.code == Code::EncodedWord)
            .collect();
        if encoded.len() > LISTED_PER_CODE {
            return; // the known part may be among those not listed
        }
        assert!(
            encoded
                .iter()
                .any(|f| f.line == self.line && f.part.as_deref() == Some(&self.part)),
            "the known part's LH001 (line {}, part {}) not found: {:?}\n{}",
            self.line,
            self.part,
            report.findings(),
            shown()
        );
    }
}

/// The multipart message built around `data`, and where its known part must be found.
fn multipart(data: &[u8]) -> Option<(Vec<u8>, Option<Expect>)> {
    let (&first, rest) = data.split_first()?;
    let depth = usize::from(first) % (MAX_DEPTH + 4);
    let parts: Vec<&[u8]> = rest.split(|&b| b == 0xff).take(8).collect();
    let boundary = |level: usize| format!("lh.fuzz.{level}");
    let mut eml =
        b"From: a@example.com\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n"
            .to_vec();
    for level in 0..=depth {
        eml.extend_from_slice(
            format!(
                "Content-Type: multipart/mixed; boundary=\"{}\"\r\n\r\n",
                boundary(level)
            )
            .as_bytes(),
        );
        if level < depth {
            eml.extend_from_slice(format!("--{}\r\n", boundary(level)).as_bytes());
        }
    }
    let inner = boundary(depth);
    for part in &parts {
        eml.extend_from_slice(format!("--{inner}\r\n").as_bytes());
        eml.extend_from_slice(part);
        eml.extend_from_slice(b"\r\n");
    }
    eml.extend_from_slice(format!("--{inner}\r\n").as_bytes());
    let line = lines_of(&eml);
    eml.extend_from_slice(b"Content-ID: =?utf-8?q?=3Cknown=40example.com=3E?=\r\n\r\nbody\r\n");
    for level in (0..=depth).rev() {
        eml.extend_from_slice(format!("--{}--\r\n", boundary(level)).as_bytes());
    }

    let lower = String::from_utf8_lossy(rest).to_ascii_lowercase();
    if lower.contains("boundary") || lower.contains("lh.fuzz.") {
        return Some((eml, None));
    }
    let ones = |n: usize| vec!["1"; n];
    let expect = if depth >= MAX_DEPTH {
        Expect {
            line,
            part: String::new(),
            too_deep: Some(ones(MAX_DEPTH).join(".")),
        }
    } else {
        let mut path = ones(depth);
        let last = (parts.len() + 1).to_string();
        path.push(&last);
        Expect {
            line,
            part: path.join("."),
            too_deep: None,
        }
    };
    Some((eml, Some(expect)))
}
