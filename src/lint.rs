//! A doctor for the `554 5.6.0 Corrupt message content` bounce: checks the raw bytes of a
//! message (an `.eml`) and says what is wrong with its headers, why it matters and how to fix
//! it.
//!
//! It reads the message's own header block and the header block of every MIME part: the
//! boundaries of each multipart are taken from its Content-Type (RFC 2046 5.1.1), nested up to
//! [`MAX_DEPTH`] deep; broken MIME (no boundary, no closing delimiter, a part without a blank
//! line after its header) is read as far as it goes. Body lines are checked for their length.
//! An attached message (a `message/rfc822` part) is a body like any other: its own header is
//! not read as one.
//!
//! Each [`Finding`] has a stable [`Code`], a [`Severity`], the header, the line number and the
//! MIME part ([`Finding::part`], numbered as IMAP numbers parts: `None` for the message's own
//! header and body, `Some("1.2")` for the second part of the first part).
//! [`Report::repaired`] gives the message's identifier headers written as letterhead writes
//! them, where they could be repaired; [`Report::repaired_parts`] those of the parts.
//!
//! The bytes come from strangers, so the work is linear in their length and the report is
//! bounded whatever they hold: a finding quotes at most [`EXCERPT_CHARS`] characters of a
//! name or value (a longer one is cut and marked `…`), and at most [`LISTED_PER_CODE`]
//! findings of each code are listed, followed by one that says how many more there were.
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

use std::{
    fmt::{self, Write as _},
    hash::{BuildHasher, RandomState},
};

use lettre::message::header::HeaderName;

use crate::{
    headers,
    msgid::{parse_content_id, parse_list, Mode, Syntax},
    policy::{write_text, HARD_LINE_LIMIT, SOFT_LINE_LIMIT},
    rfc2047, Error, IdentifierPolicy, MsgIds,
};

/// The most characters of a name or value a finding quotes; a longer one is cut and marked
/// with `…`.
///
/// # Example
///
/// ```
/// use letterhead::lint::{lint, EXCERPT_CHARS};
///
/// let name = "X".repeat(50_000);
/// let report = lint(format!("{name}: \u{fc}\r\n\r\n").as_bytes());
/// let header = report.findings().iter().find_map(|f| f.header.as_deref()).unwrap();
/// assert_eq!(header.chars().count(), EXCERPT_CHARS + 1);
/// assert!(header.ends_with('…'));
/// ```
pub const EXCERPT_CHARS: usize = 100;

/// The most findings of one code a report lists; one more finding of that code then says how
/// many were left out and on which lines.
///
/// # Example
///
/// ```
/// use letterhead::lint::{lint, Code, LISTED_PER_CODE};
///
/// let eml = "X: a\rb\r\n".repeat(1000) + "\r\n";
/// let report = lint(eml.as_bytes());
/// let bare: Vec<_> = report.findings().iter().filter(|f| f.code == Code::BareLineBreak).collect();
/// assert_eq!(bare.len(), LISTED_PER_CODE + 1);
/// assert!(bare[LISTED_PER_CODE].detail.starts_with("900 more"));
/// ```
pub const LISTED_PER_CODE: usize = 100;

/// How deep lint follows multiparts nested in multiparts: the parts of a multipart nested
/// deeper are not read ([`Code::NestedTooDeep`]), so a part path has at most this many numbers.
///
/// # Example
///
/// ```
/// use letterhead::lint::{lint, Code, MAX_DEPTH};
///
/// let mut eml = String::from("From: a@b.example\r\nDate: x\r\nMessage-ID: <1@b.example>\r\n");
/// for depth in 0..=MAX_DEPTH {
///     eml += &format!("Content-Type: multipart/mixed; boundary=b{depth}\r\n\r\n--b{depth}\r\n");
/// }
/// let report = lint(eml.as_bytes());
/// let deep = report.findings().iter().find(|f| f.code == Code::NestedTooDeep).unwrap();
/// assert_eq!(deep.part.as_deref().unwrap().split('.').count(), MAX_DEPTH);
/// ```
pub const MAX_DEPTH: usize = 32;

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
    /// A line of a body (the message's or a MIME part's) over 998 octets.
    BodyLineTooLong,
    /// A multipart Content-Type without a boundary parameter.
    MissingBoundary,
    /// Multiparts nested deeper than lint reads ([`MAX_DEPTH`]).
    NestedTooDeep,
}

/// How many codes there are: one counter each for [`LISTED_PER_CODE`].
const CODES: usize = Code::NestedTooDeep as usize + 1;

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
            Code::BodyLineTooLong => ("LH016", Error,
                "RFC 5322 2.1.1 and RFC 5321 4.5.3.1.6: every line of a message, its bodies included, MUST be at most 998 octets; servers refuse the message or break the line, which changes what the part holds",
                "send the part quoted-printable or base64 (lettre's and letterhead's Body::new choose one when a line is too long)"),
            Code::MissingBoundary => ("LH017", Error,
                "RFC 2046 5.1.1: a multipart needs a boundary parameter; without one receivers cannot find its parts, and lint cannot read them",
                "add boundary=\"...\" to the Content-Type (lettre's and letterhead's MultiPart write one)"),
            Code::NestedTooDeep => ("LH018", Note,
                "multiparts are nested more than 32 deep; lint reads no deeper (to bound its work on hostile input), so the parts below are not checked",
                "nothing, if the nesting is meant; real mail rarely nests more than a few levels"),
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
/// assert_eq!(f.part, None); // the message's own header block
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// What it is.
    pub code: Code,
    /// How much it matters (the code's severity).
    pub severity: Severity,
    /// The header it is in, if any, as the message names it; a name longer than
    /// [`EXCERPT_CHARS`] characters is cut there and ends in `…`.
    pub header: Option<String>,
    /// The 1-based line number in the message (0 for something missing).
    pub line: usize,
    /// What exactly was found; it quotes at most [`EXCERPT_CHARS`] characters of the message.
    pub detail: String,
    /// The MIME part whose header block or body the finding is in, numbered as IMAP numbers
    /// parts (RFC 3501 section 6.4.5): `None` for the message's own header block and body
    /// (and a multipart message's preamble and epilogue), `Some("2")` for the second part of
    /// a multipart message, `Some("1.2")` for the second part of its first part.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::lint::{lint, Code};
    ///
    /// let eml = b"From: a@b.example\r\nDate: x\r\nMessage-ID: <1@b.example>\r\n\
    /// Content-Type: multipart/related; boundary=\"b\"\r\n\r\n\
    /// --b\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:logo@b.example\">\r\n\
    /// --b\r\nContent-ID: =?utf-8?q?=3Clogo=40b.example=3E?=\r\n\r\nPNG\r\n--b--\r\n";
    /// let report = lint(eml);
    /// let f = &report.findings()[0];
    /// assert_eq!((f.code, f.line, f.part.as_deref()), (Code::EncodedWord, 11, Some("2")));
    /// ```
    pub part: Option<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(part) = &self.part {
            write!(f, ", part {part}")?;
        }
        write!(f, ": {} {}", self.severity, self.code)?;
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
    repaired_parts: Vec<(String, String)>,
}

