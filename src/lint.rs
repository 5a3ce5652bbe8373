//! A doctor for the `554 5.6.0 Corrupt message content` bounce: checks the raw bytes of a
//! message (an `.eml`) and says what is wrong with its header, why it matters and how to fix
//! it.
//!
//! Each [`Finding`] has a stable [`Code`], a [`Severity`], the header and the line number.
//! [`Report::repaired`] gives the identifier headers written as letterhead writes them, where
//! they could be repaired.
//!
//! ```
//! use letterhead::lint::{lint, Code};
//!
//! // What lettre 0.11 writes for an In-Reply-To on an IDN domain.
//! let eml = b"From: a@example.com\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n\
//! Message-ID: <1@example.com>\r\n\
//! In-Reply-To: =?utf-8?b?PENBRjlhN2txM0BteC5iw7xyby5leGFtcGxlPg==?=\r\n\r\nHi\r\n";
//! let report = lint(eml);
//! assert!(report.has_errors());
//! assert_eq!(report.findings()[0].code, Code::EncodedWord);
//! assert_eq!(report.findings()[0].line, 4);
//! assert_eq!(report.repaired(), ["In-Reply-To: <CAF9a7kq3@mx.xn--bro-hoa.example>"]);
//! ```

use std::fmt;

use lettre::message::header::HeaderName;

use crate::{
    headers,
    msgid::{parse_content_id, parse_list, Mode, Syntax},
    policy::write_text,
    rfc2047, Error, IdentifierPolicy, MsgIds,
};

/// How much a finding matters.
///
/// # Example
///
/// ```
/// assert_eq!(letterhead::lint::Severity::Error.to_string(), "error");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Breaks delivery or the standard.
    Error,
    /// Hurts delivery or threading somewhere.
    Warning,
    /// Worth knowing; allowed.
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

/// What a finding is about; each has a stable code (`LH001`, ...), a severity, why it matters
/// and how to fix it.
///
/// # Example
///
/// ```
/// use letterhead::lint::{Code, Severity};
///
/// assert_eq!(Code::EncodedWord.as_str(), "LH001");
/// assert_eq!(Code::EncodedWord.severity(), Severity::Error);
/// assert!(Code::EncodedWord.why().contains("554 5.6.0"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// An identifier header written as RFC 2047 encoded-words.
    EncodedWord,
    /// A msg-id split across lines.
    SplitId,
    /// A line over 998 octets.
    LineTooLong,
    /// A line over 78 characters.
    LongLine,
    /// A CR or LF that is not part of a CRLF.
    BareLineBreak,
    /// 8-bit bytes in the header.
    EightBit,
    /// No Message-ID.
    MissingMessageId,
    /// No Date.
    MissingDate,
    /// No From.
    MissingFrom,
    /// A Message-ID domain that is not a fully qualified domain name.
    NotFqdn,
    /// An identifier header that appears more than once.
    Duplicate,
    /// An id without angle brackets.
    NoAngleBrackets,
    /// An identifier header that does not hold valid msg-ids.
    InvalidId,
    /// A file whose lines all end in LF, as files saved on Unix do.
    LfFile,
    /// An id that can be written safely but is not an RFC 5322 msg-id (what
    /// [`Mode::Compatible`] writes as given).
    NonConformingId,
}

