//! The crate's one error type.
//!
//! [`Error`] keeps every variant of `lettre::error::Error` under its lettre name, so code that
//! matches on `MissingFrom` or converts an `std::io::Error` keeps compiling, and adds the
//! variants for identifier headers and Message-ID domain settings. Each identifier variant
//! carries the header (or setting), the offending value and a [`Reason`]; its `Display` is one
//! log line such as
//!
//! ```text
//! In-Reply-To: "<a@b>\r\nBcc: x@y": control character U+000D in a msg-id; a header value cannot hold one
//! ```

use std::fmt;

/// Everything that can go wrong while building a message or writing an identifier header.
///
/// The first nine variants are lettre 0.11's, with the same names and messages.
///
/// # Example
///
/// ```
/// use letterhead::{Error, MsgId, Reason};
///
/// let err = MsgId::parse("<no-at-sign>").unwrap_err();
/// assert!(matches!(err, Error::InvalidId { reason: Reason::MissingAt, .. }));
/// assert_eq!(err.to_string(), r#"msg-id: "<no-at-sign>": no "@" between id-left and id-right"#);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Missing from in envelope
    #[error("missing source address, invalid envelope")]
    MissingFrom,
    /// Missing to in envelope
    #[error("missing destination address, invalid envelope")]
    MissingTo,
    /// Can only be one from in envelope
    #[error("there can only be one source address")]
    TooManyFrom,
    /// Invalid email: missing at
    #[error("missing @ in email address")]
    EmailMissingAt,
    /// Invalid email: missing local part
    #[error("missing local part in email address")]
    EmailMissingLocalPart,
    /// Invalid email: missing domain
    #[error("missing domain in email address")]
    EmailMissingDomain,
    /// Cannot parse filename for attachment
    #[error("could not parse attachment filename")]
    CannotParseFilename,
    /// IO error
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Non-ASCII chars
    #[error("contains non-ASCII chars")]
    NonAsciiChars,

    /// An identifier header (Message-ID, In-Reply-To, References, ...) holds a value that is
    /// not a valid msg-id or list of msg-ids (RFC 5322 section 3.6.4).
    #[error("{header}: {}: {reason}", Quoted(value))]
    InvalidId {
        /// The header, such as `In-Reply-To`, or `msg-id` when parsed on its own.
        header: String,
        /// The offending value, exactly as given.
        value: String,
        /// What is wrong with it.
        reason: Reason,
    },

    /// A Message-ID domain setting is not a valid domain.
    #[error("{setting}: {}: {reason}", Quoted(value))]
    InvalidDomain {
        /// Where the value came from, such as `MESSAGE_ID_DOMAIN` or `Config::message_id_domain`.
        setting: String,
        /// The offending value, exactly as given.
        value: String,
        /// What is wrong with it.
        reason: Reason,
    },

    /// A header policy refused a header, or wrote a value that failed verification.
    #[error("{header}: {reason}")]
    Policy {
        /// The header being written.
        header: String,
        /// What went wrong.
        reason: String,
    },

    /// A header that cannot be written safely: a line over 998 octets, a control character,
    /// a line break that would start another header, a name that is no header name, or a
    /// display name with a control character. Checked for every header of the message and of
    /// every MIME part, whatever set it.
    #[error("{}: {problem}", Name(header))]
    InvalidHeader {
        /// The header, as named (escaped in `Display` if the name itself is the problem).
        header: String,
        /// What is wrong.
        problem: HeaderProblem,
    },

    /// Something wrong in a MIME part: its path, as IMAP numbers parts (`2` is the second part
    /// of the message's multipart, `2.1` the first part inside that), and the error.
    #[error("MIME part {path}: {source}")]
    Part {
        /// The part's path.
        path: String,
        /// What is wrong in it.
        source: Box<Error>,
    },

    /// A DKIM setting that cannot be written into a DKIM-Signature header (RFC 6376), such
    /// as a selector that is not a DNS name or a header list without From.
    #[error("{setting}: {}: {reason}", Quoted(value))]
    Dkim {
        /// The setting, such as `DkimConfig selector`.
        setting: String,
        /// The offending value, exactly as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },

    /// [`Config::install`](crate::Config::install) was called after a configuration was
    /// already in place.
    #[error("letterhead::Config is already installed; install it once, at start-up")]
    ConfigAlreadyInstalled,
}

impl Error {
    pub(crate) fn invalid_id(header: &str, value: &str, reason: Reason) -> Self {
        Error::InvalidId {
            header: header.to_owned(),
            value: value.to_owned(),
            reason,
        }
    }

