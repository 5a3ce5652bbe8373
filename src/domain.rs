//! Where the Message-ID domain comes from.
//!
//! Every message letterhead builds gets a Message-ID `<LEFT@DOMAIN>`. DOMAIN is the first of:
//!
//! 1. the per-message setting, `MessageBuilder::message_id_domain`;
//! 2. the process-wide [`Config`](crate::Config), if one was
//!    [installed](crate::Config::install) and names a domain;
//! 3. the `MESSAGE_ID_DOMAIN` environment variable ([`ENV_VAR`]), read once, on first use;
//! 4. the domain of the author: the Sender address if the message has one, else the From
//!    address, if it can be a Message-ID domain (an address lettre accepts may have a domain
//!    that cannot, such as `bü_ro.example`; the order then moves on, as From is not a
//!    setting);
//! 5. the machine's host name, only if it is a multi-label domain short enough
//!    ([`HOSTNAME_MAX_LEN`]) that the whole `Message-ID: <...>` line fits in 78 characters
//!    (needs the `hostname` feature; looked up once);
//! 6. `localhost`.
//!
//! Whatever the source, the domain is validated like an RFC 5322 id-right and written as
//! A-labels (`büro.example` becomes `xn--bro-hoa.example`) when nothing but that conversion
//! changes it. A configured value that is not valid (steps 1 to 3) is an error naming its
//! source, such as
//! `MESSAGE_ID_DOMAIN: "bad domain>": character ' ' is not allowed in a msg-id`; it never
//! falls through to the next step.

use std::{borrow::Cow, fmt, sync::OnceLock};

use crate::{error::Reason, grammar::id_right, Error};

/// The environment variable that names the Message-ID domain (step 3 of the order).
///
/// # Example
///
/// ```
/// assert_eq!(letterhead::domain::ENV_VAR, "MESSAGE_ID_DOMAIN");
/// ```
pub const ENV_VAR: &str = "MESSAGE_ID_DOMAIN";

/// The longest host name used as a Message-ID domain (step 5): `Message-ID: <` + 32 + `@` +
/// host + `>` fits in 78 characters.
///
/// # Example
///
/// ```
/// assert_eq!(letterhead::domain::HOSTNAME_MAX_LEN, 31);
/// ```
pub const HOSTNAME_MAX_LEN: usize = 78 - "Message-ID: <".len() - 32 - "@>".len();

/// A validated Message-ID domain: a dot-atom or `[...]` literal of at most
/// [`Domain::MAX_LEN`] octets, non-ASCII turned into A-labels.
///
/// # Example
///
/// ```
/// use letterhead::Domain;
///
/// assert_eq!(Domain::parse("Büro.example")?.as_str(), "xn--bro-hoa.example");
/// assert_eq!(Domain::parse("mail.example.com")?.as_str(), "mail.example.com");
/// assert!(Domain::parse("bad domain>").is_err());
/// # Ok::<(), letterhead::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Domain(Box<str>);

impl Domain {
    /// The longest domain accepted, in octets (the DNS limit).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::Domain::MAX_LEN, 253);
    /// ```
    pub const MAX_LEN: usize = 253;