impl Code {
    /// The stable code.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::lint::Code::InvalidId.as_str(), "LH013");
    /// ```
    pub fn as_str(self) -> &'static str {
        self.info().0
    }

    /// How much it matters.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::lint::{Code, Severity};
    /// assert_eq!(Code::LongLine.severity(), Severity::Note);
    /// ```
    pub fn severity(self) -> Severity {
        self.info().1
    }

    /// Why it matters.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(letterhead::lint::Code::LineTooLong.why().contains("998"));
    /// ```
    pub fn why(self) -> &'static str {
        self.info().2
    }

    /// How to fix it.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(!letterhead::lint::Code::NotFqdn.fix().is_empty());
    /// ```
    pub fn fix(self) -> &'static str {
        self.info().3
    }

    fn info(self) -> (&'static str, Severity, &'static str, &'static str) {
        use Severity::*;
        match self {
            Code::EncodedWord => ("LH001", Error,
                "RFC 2047 section 5 forbids encoded-words in a msg-id; Office 365 refuses such mail with 554 5.6.0 Corrupt message content (Corrupt summary TNEF content)",
                "write the ids plain, with IDN domains as A-labels: build the message with letterhead (see the repaired header below)"),
            Code::SplitId => ("LH002", Error,
                "a fold inside <...> changes the id: RFC 5322 3.6.4 allows folding only between ids, and receivers read the split id as two words",
                "fold only between ids, or move a long id whole to a line of its own"),
            Code::LineTooLong => ("LH003", Error,
                "RFC 5322 2.1.1: a line MUST be at most 998 octets; servers (Office 365 among them) refuse or cut longer lines",
                "fold the header at whitespace between its parts"),
            Code::LongLine => ("LH004", Note,
                "RFC 5322 2.1.1: a line SHOULD be at most 78 characters; allowed, and unavoidable for a long id",
                "nothing, if the line holds a single id or token; else fold between words"),
            Code::BareLineBreak => ("LH005", Error,
                "RFC 5322 2.3: CR and LF occur only together as CRLF; a bare one is read differently by different servers, which is how header injection and smuggling happen",
                "end every line with CRLF and never put CR or LF in a header value"),
            Code::EightBit => ("LH006", Warning,
                "8-bit header bytes are allowed only in SMTPUTF8 mail (RFC 6532); elsewhere servers refuse or mangle them",
                "encode text headers with RFC 2047, write domains as A-labels, or send with SMTPUTF8"),
            Code::MissingMessageId => ("LH007", Warning,
                "without a Message-ID, replies cannot thread and a relay adds one on its own host name",
                "add a Message-ID on your own domain (letterhead adds one to every message)"),
            Code::MissingDate => ("LH008", Error,
                "RFC 5322 3.6: Date is required",
                "add a Date header"),
            Code::MissingFrom => ("LH009", Error,
                "RFC 5322 3.6: From is required",
                "add a From header"),
            Code::NotFqdn => ("LH010", Warning,
                "a Message-ID on a bare host (@localhost, @vm) shows mail from an unconfigured machine; spam filters score it",
                "set the Message-ID domain: MessageBuilder::message_id_domain, letterhead::Config, or MESSAGE_ID_DOMAIN"),
            Code::Duplicate => ("LH011", Error,
                "RFC 5322 3.6 allows each identifier header once; receivers pick different copies and threading breaks",
                "keep one"),
            Code::NoAngleBrackets => ("LH012", Warning,
                "RFC 5322 3.6.4: a msg-id is written in angle brackets; strict parsers drop a bare one",
                "write <left@right>"),
            Code::InvalidId => ("LH013", Error,
                "the value is not a valid msg-id list (RFC 5322 3.6.4); receivers drop or misread it",
                "write valid ids: <left@right>, ASCII, no whitespace, quotes or comments inside"),
            Code::LfFile => ("LH014", Note,
                "every line ends in LF alone, as a file saved on Unix; read as CRLF (on the wire SMTP uses CRLF)",
                "nothing, for a stored file"),
            Code::NonConformingId => ("LH015", Warning,
                "the id can be written safely and most readers thread it, but it is not an RFC 5322 msg-id (a host:port or empty dot label, no @, or the obsolete quoted, commented or spaced forms); strict parsers may drop it",
                "generate ids as <unique@domain> with a dot-atom on each side (letterhead's generated ids are)"),
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing found.
///
/// # Example
///
/// ```
/// let report = letterhead::lint::lint(b"Subject: hi\r\n\r\n");
/// let f = &report.findings()[0];
/// println!("{}: {} {} {}", f.line, f.severity, f.code, f.detail);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What it is.
    pub code: Code,
    /// How much it matters (the code's severity).
    pub severity: Severity,
    /// The header it is in, if any.
    pub header: Option<String>,
    /// The 1-based line number in the message (0 for something missing).
    pub line: usize,
    /// What exactly was found.
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {} {}", self.line, self.severity, self.code)?;
        if let Some(h) = &self.header {
            // A header name from the message may hold anything; keep the report one line.
            write!(f, " [{}]", h.escape_debug())?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// The findings for one message, in order of line, and the repaired identifier headers.
///
/// # Example
///
/// ```
/// let r = letterhead::lint::lint(b"From: a@b.example\r\nDate: x\r\nMessage-ID: <1@b.example>\r\n\r\n");
/// assert!(r.findings().is_empty());
/// assert!(!r.has_errors());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Report {
    findings: Vec<Finding>,
    repaired: Vec<String>,
}

impl Report {
    /// All findings, by line.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::lint::lint(b"\r\n").findings().len(), 3); // no Message-ID, Date, From
    /// ```
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Whether any finding is an error.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(letterhead::lint::lint(b"\r\n").has_errors());
    /// ```
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The identifier headers that had findings and that letterhead writes differently,
    /// rewritten as letterhead writes them
    /// (encoded-words decoded, ids validated, A-labels, folded between ids), one
    /// `Name: value` string each, folds as CRLF + space. A header that cannot be repaired
    /// (its ids are invalid even decoded) is left out; its finding says why.
    ///
    /// # Example
    ///
    /// ```
    /// let r = letterhead::lint::lint(b"Message-ID: abc@example.com\r\n\r\n");
    /// assert_eq!(r.repaired(), ["Message-ID: <abc@example.com>"]);
    /// ```
    pub fn repaired(&self) -> &[String] {
        &self.repaired
    }
}

/// One logical header: its name, the line it starts on, and its value with folds kept.
struct Field {
    name: String,
    line: usize,
    value: String,
    eight_bit: bool,
}

/// Checks the raw bytes of a message. Never fails: whatever the bytes, a [`Report`].
///
/// # Example
///
/// ```
/// // Outlook moves a long id whole to a continuation line: fine.
/// let eml = b"From: a@b.example\r\nDate: x\r\nMessage-ID:\r\n <AM0PR07MB1234567890ABCDEF@AM0PR07MB1234.eurprd07.prod.outlook.com>\r\n\r\n";
/// assert!(!letterhead::lint::lint(eml).has_errors());
/// ```
pub fn lint(raw: &[u8]) -> Report {
    let mut findings = Vec::new();
    let mut fields: Vec<Field> = Vec::new();
    let mut push = |code: Code, header: Option<&str>, line: usize, detail: String| {
        findings.push(Finding {
            code,
            severity: code.severity(),
            header: header.map(str::to_owned),
            line,
            detail,
        })
    };

    // A stored file whose every line ends in LF alone is read as if it were CRLF.
    let lf_file = !raw.contains(&b'\r') && raw.contains(&b'\n');
    if lf_file {
        push(Code::LfFile, None, 1, "LF line endings".into());
    }
    let mut rest = raw;
    let mut number = 0;
    while !rest.is_empty() {
        number += 1;
        let (line, ending, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) if i > 0 && rest[i - 1] == b'\r' => (&rest[..i - 1], "\r\n", &rest[i + 1..]),
            Some(i) if lf_file => (&rest[..i], "\r\n", &rest[i + 1..]),
            Some(i) => (&rest[..i], "\n", &rest[i + 1..]),
            None => (rest, "", &rest[rest.len()..]),
        };
        rest = next;
        if line.is_empty() {
            if ending == "\n" {
                push(
                    Code::BareLineBreak,
                    None,
                    number,
                    "bare LF ends the header".into(),
                );
            }
            break;
        }
        let text = String::from_utf8_lossy(line);
        let continues = line[0] == b' ' || line[0] == b'\t';
        let name = if continues {
            fields.last().map(|f| f.name.clone())
        } else {
            text.split_once(':').map(|(n, _)| n.trim().to_owned())
        };
        if ending == "\n" {
            push(
                Code::BareLineBreak,
                name.as_deref(),
                number,
                "line ends with a bare LF".into(),
            );
        }
        if line.contains(&b'\r') {
            push(
                Code::BareLineBreak,
                name.as_deref(),
                number,
                "bare CR inside the line".into(),
            );
        }
        if line.len() > crate::policy::HARD_LINE_LIMIT {
            push(
                Code::LineTooLong,
                name.as_deref(),
                number,
                format!("{} octets", line.len()),
            );
        } else if text.chars().count() > crate::policy::SOFT_LINE_LIMIT {
            push(
                Code::LongLine,
                name.as_deref(),
                number,
                format!("{} characters", text.chars().count()),
            );
        }
        let eight_bit = !line.is_ascii();
        if continues {
            if let Some(f) = fields.last_mut() {
                f.value.push_str("\r\n");
                f.value.push_str(&text);
                f.eight_bit |= eight_bit;
            }
        } else if let Some((n, v)) = text.split_once(':') {
            fields.push(Field {
                name: n.trim().to_owned(),
                line: number,
                value: v.to_owned(),
                eight_bit,
            });
        }
    }

    for f in fields.iter().filter(|f| f.eight_bit) {
        push(
            Code::EightBit,
            Some(&f.name),
            f.line,
            "non-ASCII bytes".into(),
        );
    }
    for (missing, code) in [
        ("Message-ID", Code::MissingMessageId),
        ("Date", Code::MissingDate),
        ("From", Code::MissingFrom),
    ] {
        if !fields.iter().any(|f| f.name.eq_ignore_ascii_case(missing)) {
            push(code, None, 0, format!("no {missing} header"));
        }
    }

    let mut repaired = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let Some(canonical) = headers::identifier_names().find(|n| n.eq_ignore_ascii_case(&f.name))
        else {
            continue;
        };
        let before = findings.len();
        let mut push = |code: Code, line: usize, detail: String| {
            findings.push(Finding {
                code,
                severity: code.severity(),
                header: Some(f.name.clone()),
                line,
                detail,
            })
        };
        if fields[..i]
            .iter()
            .any(|g| g.name.eq_ignore_ascii_case(&f.name))
        {
            push(
                Code::Duplicate,
                f.line,
                format!("{canonical} appears again"),
            );
            continue;
        }
        check_identifier(canonical, f, &mut push);
        if findings.len() > before {
            if let Some(line) = repair(canonical, f) {
                repaired.push(line);
            }
        }
    }
    findings.sort_by_key(|f| (f.line, f.severity));
    Report { findings, repaired }
}