impl Report {
    /// All findings, by line: at most [`LISTED_PER_CODE`] of each code, then one more of that
    /// code saying how many were not listed.
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

    /// The identifier headers of the message's own header block that had findings and that
    /// letterhead writes differently, rewritten as letterhead writes them
    /// (encoded-words decoded, ids validated, A-labels, folded between ids), one
    /// `Name: value` string each, folds as CRLF + space. A header that cannot be repaired
    /// (its ids are invalid even decoded) is left out; its finding says why. Those of MIME
    /// parts are in [`repaired_parts`](Report::repaired_parts).
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

    /// As [`repaired`](Report::repaired), for the header blocks of MIME parts: the part (as
    /// in [`Finding::part`]) and the header as letterhead writes it, in the order of the
    /// message, for at most [`LISTED_PER_CODE`] headers.
    ///
    /// # Example
    ///
    /// ```
    /// let eml = b"From: a@b.example\r\nDate: x\r\nMessage-ID: <1@b.example>\r\n\
    /// Content-Type: multipart/mixed; boundary=b\r\n\r\n\
    /// --b\r\nContent-ID: logo@b.example\r\n\r\nPNG\r\n--b--\r\n";
    /// let r = letterhead::lint::lint(eml);
    /// assert!(r.repaired().is_empty());
    /// assert_eq!(r.repaired_parts(), [("1".to_owned(), "Content-ID: <logo@b.example>".to_owned())]);
    /// ```
    pub fn repaired_parts(&self) -> &[(String, String)] {
        &self.repaired_parts
    }
}

/// Checks the raw bytes of a message. Never fails: whatever the bytes, a [`Report`], in time
/// and memory linear in their length.
///
/// # Example
///
/// ```
/// // Outlook moves a long id whole to a continuation line: fine.
/// let eml = b"From: a@b.example\r\nDate: x\r\nMessage-ID:\r\n <AM0PR07MB1234567890ABCDEF@AM0PR07MB1234.eurprd07.prod.outlook.com>\r\n\r\n";
/// assert!(!letterhead::lint::lint(eml).has_errors());
/// ```
pub fn lint(raw: &[u8]) -> Report {
    // A stored file whose every line ends in LF alone is read as if it were CRLF.
    tick(raw.len());
    let lf_file = !raw.contains(&b'\r') && raw.contains(&b'\n');
    let mut linter = Linter {
        sink: Sink::default(),
        stack: Vec::new(),
        depth: 0,
        block: Some(Block::new(true)),
        repaired: Vec::new(),
        repaired_parts: Vec::new(),
        hasher: RandomState::new(),
    };
    if lf_file {
        linter
            .sink
            .push(Code::LfFile, None, &[], 1, || "LF line endings".into());
    }
    let mut rest = raw;
    let mut number = 0;
    while !rest.is_empty() {
        number += 1;
        let (line, ending, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) if i > 0 && rest[i - 1] == b'\r' => {
                (&rest[..i - 1], Ending::Crlf, &rest[i + 1..])
            }
            Some(i) if lf_file => (&rest[..i], Ending::Crlf, &rest[i + 1..]),
            Some(i) => (&rest[..i], Ending::Lf, &rest[i + 1..]),
            None => (rest, Ending::None, &rest[rest.len()..]),
        };
        tick(line.len() + 1);
        rest = next;
        if linter.block.is_some() {
            linter.header_line(line, ending, number);
        } else {
            linter.body_line(line, number);
        }
    }
    linter.end_block();
    linter.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Crlf,
    Lf,
    /// The last line, without a line break.
    None,
}

/// A multipart being read: its boundary and the number of its part being read (0 in the
/// preamble).
struct Frame {
    boundary: Vec<u8>,
    /// The boundary's hash under [`Linter::hasher`].
    hash: u64,
    part: usize,
}

/// A header block being read: the message's own or a part's.
struct Block {
    top: bool,
    /// The field being read: the last one started (a continuation line after a line that is
    /// no field still belongs to it).
    field: Option<Field>,
    /// Which identifier headers (by their index in [`headers::identifier_names`]) were seen.
    seen: [bool; IDENTIFIERS],
    /// Message-ID, Date, From seen (the message's own block only).
    has: [bool; 3],
    /// The first Content-Type, once read.
    content_type: Option<ContentType>,
    content_type_seen: bool,
}

const IDENTIFIERS: usize = 6;
const REQUIRED: [(&str, Code); 3] = [
    ("Message-ID", Code::MissingMessageId),
    ("Date", Code::MissingDate),
    ("From", Code::MissingFrom),
];

impl Block {
    fn new(top: bool) -> Self {
        Block {
            top,
            field: None,
            seen: [false; IDENTIFIERS],
            has: [false; 3],
            content_type: None,
            content_type_seen: false,
        }
    }
}

/// One logical header: its name (cut to [`EXCERPT_CHARS`]), the line it starts on, whether
/// any of its lines holds 8-bit bytes, and what is kept of it to check when it ends.
struct Field {
    name: String,
    line: usize,
    eight_bit: bool,
    kind: Kind,
}