    /// Validates `s` as a Message-ID domain.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDomain`] naming the setting `domain`.
    ///
    /// # Example
    ///
    /// ```
    /// let d = letterhead::Domain::parse("[192.0.2.1]")?;
    /// assert_eq!(d.as_str(), "[192.0.2.1]");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, Error> {
        Self::parse_setting("domain", s)
    }

    /// Validates `s`, naming `setting` in the error.
    pub(crate) fn parse_setting(setting: &str, s: &str) -> Result<Self, Error> {
        Self::check(s).map_err(|reason| Error::invalid_domain(setting, s, reason))
    }

    fn check(s: &str) -> Result<Self, Reason> {
        if s.is_empty() {
            return Err(Reason::Empty);
        }
        let ascii = id_right(s)?;
        if ascii.contains("=?") {
            return Err(Reason::EncodedWordLike);
        }
        if ascii.len() > Self::MAX_LEN {
            return Err(Reason::TooLong {
                len: ascii.len(),
                max: Self::MAX_LEN,
            });
        }
        Ok(Domain(ascii.into()))
    }

    /// `localhost`, the last resort (step 6).
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::Domain::localhost().as_str(), "localhost");
    /// ```
    pub fn localhost() -> Self {
        Domain("localhost".into())
    }

    /// The domain as written into a msg-id.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(letterhead::Domain::parse("EXAMPLE.com")?.as_str(), "EXAMPLE.com");
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the domain has at least two labels (`mail.example`, not `vm`), as a host name
    /// must to be used (step 5) and as spam filters expect.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::Domain;
    ///
    /// assert!(Domain::parse("mail.example")?.is_multi_label());
    /// assert!(!Domain::parse("vm")?.is_multi_label());
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn is_multi_label(&self) -> bool {
        !self.0.starts_with('[') && self.0.trim_end_matches('.').contains('.')
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Domain").field(&&*self.0).finish()
    }
}

impl std::str::FromStr for Domain {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Domain::parse(s)
    }
}

/// Which step of the order gave the Message-ID domain.
///
/// # Example
///
/// ```
/// use letterhead::domain::{resolve, Source};
///
/// let (domain, source) = resolve(None, None, Some("example.com"))?;
/// # let _ = (domain, source);
/// // With no Config installed and MESSAGE_ID_DOMAIN unset, the author's domain is used:
/// # if std::env::var_os("MESSAGE_ID_DOMAIN").is_none() {
/// assert_eq!(source, Source::Author);
/// # }
/// # Ok::<(), letterhead::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The per-message setting.
    Message,
    /// The installed [`Config`](crate::Config).
    Config,
    /// The `MESSAGE_ID_DOMAIN` environment variable.
    Env,
    /// The Sender or From address.
    Author,
    /// The machine's host name.
    Hostname,
    /// `localhost`.
    Localhost,
}

impl Source {
    /// The name errors give this source.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Source::Message => "message_id_domain",
            Source::Config => "Config::message_id_domain",
            Source::Env => ENV_VAR,
            Source::Author => "Sender/From",
            Source::Hostname => "host name",
            Source::Localhost => "localhost",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub(crate) fn domain_from_env() -> Result<Option<Domain>, Error> {
    match std::env::var(ENV_VAR) {
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => Domain::parse_setting(ENV_VAR, &v).map(Some),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(Error::invalid_domain(
            ENV_VAR,
            &v.to_string_lossy(),
            Reason::InvalidChar(char::REPLACEMENT_CHARACTER),
        )),
    }
}

/// `MESSAGE_ID_DOMAIN`, read and validated once; an error is kept as (value, reason) and
/// returned as a fresh [`Error`] each time step 3 is reached.
fn env_domain() -> Result<Option<&'static Domain>, Error> {
    static ENV: OnceLock<Result<Option<Domain>, (String, Reason)>> = OnceLock::new();
    let cached = ENV.get_or_init(|| {
        domain_from_env().map_err(|e| match e {
            Error::InvalidDomain { value, reason, .. } => (value, reason),
            _ => unreachable!("domain_from_env only returns InvalidDomain"),
        })
    });
    match cached {
        Ok(d) => Ok(d.as_ref()),
        Err((value, reason)) => Err(Error::invalid_domain(ENV_VAR, value, reason.clone())),
    }
}

/// The machine's host name, if usable (step 5); looked up once.
fn host_domain() -> Option<&'static Domain> {
    static HOST: OnceLock<Option<Domain>> = OnceLock::new();
    HOST.get_or_init(|| {
        #[cfg(feature = "hostname")]
        {
            let name = hostname::get().ok()?.into_string().ok()?;
            usable_host(&name)
        }
        #[cfg(not(feature = "hostname"))]
        None
    })
    .as_ref()
}