fn check_identifier(name: &str, f: &Field, push: &mut impl FnMut(Code, usize, String)) {
    let encoded = rfc2047::has_encoded_word(&f.value);
    if encoded {
        push(Code::EncodedWord, f.line, format!("{:?}", f.value.trim()));
    }
    // A fold inside angle brackets splits an id.
    let mut inside = false;
    let mut split = false;
    for (k, physical) in f.value.split("\r\n").enumerate() {
        if k > 0 && inside {
            push(
                Code::SplitId,
                f.line + k,
                "a line break inside <...>".into(),
            );
            split = true;
        }
        for c in physical.chars() {
            match c {
                '<' => inside = true,
                '>' => inside = false,
                _ => {}
            }
        }
    }
    if encoded || split {
        return;
    }
    let unfolded = f.value.replace("\r\n", "");
    let parse = |mode| {
        let syntax = Syntax {
            mode,
            smtputf8: f.eight_bit,
        };
        if name == "Content-ID" {
            parse_content_id(name, &unfolded, syntax).map(MsgIds::from)
        } else {
            parse_list(name, &unfolded, syntax)
        }
    };
    let reason = |e: Error| match e {
        Error::InvalidId { reason, .. } => reason.to_string(),
        e => e.to_string(),
    };
    let parsed = match parse(Mode::Strict) {
        Ok(ids) => Ok(ids),
        // What can be written safely, but is no RFC 5322 msg-id: a warning of its own.
        Err(strict) => parse(Mode::Compatible).inspect(|_| {
            push(Code::NonConformingId, f.line, reason(strict));
        }),
    };
    match parsed {
        Err(e) => {
            push(Code::InvalidId, f.line, reason(e));
            return;
        }
        Ok(ids) => {
            if name == "Message-ID" {
                for id in &ids {
                    let right = id.right();
                    if !right.starts_with('[') && !right.trim_end_matches('.').contains('.') {
                        push(Code::NotFqdn, f.line, format!("@{right}"));
                    }
                }
            }
        }
    }
    if bare_ids(&unfolded) {
        push(
            Code::NoAngleBrackets,
            f.line,
            format!("{:?}", unfolded.trim()),
        );
    }
}