enum Kind {
    Other,
    /// An identifier header seen before in the same block: a duplicate, nothing more checked.
    Repeat(&'static str),
    Id(IdField),
    /// The value, unfolded (continuation lines are appended without their CRLF).
    ContentType(Vec<u8>),
}

/// An identifier header being read: its value with folds kept as CRLF, and whether a line
/// ended inside `<...>`.
struct IdField {
    canonical: &'static str,
    value: String,
    inside: bool,
    split: bool,
}

struct ContentType {
    line: usize,
    name: String,
    multipart: Multipart,
}

enum Multipart {
    No,
    Boundary(Vec<u8>),
    NoBoundary,
}

/// Findings as they are made: at most [`LISTED_PER_CODE`] of each code are kept, the rest
/// counted.
struct Sink {
    findings: Vec<Finding>,
    listed: [usize; CODES],
    unlisted: [Option<Unlisted>; CODES],
    /// Every finding made, listed or not.
    total: usize,
}

impl Default for Sink {
    fn default() -> Self {
        Sink {
            findings: Vec::new(),
            listed: [0; CODES],
            unlisted: std::array::from_fn(|_| None),
            total: 0,
        }
    }
}

/// The findings of one code not listed: how many, their first and last line, the part of
/// the first.
struct Unlisted {
    code: Code,
    count: usize,
    first: usize,
    last: usize,
    part: Option<String>,
}

impl Sink {
    /// A finding in the part `part` (the frames of its path); `detail` is made only for a
    /// finding that is listed.
    fn push(
        &mut self,
        code: Code,
        header: Option<&str>,
        part: &[Frame],
        line: usize,
        detail: impl FnOnce() -> String,
    ) {
        self.total += 1;
        let i = code as usize;
        if self.listed[i] < LISTED_PER_CODE {
            self.listed[i] += 1;
            let header = header.map(str::to_owned);
            let detail = detail();
            tick(1 + header.as_ref().map_or(0, String::len) + detail.len());
            self.findings.push(Finding {
                code,
                severity: code.severity(),
                header,
                line,
                detail,
                part: part_path(part),
            });
        } else if let Some(u) = &mut self.unlisted[i] {
            tick(1);
            u.count += 1;
            u.first = u.first.min(line);
            u.last = u.last.max(line);
        } else {
            self.unlisted[i] = Some(Unlisted {
                code,
                count: 1,
                first: line,
                last: line,
                part: part_path(part),
            });
        }
    }
}

/// The part path of a frame stack: `None` for the message itself.
fn part_path(frames: &[Frame]) -> Option<String> {
    let (first, rest) = frames.split_first()?;
    let mut path = first.part.to_string();
    for f in rest {
        let _ = write!(path, ".{}", f.part);
    }
    tick(path.len());
    Some(path)
}

/// Reads a message line by line, once: header blocks field by field, bodies for their line
/// lengths and the boundaries of the multiparts being read.
struct Linter {
    sink: Sink,
    /// The multiparts being read, outermost first.
    stack: Vec<Frame>,
    /// How many frames of `stack` the path of what is being read takes: all of them in a part
    /// of the innermost multipart, one fewer in its preamble or epilogue.
    depth: usize,
    /// The header block being read, if any (otherwise a body).
    block: Option<Block>,
    repaired: Vec<String>,
    repaired_parts: Vec<(String, String)>,
    /// Keyed, so no message can make its lines collide with a boundary on purpose.
    hasher: RandomState,
}

impl Linter {
    fn header_line(&mut self, line: &[u8], ending: Ending, number: usize) {
        if let Some((k, close)) = self.delimiter(line) {
            // A part without a blank line after its header (or with no header at all).
            self.end_block();
            self.long_body_line(line, number);
            self.enter(k, close);
            return;
        }
        let Some(mut block) = self.block.take() else {
            return;
        };
        if line.is_empty() {
            if ending == Ending::Lf {
                self.sink.push(
                    Code::BareLineBreak,
                    None,
                    &self.stack[..self.depth],
                    number,
                    || "bare LF ends the header".into(),
                );
            }
            self.end_block_of(block);
            return;
        }
        let text = String::from_utf8_lossy(line);
        tick(line.len());
        let continues = line[0] == b' ' || line[0] == b'\t';
        let starts = if continues {
            false
        } else if let Some((n, v)) = text.split_once(':') {
            let name = n.trim();
            self.end_field(&mut block);
            self.start_field(&mut block, name, v, line, number);
            true
        } else {
            false
        };
        let path = &self.stack[..self.depth];
        // A continuation line belongs to the field being read; a line that is neither
        // starts no field and belongs to none.
        let header = (continues || starts)
            .then(|| block.field.as_ref().map(|f| f.name.as_str()))
            .flatten();
        if ending == Ending::Lf {
            self.sink
                .push(Code::BareLineBreak, header, path, number, || {
                    "line ends with a bare LF".into()
                });
        }
        if line.contains(&b'\r') {
            self.sink
                .push(Code::BareLineBreak, header, path, number, || {
                    "bare CR inside the line".into()
                });
        }
        if line.len() > HARD_LINE_LIMIT {
            self.sink.push(Code::LineTooLong, header, path, number, || {
                format!("{} octets", line.len())
            });
        } else {
            let chars = text.chars().count();
            if chars > SOFT_LINE_LIMIT {
                self.sink.push(Code::LongLine, header, path, number, || {
                    format!("{chars} characters")
                });
            }
        }
        if continues {
            if let Some(f) = &mut block.field {
                f.eight_bit |= !line.is_ascii();
                match &mut f.kind {
                    Kind::Id(id) => {
                        // A fold inside angle brackets splits an id.
                        if id.inside {
                            self.sink
                                .push(Code::SplitId, Some(&f.name), path, number, || {
                                    "a line break inside <...>".into()
                                });
                            id.split = true;
                        }
                        id.inside = brackets(id.inside, &text);
                        id.value.push_str("\r\n");
                        id.value.push_str(&text);
                        tick(text.len());
                    }
                    Kind::ContentType(value) => {
                        value.extend_from_slice(line);
                        tick(line.len());
                    }
                    Kind::Other | Kind::Repeat(_) => {}
                }
            }
        }
        self.block = Some(block);
    }

    /// Starts the field `name: value` on line `number`.
    fn start_field(
        &mut self,
        block: &mut Block,
        name: &str,
        value: &str,
        line: &[u8],
        number: usize,
    ) {
        tick(name.len());
        if block.top {
            for (has, (required, _)) in block.has.iter_mut().zip(REQUIRED) {
                *has |= name.eq_ignore_ascii_case(required);
            }
        }
        let identifier = headers::identifier_names()
            .enumerate()
            .find(|(_, n)| n.eq_ignore_ascii_case(name));
        let kind = if let Some((i, canonical)) = identifier {
            if std::mem::replace(&mut block.seen[i], true) {
                Kind::Repeat(canonical)
            } else {
                tick(value.len());
                Kind::Id(IdField {
                    canonical,
                    value: value.to_owned(),
                    inside: brackets(false, value),
                    split: false,
                })
            }
        } else if !block.content_type_seen && name.eq_ignore_ascii_case("Content-Type") {
            block.content_type_seen = true;
            // The value as octets, after the colon (a ':' octet is the same in the text).
            let colon = line
                .iter()
                .position(|&b| b == b':')
                .map_or(line.len(), |i| i + 1);
            tick(line.len());
            Kind::ContentType(line[colon..].to_vec())
        } else {
            Kind::Other
        };
        block.field = Some(Field {
            name: name_excerpt(name),
            line: number,
            eight_bit: !line.is_ascii(),
            kind,
        });
    }