/// A host name is used only if it is a multi-label, short domain of letters, digits and
/// hyphens.
#[cfg(any(feature = "hostname", test))]
fn usable_host(name: &str) -> Option<Domain> {
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return None;
    }
    let d = Domain::check(name).ok()?;
    (d.is_multi_label() && d.as_str().len() <= HOSTNAME_MAX_LEN).then_some(d)
}

/// Picks the Message-ID domain in the documented order.
///
/// `per_message` is step 1, `configured` step 2 (the installed
/// [`Config`](crate::Config)'s domain, which the message builder passes) and `author_domain`
/// (the Sender's, else the From address's domain) step 4; `MESSAGE_ID_DOMAIN` and the host
/// name are looked up here, each only once per process.
///
/// # Errors
///
/// [`Error::InvalidDomain`] when `MESSAGE_ID_DOMAIN` is reached and invalid.
///
/// # Example
///
/// ```
/// use letterhead::{domain::{resolve, Source}, Domain};
///
/// let mine = Domain::parse("mail.example.com")?;
/// let (domain, source) = resolve(Some(&mine), None, Some("example.org"))?;
/// assert_eq!((domain.as_str(), source), ("mail.example.com", Source::Message));
/// # Ok::<(), letterhead::Error>(())
/// ```
pub fn resolve<'a>(
    per_message: Option<&'a Domain>,
    configured: Option<&'a Domain>,
    author_domain: Option<&str>,
) -> Result<(Cow<'a, Domain>, Source), Error> {
    pick(
        per_message,
        configured,
        || -> Result<Option<&'a Domain>, Error> { env_domain() },
        author_domain,
        || -> Option<&'a Domain> { host_domain() },
    )
}

