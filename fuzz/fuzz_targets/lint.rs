//! `letterhead::lint::lint` on arbitrary bytes.
//!
//! Never a panic; findings are sorted by line, each with its code's severity and a line within
//! the message (0 only for a missing header); every repaired header is one of the identifier
//! headers, passes `policy::verify`, is what `policy::write_text` writes from it through
//! `IdentifierPolicy::new()` (compatible mode, SMTPUTF8 for a non-ASCII value; a repair is a
//! fixed point), re-parses in compatible mode, and a message holding it lints clean: no error,
//! nothing further to repair. See FUZZING.md.
#![no_main]

use letterhead::{
    lint::{lint, Code, Severity},
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

fuzz_target!(|data: &[u8]| {
    let report = lint(data);
    let lines = data.split(|&b| b == b'\n').count();

    let findings = report.findings();
    for w in findings.windows(2) {
        assert!(
            (w[0].line, w[0].severity) <= (w[1].line, w[1].severity),
            "findings out of order: {:?}",
            findings
        );
    }
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
        assert!(f.code.as_str().starts_with("LH"), "{f:?}");
        // A finding is one line of a terminal report: no CR, LF, ESC or other control character
        // from the message gets into it unescaped.
        let shown = f.to_string();
        assert!(
            !shown.chars().any(char::is_control),
            "finding shown with a control character: {shown:?}"
        );
    }
    assert_eq!(
        report.has_errors(),
        findings.iter().any(|f| f.severity == Severity::Error)
    );

    for repaired in report.repaired() {
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
        let mut eml =
            String::from("From: a@example.com\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n");
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
});