    /// Checks the field being read, which has ended.
    fn end_field(&mut self, block: &mut Block) {
        let Some(f) = block.field.take() else {
            return;
        };
        let path = &self.stack[..self.depth];
        let header = Some(f.name.as_str());
        if f.eight_bit {
            self.sink.push(Code::EightBit, header, path, f.line, || {
                "non-ASCII bytes".into()
            });
        }
        match f.kind {
            Kind::Other => {}
            Kind::Repeat(canonical) => {
                self.sink.push(Code::Duplicate, header, path, f.line, || {
                    format!("{canonical} appears again")
                });
            }
            Kind::ContentType(value) => {
                block.content_type = Some(ContentType {
                    line: f.line,
                    multipart: multipart(&value),
                    name: f.name,
                });
            }
            Kind::Id(id) => {
                let before = self.sink.total;
                let mut check = Check {
                    sink: &mut self.sink,
                    path,
                    header: &f.name,
                    line: f.line,
                };
                check_identifier(&mut check, &id, f.eight_bit);
                if self.sink.total == before && !id.split {
                    return;
                }
                if block.top {
                    if let Some(r) = repair(id.canonical, &id.value, f.eight_bit) {
                        self.repaired.push(r);
                    }
                } else if self.repaired_parts.len() < LISTED_PER_CODE {
                    if let Some(r) = repair(id.canonical, &id.value, f.eight_bit) {
                        let part = part_path(path).unwrap_or_default();
                        self.repaired_parts.push((part, r));
                    }
                }
            }
        }
    }

    /// Ends the header block being read, if any.
    fn end_block(&mut self) {
        if let Some(block) = self.block.take() {
            self.end_block_of(block);
        }
    }

    /// Ends `block`: what is missing from the message's own, and the parts of a multipart.
    fn end_block_of(&mut self, mut block: Block) {
        self.end_field(&mut block);
        let path = &self.stack[..self.depth];
        if block.top {
            for (has, (required, code)) in block.has.into_iter().zip(REQUIRED) {
                if !has {
                    self.sink
                        .push(code, None, path, 0, || format!("no {required} header"));
                }
            }
        }
        let Some(ct) = block.content_type else {
            return;
        };
        let header = Some(ct.name.as_str());
        match ct.multipart {
            Multipart::No => {}
            Multipart::NoBoundary => {
                self.sink
                    .push(Code::MissingBoundary, header, path, ct.line, || {
                        "multipart without a boundary parameter: its parts are not read".into()
                    });
            }
            Multipart::Boundary(_) if self.stack.len() >= MAX_DEPTH => {
                self.sink
                    .push(Code::NestedTooDeep, header, path, ct.line, || {
                        format!("a multipart nested {MAX_DEPTH} deep: its parts are not read")
                    });
            }
            Multipart::Boundary(boundary) => {
                tick(boundary.len());
                let hash = self.hasher.hash_one(&boundary[..]);
                self.stack.push(Frame {
                    boundary,
                    hash,
                    part: 0,
                });
            }
        }
    }

    fn body_line(&mut self, line: &[u8], number: usize) {
        self.long_body_line(line, number);
        if let Some((k, close)) = self.delimiter(line) {
            self.enter(k, close);
        }
    }

    fn long_body_line(&mut self, line: &[u8], number: usize) {
        if line.len() > HARD_LINE_LIMIT {
            self.sink.push(
                Code::BodyLineTooLong,
                None,
                &self.stack[..self.depth],
                number,
                || format!("{} octets", line.len()),
            );
        }
    }

    /// Whether `line` is a boundary delimiter line of a multipart being read (RFC 2046
    /// 5.1.1: `--` boundary, `--` after it for the close delimiter, then only spaces and
    /// tabs): the multipart's index in the stack, innermost first, and whether it closes it.
    ///
    /// The line is hashed once and each boundary compared by length and hash first, so a
    /// line costs its length plus one step a multipart, however alike the boundaries are.
    fn delimiter(&self, line: &[u8]) -> Option<(usize, bool)> {
        if self.stack.is_empty() {
            return None;
        }
        let rest = line.strip_prefix(b"--")?;
        let end = rest
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(0, |i| i + 1);
        let open = &rest[..end];
        let close = open.strip_suffix(b"--");
        tick(rest.len() + open.len() + close.map_or(0, <[u8]>::len));
        let open_hash = self.hasher.hash_one(open);
        let close_hash = close.map(|c| self.hasher.hash_one(c));
        let same = |frame: &Frame, text: &[u8], hash: u64| {
            tick(1);
            frame.boundary.len() == text.len() && frame.hash == hash && {
                tick(text.len());
                frame.boundary == text
            }
        };
        self.stack.iter().enumerate().rev().find_map(|(k, frame)| {
            if same(frame, open, open_hash) {
                Some((k, false))
            } else {
                match (close, close_hash) {
                    (Some(c), Some(h)) if same(frame, c, h) => Some((k, true)),
                    _ => None,
                }
            }
        })
    }

    /// After a delimiter of multipart `k`: its next part's header block, or its epilogue.
    /// An inner multipart still open ends there (its delimiter was missing).
    fn enter(&mut self, k: usize, close: bool) {
        if close {
            self.stack.truncate(k);
            self.depth = k;
        } else {
            self.stack.truncate(k + 1);
            self.stack[k].part = self.stack[k].part.saturating_add(1);
            self.depth = k + 1;
            self.block = Some(Block::new(false));
        }
    }

    fn finish(self) -> Report {
        let Linter {
            mut sink,
            repaired,
            repaired_parts,
            ..
        } = self;
        for u in sink.unlisted.into_iter().flatten() {
            let code = u.code;
            sink.findings.push(Finding {
                code,
                severity: code.severity(),
                header: None,
                line: u.first,
                detail: format!(
                    "{} more {code} findings not listed, lines {} to {}",
                    u.count, u.first, u.last
                ),
                part: u.part,
            });
        }
        let mut findings = sink.findings;
        findings.sort_by_key(|f| (f.line, f.severity));
        Report {
            findings,
            repaired,
            repaired_parts,
        }
    }
}

/// Where [`check_identifier`] reports: the header and line of the field, in its part.
struct Check<'a> {
    sink: &'a mut Sink,
    path: &'a [Frame],
    header: &'a str,
    line: usize,
}

impl Check<'_> {
    fn push(&mut self, code: Code, detail: impl FnOnce() -> String) {
        self.sink
            .push(code, Some(self.header), self.path, self.line, detail);
    }
}

