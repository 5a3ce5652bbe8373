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
    /// A valid id set around the policy (for example on a MIME part through lettre's own
    /// header types), which lettre would write encoded or changed.
    NotThroughPolicy,
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
            Reason::NotThroughPolicy => f.write_str(
                "set around the identifier policy, so lettre would write it as an RFC 2047 \
                 encoded-word or changed; set it through Attachment::new_inline or the \
                 message builder",
            ),
            Reason::NotOne { found } => {
                write!(f, "holds {found} msg-ids; this header takes exactly one")
            }
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