    pub(crate) fn invalid_domain(setting: &str, value: &str, reason: Reason) -> Self {
        Error::InvalidDomain {
            setting: setting.to_owned(),
            value: value.to_owned(),
            reason,
        }
    }
}

impl Error {
    /// A copy of an error found in a part, to keep in a part that is cloned: every variant a
    /// part's check makes is copied as it is; the others (which it never makes) by their text.
    #[cfg(feature = "builder")]
    pub(crate) fn duplicate(&self) -> Error {
        match self {
            Error::InvalidId {
                header,
                value,
                reason,
            } => Error::InvalidId {
                header: header.clone(),
                value: value.clone(),
                reason: reason.clone(),
            },
            Error::InvalidDomain {
                setting,
                value,
                reason,
            } => Error::InvalidDomain {
                setting: setting.clone(),
                value: value.clone(),
                reason: reason.clone(),
            },
            Error::InvalidHeader { header, problem } => Error::InvalidHeader {
                header: header.clone(),
                problem: problem.clone(),
            },
            Error::Part { path, source } => Error::Part {
                path: path.clone(),
                source: Box::new(source.duplicate()),
            },
            Error::Policy { header, reason } => Error::Policy {
                header: header.clone(),
                reason: reason.clone(),
            },
            other => Error::Policy {
                header: String::new(),
                reason: other.to_string(),
            },
        }
    }

    /// The same error, as found in MIME part `index` (counted from 1) of a multipart: paths
    /// grow from the innermost part out.
    #[cfg(feature = "builder")]
    pub(crate) fn in_part(self, index: usize) -> Self {
        match self {
            Error::Part { path, source } => Error::Part {
                path: format!("{index}.{path}"),
                source,
            },
            other => Error::Part {
                path: index.to_string(),
                source: Box::new(other),
            },
        }
    }
}

impl From<lettre::error::Error> for Error {
    fn from(err: lettre::error::Error) -> Self {
        use lettre::error::Error as L;
        match err {
            L::MissingFrom => Error::MissingFrom,
            L::MissingTo => Error::MissingTo,
            L::TooManyFrom => Error::TooManyFrom,
            L::EmailMissingAt => Error::EmailMissingAt,
            L::EmailMissingLocalPart => Error::EmailMissingLocalPart,
            L::EmailMissingDomain => Error::EmailMissingDomain,
            L::CannotParseFilename => Error::CannotParseFilename,
            L::Io(e) => Error::Io(e),
            L::NonAsciiChars => Error::NonAsciiChars,
        }
    }
}