fn check_identifier(check: &mut Check<'_>, f: &IdField, eight_bit: bool) {
    let name = f.canonical;
    tick(f.value.len());
    let encoded = rfc2047::has_encoded_word(&f.value);
    if encoded {
        check.push(Code::EncodedWord, || quoted(f.value.trim()));
    }
    if encoded || f.split {
        return;
    }
    tick(f.value.len());
    let unfolded = f.value.replace("\r\n", "");
    let parse = |mode| {
        tick(unfolded.len());
        let syntax = Syntax {
            mode,
            smtputf8: eight_bit,
        };
        if name == "Content-ID" {
            parse_content_id(name, &unfolded, syntax).map(MsgIds::from)
        } else {
            parse_list(name, &unfolded, syntax)
        }
    };
    let reason = |e: Error| match e {
        Error::InvalidId { reason, .. } => reason.to_string(),
        e => excerpt(&e.to_string()),
    };
    let parsed = match parse(Mode::Strict) {
        Ok(ids) => Ok(ids),
        // What can be written safely, but is no RFC 5322 msg-id: a warning of its own.
        Err(strict) => parse(Mode::Compatible).inspect(|_| {
            check.push(Code::NonConformingId, || reason(strict));
        }),
    };
    match parsed {
        Err(e) => {
            check.push(Code::InvalidId, || reason(e));
            return;
        }
        Ok(ids) => {
            if name == "Message-ID" {
                for id in &ids {
                    let right = id.right();
                    tick(right.len());
                    if !right.starts_with('[') && !right.trim_end_matches('.').contains('.') {
                        check.push(Code::NotFqdn, || format!("@{}", excerpt(right)));
                    }
                }
            }
        }
    }
    tick(unfolded.len());
    if bare_ids(&unfolded) {
        check.push(Code::NoAngleBrackets, || quoted(unfolded.trim()));
    }
}

/// Whether a line ends inside `<...>`, given whether it starts inside.
fn brackets(mut inside: bool, text: &str) -> bool {
    tick(text.len());
    for b in text.bytes() {
        match b {
            b'<' => inside = true,
            b'>' => inside = false,
            _ => {}
        }
    }
    inside
}

/// Whether a value has an id outside angle brackets (outside comments too).
fn bare_ids(value: &str) -> bool {
    let mut depth_angle = false;
    let mut depth_comment = 0usize;
    let mut token = false;
    let mut bare = false;
    for c in value.chars().chain([' ']) {
        match c {
            '(' if !depth_angle => depth_comment += 1,
            ')' if depth_comment > 0 => depth_comment -= 1,
            '<' if depth_comment == 0 => depth_angle = true,
            '>' if depth_comment == 0 => depth_angle = false,
            ' ' | '\t' | ',' if !depth_angle && depth_comment == 0 => {
                bare |= token;
                token = false;
            }
            c if !depth_angle && depth_comment == 0 => token |= c == '@',
            _ => {}
        }
    }
    bare
}

/// The header written as letterhead writes it, if its ids (decoded) are valid.
fn repair(name: &'static str, value: &str, eight_bit: bool) -> Option<String> {
    tick(4 * value.len());
    let unfolded = value.replace("\r\n", "");
    let unfolded = if rfc2047::has_encoded_word(&unfolded) {
        rfc2047::decode(&unfolded).ok()?
    } else {
        unfolded
    };
    let policy = IdentifierPolicy::new().smtputf8(eight_bit);
    let written = write_text(&policy, &HeaderName::new_from_ascii_str(name), &unfolded).ok()?;
    // Nothing to repair when letterhead would write it the same (a bare-host id, say, or a
    // long id already on a continuation line of its own): the value after the colon, less the
    // one space that usually follows it.
    let given = value.strip_prefix(' ').unwrap_or(value);
    (written != given).then(|| format!("{name}: {written}"))
}

/// A header name for a finding: at most [`EXCERPT_CHARS`] characters, then `…`.
fn name_excerpt(name: &str) -> String {
    match name.char_indices().nth(EXCERPT_CHARS) {
        None => name.to_owned(),
        Some((cut, _)) => format!("{}…", &name[..cut]),
    }
}

/// Text from the message for a finding: at most [`EXCERPT_CHARS`] characters, then how long
/// it was.
fn excerpt(s: &str) -> String {
    match s.char_indices().nth(EXCERPT_CHARS) {
        None => s.to_owned(),
        Some((cut, _)) => format!("{}… ({} octets in all)", &s[..cut], s.len()),
    }
}

/// As [`excerpt`], quoted and escaped as Rust writes a string (one line, whatever it holds).
fn quoted(s: &str) -> String {
    match s.char_indices().nth(EXCERPT_CHARS) {
        None => format!("{s:?}"),
        Some((cut, _)) => format!("{:?}… ({} octets in all)", &s[..cut], s.len()),
    }
}

/// Whether a Content-Type value (unfolded octets) is `multipart/*` and its boundary (RFC
/// 2045 5.1, RFC 2046 5.1.1). Read leniently, in one pass: comments and whitespace anywhere
/// between tokens, parameters up to the first `boundary`, an unquoted value up to `;` or
/// whitespace (some software leaves `=` in one unquoted).
fn multipart(v: &[u8]) -> Multipart {
    let mut i = cfws(v, 0);
    let (media, j) = token(v, i);
    i = cfws(v, j);
    if !media.eq_ignore_ascii_case(b"multipart") || v.get(i) != Some(&b'/') {
        return Multipart::No;
    }
    i += 1;
    while i < v.len() {
        // To the next ';' outside quoted strings and comments.
        match v[i] {
            b'"' => {
                i = quoted_string(v, i).1;
                continue;
            }
            b'(' => {
                i = comment(v, i);
                continue;
            }
            b';' => {}
            _ => {
                tick(1);
                i += 1;
                continue;
            }
        }
        i = cfws(v, i + 1);
        let (attribute, j) = token(v, i);
        i = cfws(v, j);
        if v.get(i) != Some(&b'=') {
            continue;
        }
        i = cfws(v, i + 1);
        let value = if v.get(i) == Some(&b'"') {
            let (value, end) = quoted_string(v, i);
            i = end;
            value
        } else {
            let start = i;
            while i < v.len() && !matches!(v[i], b';' | b' ' | b'\t' | b'\r' | b'\n' | b'(') {
                i += 1;
            }
            tick(i - start);
            v[start..i].to_vec()
        };
        if attribute.eq_ignore_ascii_case(b"boundary") {
            return if value.is_empty() {
                Multipart::NoBoundary
            } else {
                Multipart::Boundary(value)
            };
        }
    }
    Multipart::NoBoundary
}

/// Past whitespace and comments from `i`.
fn cfws(v: &[u8], mut i: usize) -> usize {
    loop {
        match v.get(i) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => {
                tick(1);
                i += 1;
            }
            Some(b'(') => i = comment(v, i),
            _ => return i,
        }
    }
}