/// Whether a value has an id outside angle brackets (outside comments too).
fn bare_ids(value: &str) -> bool {
    let mut depth_angle = false;
    let mut depth_comment = 0usize;
    let mut token = String::new();
    let mut bare = false;
    for c in value.chars().chain([' ']) {
        match c {
            '(' if !depth_angle => depth_comment += 1,
            ')' if depth_comment > 0 => depth_comment -= 1,
            '<' if depth_comment == 0 => depth_angle = true,
            '>' if depth_comment == 0 => depth_angle = false,
            ' ' | '\t' | ',' if !depth_angle && depth_comment == 0 => {
                bare |= token.contains('@');
                token.clear();
            }
            c if !depth_angle && depth_comment == 0 => token.push(c),
            _ => {}
        }
    }
    bare
}

/// The header written as letterhead writes it, if its ids (decoded) are valid.
fn repair(name: &'static str, f: &Field) -> Option<String> {
    let value = f.value.replace("\r\n", "");
    let value = if rfc2047::has_encoded_word(&value) {
        rfc2047::decode(&value).ok()?
    } else {
        value
    };
    let policy = IdentifierPolicy::new().smtputf8(f.eight_bit);
    let written = write_text(&policy, &HeaderName::new_from_ascii_str(name), &value).ok()?;
    // Nothing to repair when letterhead would write it the same (a bare-host id, say, or a
    // long id already on a continuation line of its own): the value after the colon, less the
    // one space that usually follows it.
    let given = f.value.strip_prefix(' ').unwrap_or(&f.value);
    (written != given).then(|| format!("{name}: {written}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(eml: &str) -> Vec<&'static str> {
        lint(eml.as_bytes())
            .findings()
            .iter()
            .map(|f| f.code.as_str())
            .collect()
    }

    const BASE: &str = "From: a@example.com\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n";

    #[test]
    fn clean_message_has_no_findings() {
        assert!(codes(&format!("{BASE}Message-ID: <1@example.com>\r\nReferences: <a@b.example>\r\n <c@d.example>\r\n\r\nbody\n")).is_empty());
    }

    #[test]
    fn each_code() {
        let m = |h: &str| format!("{BASE}{h}\r\n\r\n");
        assert_eq!(
            codes(&m(
                "Message-ID: <1@example.com>\r\nReferences: <a@b.exa\r\n mple>"
            )),
            ["LH002"]
        );
        let long = format!("Message-ID: <{}@example.com>", "a".repeat(1000));
        assert_eq!(codes(&m(&long)), ["LH003", "LH013"]);
        let soft = format!("Message-ID: <{}@example.com>", "a".repeat(70));
        assert_eq!(codes(&m(&soft)), ["LH004"]);
        assert_eq!(
            codes(&format!("{BASE}Message-ID: <1@example.com>\n\n")),
            ["LH005", "LH005"]
        );
        let lf = format!("{BASE}Message-ID: <1@example.com>\r\n\r\n").replace("\r\n", "\n");
        assert_eq!(codes(&lf), ["LH014"]);
        assert_eq!(
            codes(&m("Message-ID: <1@example.com>\rX: y")),
            ["LH005", "LH013"]
        );
        assert_eq!(
            codes(&m("Message-ID: <1@example.com>\r\nSubject: grüße")),
            ["LH006"]
        );
        assert_eq!(codes(&m("Subject: x")), ["LH007"]);
        assert_eq!(
            codes("Message-ID: <1@example.com>\r\n\r\n"),
            ["LH008", "LH009"]
        );
        assert_eq!(codes(&m("Message-ID: <1@localhost>")), ["LH010"]);
        assert_eq!(codes(&m("Message-ID: <1@vm>")), ["LH010"]);
        assert_eq!(codes(&m("Message-ID: <1@[127.0.0.1]>")), Vec::<&str>::new());
        assert_eq!(
            codes(&m(
                "Message-ID: <1@example.com>\r\nmessage-id: <2@example.com>"
            )),
            ["LH011"]
        );
        assert_eq!(codes(&m("Message-ID: 1@example.com")), ["LH012"]);
        assert_eq!(codes(&m("Message-ID: <1 2@example.com>")), ["LH013"]);
        for nonconforming in [
            "<7f1c@localhost.example:8536>",
            "<a..b@x.example>",
            "<\"a b\"@x.example>",
            "< a@x.example >",
        ] {
            let header = format!("Message-ID: <1@example.com>\r\nIn-Reply-To: {nonconforming}");
            assert_eq!(codes(&m(&header)), ["LH015"], "{nonconforming:?}");
        }
        assert_eq!(
            codes(&m(
                "Message-ID: <1@example.com>\r\nIn-Reply-To: =?utf-8?q?=3Ca=40b=3E?="
            )),
            ["LH001"]
        );
    }

    #[test]
    fn repairs_what_it_can() {
        let r = lint(format!("{BASE}Message-ID: <1@example.com>\r\nReferences: a@b.example, <c@büro.example>\r\n\r\n").as_bytes());
        assert_eq!(
            r.repaired(),
            ["References: <a@b.example> <c@xn--bro-hoa.example>"]
        );
        // An encoded CR/LF id cannot be repaired; the finding stays.
        let r =
            lint(format!("{BASE}Message-ID: =?utf-8?b?PGFAYj4NCkJjYzogeEB5?=\r\n\r\n").as_bytes());
        assert!(r.repaired().is_empty());
        assert_eq!(r.findings()[0].code, Code::EncodedWord);
        // Found by fuzzing (F7): a long id already on a line of its own, as letterhead writes
        // it, has a note (a long line) but nothing to repair.
        let long = format!("<{}@example.com>", "a".repeat(980));
        let r = lint(format!("{BASE}Message-ID:\r\n {long}\r\n\r\n").as_bytes());
        assert!(!r.findings().is_empty());
        assert!(r.repaired().is_empty(), "{:?}", r.repaired());
    }

    #[test]
    fn any_bytes_give_a_report() {
        for raw in [
            &b""[..],
            b"\xff\xfe\r\n",
            b":\r\n \r\n\r\n",
            b"\r",
            b"\n\n",
            b"(((((\r\n",
        ] {
            let _ = lint(raw);
        }
        // Found by fuzzing: a header name holding CRs reached a finding's Display raw.
        let r = lint(b"From: a@vm\r\nMessag\r\r\r-To: 1@vm\r\n\r\nok\r\n");
        assert!(!r.findings().is_empty());
        for f in r.findings() {
            assert!(!f.to_string().chars().any(char::is_control), "{f}");
        }
    }
}