/// Why a msg-id or a domain was rejected.
///
/// Each variant's `Display` says what is wrong in words a log reader understands.
///
/// # Example
///
/// ```
/// use letterhead::Reason;
///
/// assert_eq!(Reason::MissingAt.to_string(), r#"no "@" between id-left and id-right"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// Nothing but whitespace, or `<>`.
    Empty,
    /// A msg-id without `@`.
    MissingAt,
    /// A msg-id with more than one `@`.
    MultipleAt,
    /// Nothing before the `@`.
    EmptyLeft,
    /// Nothing after the `@`.
    EmptyRight,
    /// A `<` without its closing `>`.
    Unclosed,
    /// Text that is not a msg-id where one was expected.
    Unexpected(char),
    /// Whitespace inside the angle brackets.
    Whitespace,
    /// A quoted string inside an id.
    Quote,
    /// A comment inside an id.
    Comment,
    /// A control character: CR, LF, NUL, another C0 or C1 control, or DEL.
    Control(char),
    /// A format character (Unicode general category Cf): a bidi control such as U+202E, a
    /// zero-width character, U+FEFF. It changes how the text reads without being seen.
    FormatChar(char),
    /// A character that is not allowed in id-left or id-right.
    InvalidChar(char),
    /// Empty or misplaced dots in a domain.
    Dots,
    /// Non-ASCII in id-left while the policy is not in SMTPUTF8 mode (RFC 6532).
    NonAsciiLeft,
    /// `=?`, which a receiver may take for the start of an RFC 2047 encoded-word.
    EncodedWordLike,
    /// IDNA (UTS 46) refused to turn the domain into A-labels.
    Idna,
    /// IDNA (UTS 46) would change this code point on its own (remove, map or normalise it),
    /// so the A-labels would name another domain than the one given.
    IdnaChanges(char),
    /// The value is too long.
    TooLong {
        /// Its length in octets.
        len: usize,
        /// The most that fits.
        max: usize,
    },
    /// A header that holds exactly one msg-id holds another number of them.
    NotOne {
        /// How many ids were found.
        found: usize,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Empty => f.write_str("empty; a msg-id is <id-left@id-right>"),
            Reason::MissingAt => f.write_str(r#"no "@" between id-left and id-right"#),
            Reason::MultipleAt => f.write_str(r#"more than one "@" in a msg-id"#),
            Reason::EmptyLeft => f.write_str(r#"nothing before the "@""#),
            Reason::EmptyRight => f.write_str(r#"nothing after the "@""#),
            Reason::Unclosed => f.write_str(r#""<" without its closing ">""#),
            Reason::Unexpected(c) => write!(f, "unexpected {c:?} outside a msg-id"),
            Reason::Whitespace => f.write_str("whitespace inside a msg-id"),
            Reason::Quote => f.write_str("quoted string inside a msg-id (RFC 5322 3.6.4)"),
            Reason::Comment => f.write_str("comment inside a msg-id (RFC 5322 3.6.4)"),
            Reason::Control(c) => write!(
                f,
                "control character U+{:04X} in a msg-id; a header value cannot hold one",
                *c as u32
            ),
            Reason::FormatChar(c) => write!(
                f,
                "format character U+{:04X} (a bidi control or invisible character) in a \
                 msg-id; it changes how the id reads without being seen",
                *c as u32
            ),
            Reason::InvalidChar(c) => write!(f, "character {c:?} is not allowed in a msg-id"),
            Reason::Dots => f.write_str("empty label (misplaced dot) in a domain"),
            Reason::NonAsciiLeft => {
                f.write_str("non-ASCII id-left; allowed only in SMTPUTF8 mode (RFC 6532)")
            }
            Reason::EncodedWordLike => f.write_str(
                r#"contains "=?", which receivers may take for an RFC 2047 encoded-word"#,
            ),
            Reason::Idna => f.write_str("IDNA (UTS 46) cannot turn this domain into A-labels"),
            Reason::IdnaChanges(c) => write!(
                f,
                "IDNA (UTS 46) would remove, map or normalise U+{:04X} in the domain, writing \
                 another domain than the one given; write the domain without it",
                *c as u32
            ),
            Reason::TooLong { len, max } => {
                write!(f, "{len} octets long; at most {max} fit")
            }
            Reason::NotOne { found } => {
                write!(f, "holds {found} msg-ids; this header takes exactly one")
            }
        }
    }
}

/// What is wrong with a header, in [`Error::InvalidHeader`].
///
/// # Example
///
/// ```
/// use letterhead::{error::HeaderProblem, message::header::{HeaderName, HeaderValue}, Error, Message};
///
/// let err = Message::builder()
///     .from("a@example.com".parse()?)
///     .to("b@example.com".parse()?)
///     .raw_header(HeaderValue::new(
///         HeaderName::new_from_ascii_str("X-Trace"),
///         "\u{1b}[31m".to_owned(),
///     ))
///     .body(String::new())
///     .unwrap_err();
/// assert!(matches!(
///     err,
///     Error::InvalidHeader { problem: HeaderProblem::Control { line: 1, char: '\u{1b}' }, .. }
/// ));
/// assert_eq!(err.to_string(), "X-Trace: line 1 holds control character U+001B");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderProblem {
    /// A line longer than RFC 5322 allows (998 octets, section 2.1.1), counting `Name: ` on
    /// the first line.
    LineTooLong {
        /// The line, counted from 1.
        line: usize,
        /// Its length in octets.
        len: usize,
    },
    /// A control character other than HTAB: a C0 control, DEL, a C1 control, or a CR or LF
    /// that is not part of a fold.
    Control {
        /// The line, counted from 1.
        line: usize,
        /// The character.
        char: char,
    },
    /// A format character (bidi control, zero-width character) where none may stand.
    FormatChar {
        /// The line, counted from 1.
        line: usize,
        /// The character.
        char: char,
    },
    /// A line break not followed by a space or tab: the next line would be read as another
    /// header (header injection).
    LineBreak {
        /// The line that follows it, counted from 1.
        line: usize,
    },
    /// A continuation line with nothing but blanks, which ends the header block for readers.
    BlankLine {
        /// The line, counted from 1.
        line: usize,
    },
    /// Non-ASCII where the value must be ASCII (outside SMTPUTF8 mode).
    NonAscii,
    /// `=?` in an identifier header, which receivers may take for an RFC 2047 encoded-word.
    EncodedWordLike,
    /// Nothing in a header that must hold something.
    Empty,
    /// A header name with a character RFC 5322 section 2.2 does not allow in one (anything
    /// but printable ASCII other than `:`), or an empty one.
    Name {
        /// The character; `None` for an empty name.
        char: Option<char>,
    },
    /// A mailbox whose display name holds a control character other than HTAB (lettre
    /// panics on CR and LF and encodes the others, which readers then show), or whose address
    /// holds a control character or a line separator (U+2028, U+2029), which lettre writes as
    /// given into the header and the envelope.
    Mailbox {
        /// The mailbox, as `name <address>` (or the header's whole text, where lettre cannot
        /// read its mailboxes back).
        mailbox: String,
        /// The character.
        char: char,
    },
    /// The same identifier header from two places that lettre writes into one header block
    /// (the message builder and the body part): a message carries it once.
    TwoSources {
        /// Where the first came from.
        first: &'static str,
        /// Where the second came from.
        second: &'static str,
    },
}

impl fmt::Display for HeaderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // 998: RFC 5322 section 2.1.1, as `policy::HARD_LINE_LIMIT`.
            HeaderProblem::LineTooLong { line, len } => {
                write!(f, "line {line} is {len} octets; RFC 5322 allows 998")
            }
            HeaderProblem::Control { line, char } => {
                write!(f, "line {line} holds control character U+{:04X}", *char as u32)
            }
            HeaderProblem::FormatChar { line, char } => {
                write!(f, "line {line} holds format character U+{:04X}", *char as u32)
            }
            HeaderProblem::LineBreak { line } => write!(
                f,
                "line {line} follows a line break without a space: header injection"
            ),
            HeaderProblem::BlankLine { line } => write!(f, "line {line} is blank"),
            HeaderProblem::NonAscii => f.write_str("non-ASCII value outside SMTPUTF8 mode"),
            HeaderProblem::EncodedWordLike => {
                f.write_str(r#"value holds "=?", an RFC 2047 encoded-word or lookalike"#)
            }
            HeaderProblem::Empty => f.write_str("empty value"),
            HeaderProblem::Name { char: Some(c) } => write!(
                f,
                "the header name holds {c:?}; a name is printable ASCII without \":\" (RFC 5322 2.2)"
            ),
            HeaderProblem::Name { char: None } => f.write_str("empty header name"),
            HeaderProblem::Mailbox { mailbox, char } => write!(
                f,
                "mailbox {} holds {} U+{:04X}",
                Quoted(mailbox),
                if char.is_control() {
                    "control character"
                } else {
                    "line separator"
                },
                *char as u32
            ),
            HeaderProblem::TwoSources { first, second } => write!(
                f,
                "set on {first} and on {second}, which are written into one header block; set \
                 it once"
            ),
        }
    }
}