/// The order itself, with every source passed in, so each step can be tested.
fn pick<'a>(
    per_message: Option<&'a Domain>,
    config: Option<&'a Domain>,
    env: impl FnOnce() -> Result<Option<&'a Domain>, Error>,
    author_domain: Option<&str>,
    host: impl FnOnce() -> Option<&'a Domain>,
) -> Result<(Cow<'a, Domain>, Source), Error> {
    if let Some(d) = per_message {
        return Ok((Cow::Borrowed(d), Source::Message));
    }
    if let Some(d) = config {
        return Ok((Cow::Borrowed(d), Source::Config));
    }
    if let Some(d) = env()? {
        return Ok((Cow::Borrowed(d), Source::Env));
    }
    // The author's address is no setting: a domain that cannot be a Message-ID domain moves
    // the order on instead of failing the message.
    if let Some(d) = author_domain.and_then(|a| Domain::check(a).ok()) {
        return Ok((Cow::Owned(d), Source::Author));
    }
    if let Some(d) = host() {
        return Ok((Cow::Borrowed(d), Source::Hostname));
    }
    Ok((Cow::Owned(Domain::localhost()), Source::Localhost))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Domain {
        Domain::parse(s).unwrap()
    }

    fn no_env<'a>() -> Result<Option<&'a Domain>, Error> {
        Ok(None)
    }

    fn no_host<'a>() -> Option<&'a Domain> {
        None
    }

    #[test]
    fn each_step_of_the_order() {
        let (m, c, e, h) = (
            d("m.example"),
            d("c.example"),
            d("e.example"),
            d("h.example"),
        );
        let env = || Ok(Some(&e));
        let host = || Some(&h);

        let r = pick(Some(&m), Some(&c), env, Some("a.example"), host).unwrap();
        assert_eq!((r.0.as_str(), r.1), ("m.example", Source::Message));
        let r = pick(None, Some(&c), env, Some("a.example"), host).unwrap();
        assert_eq!((r.0.as_str(), r.1), ("c.example", Source::Config));
        let r = pick(None, None, env, Some("a.example"), host).unwrap();
        assert_eq!((r.0.as_str(), r.1), ("e.example", Source::Env));
        let r = pick(None, None, no_env, Some("bü.example"), host).unwrap();
        assert_eq!((r.0.as_str(), r.1), ("xn--b-eha.example", Source::Author));
        let r = pick(None, None, no_env, None, host).unwrap();
        assert_eq!((r.0.as_str(), r.1), ("h.example", Source::Hostname));
        // An author's domain that cannot be a Message-ID domain moves the order on.
        let r = pick(None, None, no_env, Some("bü_ro.example"), host).unwrap();
        assert_eq!((r.0.as_str(), r.1), ("h.example", Source::Hostname));
        let r = pick(None, None, no_env, Some("bü_ro.example"), no_host).unwrap();
        assert_eq!(r.1, Source::Localhost);
        let r = pick(None, None, no_env, None, no_host).unwrap();
        assert_eq!((r.0.as_str(), r.1), ("localhost", Source::Localhost));
    }

    #[test]
    fn an_invalid_env_value_is_an_error_not_a_fallback() {
        let env = || {
            Err(Error::invalid_domain(
                ENV_VAR,
                "bad domain>",
                Reason::InvalidChar(' '),
            ))
        };
        let err = pick(None, None, env, Some("a.example"), no_host).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"MESSAGE_ID_DOMAIN: "bad domain>": character ' ' is not allowed in a msg-id"#
        );
        // Steps before it win without reading it.
        let c = d("c.example");
        let env = || -> Result<Option<&Domain>, Error> { panic!("env read after config") };
        assert!(pick(None, Some(&c), env, None, no_host).is_ok());
    }

    #[test]
    fn settings_are_validated_and_name_their_source() {
        for (bad, why) in [
            ("bad domain>", Reason::InvalidChar(' ')),
            ("", Reason::Empty),
            ("example.com\r\nBcc: x@y", Reason::Control('\r')),
            ("a..b", Reason::Dots),
            ("ex<ample.com", Reason::InvalidChar('<')),
            ("=?utf-8?q?x?=", Reason::EncodedWordLike),
            ("exa\u{200b}mple.cöm", Reason::IdnaChanges('\u{200b}')),
            ("bü\u{ad}ro.example", Reason::IdnaChanges('\u{ad}')),
            ("bü\u{2060}ro.example", Reason::IdnaChanges('\u{2060}')),
            ("büro\u{ff0e}example", Reason::IdnaChanges('\u{ff0e}')),
        ] {
            match Domain::parse_setting(ENV_VAR, bad) {
                Err(Error::InvalidDomain {
                    setting,
                    value,
                    reason,
                }) => {
                    assert_eq!((setting.as_str(), value.as_str()), (ENV_VAR, bad));
                    assert_eq!(reason, why, "{bad:?}");
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        let long = format!("{}.example", "a".repeat(250));
        assert!(matches!(
            Domain::check(&long),
            Err(Reason::TooLong { max: 253, .. })
        ));
    }

    #[test]
    fn host_names_are_used_only_when_short_and_multi_label() {
        assert_eq!(
            usable_host("web-1.example.com").map(|d| d.to_string()),
            Some("web-1.example.com".into())
        );
        assert_eq!(usable_host("dyno"), None);
        assert_eq!(usable_host("localhost"), None);
        assert_eq!(
            usable_host("aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com"),
            None
        );
        assert_eq!(usable_host("bad_host!.example"), None);
        assert_eq!(usable_host("has space.example"), None);
        let longest = format!("{}.example", "a".repeat(HOSTNAME_MAX_LEN - 8));
        assert!(usable_host(&longest).is_some());
        assert_eq!(
            format!("Message-ID: <{}@{longest}>", "f".repeat(32)).len(),
            78
        );
        assert!(usable_host(&format!("a{longest}")).is_none());
    }
}