/// Past the comment at `v[i]` (a `(`): nested comments and quoted-pairs; the end of `v` if
/// it never closes.
fn comment(v: &[u8], mut i: usize) -> usize {
    let start = i;
    let mut depth = 0usize;
    while i < v.len() {
        match v[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    tick(i + 1 - start);
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    tick(v.len() - start);
    v.len()
}

/// The token at `v[i]` (RFC 2045 5.1) and where it ends.
fn token(v: &[u8], i: usize) -> (&[u8], usize) {
    let rest = &v[i.min(v.len())..];
    let len = rest
        .iter()
        .position(|&c| c <= b' ' || c == 0x7f || b"()<>@,;:\\\"/[]?=".contains(&c))
        .unwrap_or(rest.len());
    tick(len);
    (&rest[..len], v.len() - rest.len() + len)
}

/// The quoted string at `v[i]` (a `"`), its quoted-pairs undone, and where it ends; it runs
/// to the end of `v` if it never closes.
fn quoted_string(v: &[u8], mut i: usize) -> (Vec<u8>, usize) {
    let start = i;
    let mut out = Vec::new();
    i += 1;
    while i < v.len() {
        match v[i] {
            b'"' => {
                i += 1;
                break;
            }
            b'\\' if i + 1 < v.len() => {
                out.push(v[i + 1]);
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    tick(i - start);
    (out, i.min(v.len()))
}

/// Counts work: octets scanned and steps taken, so the tests can check the work is linear in
/// the input (without a clock).
#[inline]
fn tick(n: usize) {
    #[cfg(test)]
    WORK.with(|w| w.set(w.get() + n as u64));
    #[cfg(not(test))]
    let _ = n;
}

#[cfg(test)]
thread_local! {
    static WORK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The report for `raw` and the work it took, as [`tick`] counts it.
#[cfg(test)]
fn lint_counted(raw: &[u8]) -> (Report, u64) {
    let before = WORK.with(std::cell::Cell::get);
    let report = lint(raw);
    (report, WORK.with(std::cell::Cell::get) - before)
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

    fn found(eml: &str) -> Vec<(&'static str, usize, Option<String>)> {
        lint(eml.as_bytes())
            .findings()
            .iter()
            .map(|f| (f.code.as_str(), f.line, f.part.clone()))
            .collect()
    }

    fn part(p: &str) -> Option<String> {
        Some(p.to_owned())
    }

    const TOP: &str = "From: a@example.com\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n";

    #[test]
    fn every_part_header_block_is_read() {
        let long = "x".repeat(999);
        let eml = format!(
            "{TOP}MIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"outer b\"\r\n\
             \r\n\
             preamble\r\n\
             --outer b\r\n\
             Content-Type: multipart/alternative;\r\n boundary=inner\r\n\
             \r\n\
             --inner\r\n\
             Content-Type: text/plain\r\n\
             \r\n\
             {long}\r\n\
             --inner\r\n\
             Content-ID: <7f1c@localhost.example:8536>\r\n\
             \r\n\
             html\r\n\
             --inner--\r\n\
             --outer b  \r\n\
             Content-ID: =?utf-8?q?=3Clogo=40example.com=3E?=\r\n\
             Content-ID: <again@example.com>\r\n\
             \r\n\
             PNG\r\n\
             --outer b--\r\n\
             {long}\r\n"
        );
        assert_eq!(
            found(&eml),
            [
                ("LH016", 15, part("1.1")),
                ("LH015", 17, part("1.2")),
                ("LH001", 22, part("2")),
                ("LH011", 23, part("2")),
                ("LH016", 27, None),
            ]
        );
        // The encoded Content-ID of part 2 is repaired as a part's; the message's own
        // identifier headers need nothing.
        let r = lint(eml.as_bytes());
        assert!(r.repaired().is_empty());
        assert_eq!(
            r.repaired_parts(),
            [("2".to_owned(), "Content-ID: <logo@example.com>".to_owned())]
        );
        // Display names the part; the message's own findings read as before.
        let shown: Vec<String> = r.findings().iter().map(ToString::to_string).collect();
        assert_eq!(
            shown[2],
            "line 22, part 2: error LH001 [Content-ID]: \"=?utf-8?q?=3Clogo=40example.com=3E?=\""
        );
        assert_eq!(shown[4], "line 27: error LH016: 999 octets");
    }

    #[test]
    fn part_header_blocks_get_the_header_checks_but_not_the_required_headers() {
        let eml = format!(
            "{TOP}Content-Type: multipart/related; boundary=b\r\n\r\n\
             --b\r\n\
             Content-Type: text/html;\n charset=utf-8\r\n\
             Content-Disposition: inline; filename=\"gr\u{fc}\u{df}e.html\"\r\n\
             Content-ID: <a@b.exa\r\n mple>\r\n\
             \r\n\
             --b\r\n\
             Content-ID: logo@example.com\r\n\
             Content-Location: x\ry\r\n\
             \r\n\
             --b--\r\n"
        );
        assert_eq!(
            found(&eml),
            [
                ("LH005", 7, part("1")),
                ("LH006", 9, part("1")),
                ("LH002", 11, part("1")),
                ("LH012", 14, part("2")),
                ("LH005", 15, part("2")),
            ]
        );
    }

    #[test]
    fn part_paths_are_numbered_as_imap_numbers_them() {
        // Three levels; a line over 998 octets in every body shows where lint is.
        let l = "y".repeat(1000);
        let eml = format!(
            "{TOP}Content-Type: multipart/mixed; boundary=a\r\n\r\n{l}\r\n\
             --a\r\n\r\n{l}\r\n\
             --a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n{l}\r\n\
             --b\r\n\r\n{l}\r\n\
             --b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n\
             --c\r\n\r\n{l}\r\n\
             --c\r\n\r\n{l}\r\n\
             --c--\r\n{l}\r\n\
             --b--\r\n{l}\r\n\
             --a\r\n\r\n{l}\r\n\
             --a--\r\n{l}\r\n"
        );
        let parts: Vec<Option<String>> = found(&eml).into_iter().map(|f| f.2).collect();
        let want = [
            None,
            part("1"),
            part("2"),
            part("2.1"),
            part("2.2.1"),
            part("2.2.2"),
            part("2.2"),
            part("2"),
            part("3"),
            None,
        ];
        assert_eq!(parts, want);
    }

    #[test]
    fn broken_mime_is_read_as_far_as_it_goes() {
        // No boundary: its parts cannot be found.
        assert_eq!(
            found(&format!(
                "{TOP}Content-Type: multipart/mixed\r\n\r\n--x\r\nContent-ID: =?a?q?b?=\r\n"
            )),
            [("LH017", 4, None)]
        );
        assert_eq!(
            found(&format!(
                "{TOP}Content-Type: Multipart/Mixed; charset=x; boundary=\"\"\r\n\r\n"
            )),
            [("LH017", 4, None)]
        );
        // Not a multipart: a boundary parameter means nothing.
        assert!(found(&format!(
            "{TOP}Content-Type: text/plain; boundary=x\r\n\r\n--x\r\nContent-ID: =?a?q?b?=\r\n"
        ))
        .is_empty());
        // Comments, folds, case and a '=' in an unquoted boundary (seen from broken
        // software); a part without a blank line after its header; an inner multipart never
        // closed, ended by the outer delimiter; no closing delimiter at all.
        let eml = format!(
            "{TOP}content-type: (c) MULTIPART (x) / mixed ; (y)\r\n BOUNDARY = ==_b=1\r\n\r\n\
             --==_b=1\r\n\
             Content-ID: =?a?q?b?=\r\n\
             --==_b=1\r\n\
             Content-Type: multipart/related; boundary=in\r\n\r\n\
             --in\r\n\
             Content-ID: <x@y>\r\n\r\n\
             --==_b=1\r\n\
             Content-ID: =?a?q?b?=\r\n\r\n\
             --in\r\n\
             Content-ID: =?a?q?c?=\r\n"
        );
        assert_eq!(
            found(&eml),
            [("LH001", 8, part("1")), ("LH001", 16, part("3")),]
        );
        // Whatever the bytes, no panic.
        for raw in [
            "Content-Type: multipart/x; boundary=\"unclosed\r\n\r\n--unclosed\r\n",
            "Content-Type: multipart/x; boundary=(\r\n\r\n",
            "Content-Type: multipart/x; boundary=a\r\n\r\n--a\r\n--a--\r\n--a\r\n",
            "Content-Type: multipart/x; boundary=a\r\n\r\n--a",
            "Content-Type: multipart/x; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/x; boundary=a\r\n\r\n--a--\r\n",
            "Content-Type: multipart/x; ;;=;boundary\r\n\r\n",
            "Content-Type: multipart/\r\n",
            "Content-Type: multipart",
            "Content-Type: \"multipart/x\"; boundary=\\\r\n\r\n",
        ] {
            let _ = lint(raw.as_bytes());
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let mut eml = String::from(TOP);
        for depth in 0..MAX_DEPTH + 5 {
            eml +=
                &format!("Content-Type: multipart/mixed; boundary=b{depth}\r\n\r\n--b{depth}\r\n");
        }
        eml += "Content-ID: =?a?q?b?=\r\n\r\n";
        let r = lint(eml.as_bytes());
        let codes: Vec<_> = r.findings().iter().map(|f| f.code).collect();
        // The part at the bound is read (its header); what is nested in it is not.
        assert_eq!(codes, [Code::NestedTooDeep]);
        let path = r.findings()[0].part.as_deref().unwrap();
        assert_eq!(path, vec!["1"; MAX_DEPTH].join("."));
    }

    #[test]
    fn findings_quote_at_most_an_excerpt() {
        let name = "N".repeat(50_000);
        let value = format!("=?utf-8?q?{}?=", "=41".repeat(100_000));
        let right = "h".repeat(900);
        let eml = format!(
            "From: a@example.com\r\nDate: x\r\n{name}: \u{fc}\n \u{fc}\r\n\
             Message-ID: <1@{right}>\r\nReferences: {value}\r\n\r\n"
        );
        let r = lint(eml.as_bytes());
        let mut seen = Vec::new();
        for f in r.findings() {
            seen.push(f.code.as_str());
            if let Some(h) = &f.header {
                assert!(h.chars().count() <= EXCERPT_CHARS + 1, "{}", h.len());
            }
            assert!(f.detail.len() <= 2 * EXCERPT_CHARS, "{:?}", f.code);
        }
        assert_eq!(
            seen,
            ["LH005", "LH003", "LH006", "LH010", "LH004", "LH003", "LH001"]
        );
        let cut = &r.findings()[0].header;
        assert_eq!(
            cut.as_deref(),
            Some(format!("{}…", &name[..EXCERPT_CHARS]).as_str())
        );
        let encoded = &r.findings()[6].detail;
        let cut = format!("… ({} octets in all)", value.len());
        assert!(encoded.ends_with(&cut), "{encoded}");
    }

    #[test]
    fn at_most_a_hundred_findings_of_a_code_are_listed() {
        let mut eml = String::from(TOP);
        eml += "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
        for _ in 0..250 {
            eml += "--b\r\nContent-ID: =?utf-8?q?=3Ca=40b=3E?=\r\nX: a\rb\r\n\r\n";
        }
        let r = lint(eml.as_bytes());
        for code in [Code::EncodedWord, Code::BareLineBreak] {
            let of: Vec<&Finding> = r.findings().iter().filter(|f| f.code == code).collect();
            assert_eq!(of.len(), LISTED_PER_CODE + 1, "{code}");
            let last = of[LISTED_PER_CODE];
            assert_eq!(last.part.as_deref(), Some("101"));
            assert_eq!(
                last.line,
                6 + 4 * 100 + if code == Code::EncodedWord { 1 } else { 2 }
            );
            assert!(
                last.detail
                    .starts_with(&format!("150 more {code} findings not listed, lines ")),
                "{}",
                last.detail
            );
        }
        assert_eq!(r.repaired_parts().len(), LISTED_PER_CODE);
    }

    // Scaling: each hostile shape at 1x and 10x. The work `tick` counts (octets scanned,
    // steps taken) must grow about linearly and stay within a constant per input octet; the
    // report must stay bounded: at most a finding a line, and each finding a bounded excerpt.
    // No clock: the counts are the same in debug and release builds.

    /// The name of a 5k x `scale` octet field, then 5k x `scale` continuation lines ending
    /// in `end`.
    fn long_name(scale: usize, end: &str) -> String {
        let n = 5_000 * scale;
        format!(
            "From: a@example.com\r\n{}:{}\r\n\r\n",
            "N".repeat(n),
            format!(" x{end}").repeat(n)
        )
    }

    /// 2k x `scale` other fields, then as many repeats of each identifier header.
    fn repeated_ids(scale: usize) -> String {
        let n = 2_000 * scale;
        let mut s = "X-Field: value\r\n".repeat(n);
        for h in headers::identifier_names() {
            s += &format!("{h}: <a@example.com>\r\n").repeat(n / 6);
        }
        s + "\r\n"
    }

    /// A multipart of 1k x `scale` parts, each with findings (an encoded Content-ID, a bare
    /// CR, a long body line, a Content-ID repeated), nested three deep.
    fn many_parts(scale: usize) -> String {
        let mut s = format!("{TOP}Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n");
        s += "Content-Type: multipart/alternative; boundary=\"m m\"\r\n\r\n--m m\r\n";
        s += "Content-Type: multipart/related; boundary=i\r\n\r\n";
        let long = "z".repeat(1_000);
        for _ in 0..1_000 * scale {
            s += &format!(
                "--i\r\nContent-ID: =?utf-8?q?=3Ca=40b=3E?=\r\nContent-ID: <b@c>\r\nX: \r\r\n\r\n{long}\r\n"
            );
        }
        s + "--i--\r\n--m m--\r\n--o--\r\n"
    }

    /// [`MAX_DEPTH`] multiparts whose boundaries are prefixes of one another (`alike`: of the
    /// same length, differing in their last octet), then lines that start like every boundary
    /// but are none.
    fn near_boundaries(scale: usize, alike: bool) -> String {
        let mut s = String::from(TOP);
        let b = |depth: usize| {
            if alike {
                format!("{}{depth:02}", "b".repeat(254))
            } else {
                "b".repeat(depth * 8)
            }
        };
        for depth in 1..=MAX_DEPTH {
            let b = b(depth);
            s += &format!("Content-Type: multipart/mixed; boundary={b}\r\n\r\n--{b}\r\n");
        }
        // The innermost part's header ends; its body is all near misses.
        s += "\r\n";
        let miss = format!("--{}x\r\n--{}--x\r\n", b(MAX_DEPTH), b(1));
        s + &miss.repeat(1_000 * scale)
    }

    /// One References of 2k x `scale` ids, one a line, and an In-Reply-To of 2k x `scale` ids
    /// on one line, half of them without angle brackets, each twice.
    fn huge_references(scale: usize) -> String {
        let mut s = format!("{TOP}References:");
        for i in 0..2_000 * scale {
            s += &format!(" <{i}.{}@host-{i}.example>\r\n", "p".repeat(i % 50));
        }
        s += &format!(
            "In-Reply-To: {}\r\n\r\n",
            "<x@y> a@b ".repeat(1_000 * scale)
        );
        s
    }

    /// 3k x `scale` header lines with a bare CR and 8-bit bytes, then as many long body lines.
    fn many_findings(scale: usize) -> String {
        let n = 3_000 * scale;
        let mut s = String::from(TOP);
        s += &"X-\u{fc}: a\rb\r\n".repeat(n);
        s += "\r\n";
        s += &format!("{}\r\n", "w".repeat(999)).repeat(n / 10);
        s
    }

    /// Checks `shape` at 1x and 10x: the work, the bounds of the report, then what `check`
    /// says the report must hold for the input.
    fn assert_linear(name: &str, shape: impl Fn(usize) -> String, check: impl Fn(&str, &Report)) {
        let (small, large) = (shape(1), shape(10));
        let (r1, w1) = lint_counted(small.as_bytes());
        let (r10, w10) = lint_counted(large.as_bytes());
        let ratio = w10 as f64 / w1 as f64;
        let per_octet = w10 as f64 / large.len() as f64;
        eprintln!(
            "{name}: {} -> {} octets, work {w1} -> {w10} (x{ratio:.2}), {per_octet:.2} a octet",
            small.len(),
            large.len()
        );
        let input = large.len() as f64 / small.len() as f64;
        assert!(
            ratio <= 1.2 * input,
            "{name}: work grew {ratio:.1} times for {input:.1} times the input"
        );
        assert!(
            per_octet <= 32.0,
            "{name}: {per_octet:.1} units of work an octet"
        );
        for (raw, r) in [(&small, &r1), (&large, &r10)] {
            let lines = raw.split('\n').count();
            let f = r.findings();
            assert!(
                f.len() <= lines,
                "{name}: {} findings for {lines} lines",
                f.len()
            );
            assert!(
                f.len() <= CODES * (LISTED_PER_CODE + 1),
                "{name}: {} findings",
                f.len()
            );
            let held: usize = f
                .iter()
                .map(|f| {
                    f.header.as_ref().map_or(0, String::len)
                        + f.detail.len()
                        + f.part.as_ref().map_or(0, String::len)
                })
                .sum();
            assert!(
                held <= 1_200 * f.len(),
                "{name}: findings hold {held} octets, {} findings",
                f.len()
            );
            check(raw, r);
        }
    }

    fn count(r: &Report, code: Code) -> usize {
        r.findings().iter().filter(|f| f.code == code).count()
    }

    #[test]
    fn a_long_name_with_many_bare_lf_continuations_is_linear() {
        assert_linear(
            "long name, LF",
            |s| long_name(s, "\n"),
            |_, r| {
                assert_eq!(count(r, Code::BareLineBreak), LISTED_PER_CODE + 1);
                assert!(r.findings().iter().all(|f| f
                    .header
                    .as_ref()
                    .is_none_or(|h| h.chars().count() <= EXCERPT_CHARS + 1)));
            },
        );
    }

    #[test]
    fn a_long_name_with_many_crlf_continuations_is_linear() {
        assert_linear(
            "long name, CRLF",
            |s| long_name(s, "\r\n"),
            |_, r| {
                assert_eq!(count(r, Code::LineTooLong), 1);
                assert!(r.findings().iter().all(|f| f
                    .header
                    .as_ref()
                    .is_none_or(|h| h.chars().count() <= EXCERPT_CHARS + 1)));
            },
        );
    }

    #[test]
    fn repeated_identifier_headers_are_found_in_one_pass() {
        assert_linear("repeated ids", repeated_ids, |_, r| {
            assert_eq!(count(r, Code::Duplicate), LISTED_PER_CODE + 1);
            assert!(r
                .findings()
                .iter()
                .any(|f| f.detail.contains("more LH011 findings")));
        });
    }

    #[test]
    fn many_parts_are_linear() {
        assert_linear("many parts", many_parts, |_, r| {
            for code in [
                Code::EncodedWord,
                Code::Duplicate,
                Code::BareLineBreak,
                Code::BodyLineTooLong,
            ] {
                assert_eq!(count(r, code), LISTED_PER_CODE + 1, "{code}");
            }
            assert_eq!(r.findings()[0].part.as_deref(), Some("1.1.1"));
        });
    }

    #[test]
    fn lines_near_many_boundaries_are_linear() {
        for alike in [false, true] {
            assert_linear(
                "near boundaries",
                |s| near_boundaries(s, alike),
                |raw, r| {
                    // Nothing but a note for each Content-Type line over 78 characters, in
                    // the message's header and every part's: no delimiter was missed and no
                    // near miss taken for one.
                    let long = raw
                        .lines()
                        .filter(|l| l.starts_with("Content-Type") && l.len() > 78)
                        .count();
                    assert!(long > 20);
                    assert_eq!(count(r, Code::LongLine), long);
                    assert_eq!(r.findings().len(), long, "{:?}", r.findings());
                },
            );
        }
    }

    #[test]
    fn a_huge_references_is_linear() {
        assert_linear("huge References", huge_references, |_, r| {
            assert_eq!(count(r, Code::LineTooLong), 1);
            assert_eq!(count(r, Code::NoAngleBrackets), 1);
        });
    }

    #[test]
    fn many_findings_are_linear_and_bounded() {
        assert_linear("many findings", many_findings, |_, r| {
            for code in [Code::BareLineBreak, Code::EightBit, Code::BodyLineTooLong] {
                assert_eq!(count(r, code), LISTED_PER_CODE + 1, "{code}");
            }
        });
    }
}