/// Writes a header name as it is, or quoted and escaped if it holds what a name cannot, so an
/// error stays one readable log line.
struct Name<'a>(&'a String);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.is_empty() && self.0.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
            f.write_str(self.0)
        } else {
            Quoted(self.0).fmt(f)
        }
    }
}

/// Writes a value quoted and escaped, cut in the middle when long, so an error stays one
/// readable log line.
struct Quoted<'a>(&'a String);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 120;
        let s = self.0.as_str();
        if s.chars().count() <= SHOWN {
            return write!(f, "{s:?}");
        }
        let head: String = s.chars().take(SHOWN / 2).collect();
        let tail: String = {
            let mut t: Vec<char> = s.chars().rev().take(SHOWN / 2).collect();
            t.reverse();
            t.into_iter().collect()
        };
        write!(f, "{head:?}...{tail:?} ({} octets)", s.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_escapes_line_breaks_and_names_the_header() {
        let e = Error::invalid_id("In-Reply-To", "<a@b>\r\nBcc: x@y", Reason::Control('\r'));
        let s = e.to_string();
        assert_eq!(
            s,
            r#"In-Reply-To: "<a@b>\r\nBcc: x@y": control character U+000D in a msg-id; a header value cannot hold one"#
        );
        assert!(!s.contains('\r') && !s.contains('\n'));
    }

    #[test]
    fn display_shortens_long_values_but_keeps_them_whole_in_the_field() {
        let long = format!("<{}@example.com>", "a".repeat(2000));
        let e = Error::invalid_id(
            "Message-ID",
            &long,
            Reason::TooLong {
                len: long.len(),
                max: 997,
            },
        );
        let s = e.to_string();
        assert!(s.len() < 300, "{s}");
        assert!(s.contains("(2014 octets)"), "{s}");
        match e {
            Error::InvalidId { value, .. } => assert_eq!(value, long),
            _ => unreachable!(),
        }
    }

    #[test]
    fn lettre_errors_convert_to_the_same_variant() {
        let e: Error = lettre::error::Error::MissingFrom.into();
        assert!(matches!(e, Error::MissingFrom));
        assert_eq!(e.to_string(), lettre::error::Error::MissingFrom.to_string());
    }
}
