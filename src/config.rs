//! Process-wide settings: the [`Config`] an app installs once at start-up, and the policy in
//! force when a message names none.

use std::sync::OnceLock;

use crate::{
    domain::{domain_from_env, Domain, Source},
    Error,
};

/// Process-wide settings, installed once at start-up.
///
/// # Example
///
/// ```
/// use letterhead::{Config, IdentifierPolicy};
///
/// # fn main() -> Result<(), letterhead::Error> {
/// let config = Config::new()
///     .message_id_domain("mail.example.com")?
///     .policy(IdentifierPolicy::new().smtputf8(false));
/// assert_eq!(config.domain().unwrap().as_str(), "mail.example.com");
/// // At start-up, once: config.install()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Config {
    domain: Option<Domain>,
    #[cfg(feature = "builder")]
    policy: Option<std::sync::Arc<dyn crate::HeaderPolicy>>,
}

static INSTALLED: OnceLock<Config> = OnceLock::new();

impl Config {
    /// An empty configuration: no domain, the default policy.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(letterhead::Config::new().domain().is_none());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A configuration whose domain is `MESSAGE_ID_DOMAIN`, if that is set and not empty.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDomain`] naming `MESSAGE_ID_DOMAIN` when the variable is set to an
    /// invalid domain or to something that is not Unicode.
    ///
    /// # Example
    ///
    /// ```
    /// # fn main() -> Result<(), letterhead::Error> {
    /// let config = letterhead::Config::from_env()?;
    /// // config.install()?;
    /// # Ok(()) }
    /// ```
    // Without the `builder` feature the domain is Config's only field.
    #[cfg_attr(not(feature = "builder"), allow(clippy::needless_update))]
    pub fn from_env() -> Result<Self, Error> {
        Ok(Config {
            domain: domain_from_env()?,
            ..Self::default()
        })
    }

    /// Sets the Message-ID domain (step 2 of the order).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDomain`] naming `Config::message_id_domain`.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::Config;
    ///
    /// assert!(Config::new().message_id_domain("büro.example").is_ok());
    /// let err = Config::new().message_id_domain("a b").unwrap_err();
    /// assert!(err.to_string().starts_with("Config::message_id_domain: \"a b\""));
    /// ```
    pub fn message_id_domain(mut self, domain: &str) -> Result<Self, Error> {
        self.domain = Some(Domain::parse_setting(Source::Config.name(), domain)?);
        Ok(self)
    }

    /// Sets the policy every message uses unless its builder names another.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{Config, IdentifierPolicy};
    ///
    /// let config = Config::new().policy(IdentifierPolicy::new().soft_line_length(100));
    /// # let _ = config;
    /// ```
    #[cfg(feature = "builder")]
    pub fn policy<P: crate::HeaderPolicy + 'static>(mut self, policy: P) -> Self {
        self.policy = Some(std::sync::Arc::new(policy));
        self
    }

    /// The configured Message-ID domain, if any.
    ///
    /// # Example
    ///
    /// ```
    /// let c = letterhead::Config::new().message_id_domain("example.com")?;
    /// assert_eq!(c.domain().map(|d| d.as_str()), Some("example.com"));
    /// # Ok::<(), letterhead::Error>(())
    /// ```
    pub fn domain(&self) -> Option<&Domain> {
        self.domain.as_ref()
    }

    /// The configured policy, if any.
    #[cfg(feature = "builder")]
    pub(crate) fn policy_ref(&self) -> Option<&std::sync::Arc<dyn crate::HeaderPolicy>> {
        self.policy.as_ref()
    }

    /// Installs this configuration for the whole process. Call it once, at start-up, before
    /// building messages.
    ///
    /// # Errors
    ///
    /// [`Error::ConfigAlreadyInstalled`] on a second call; the first configuration stays.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::Config;
    ///
    /// # fn main() -> Result<(), letterhead::Error> {
    /// Config::new().message_id_domain("mail.example.com")?.install()?;
    /// assert_eq!(Config::installed().unwrap().domain().unwrap().as_str(), "mail.example.com");
    /// assert!(Config::new().install().is_err());
    /// # Ok(()) }
    /// ```
    pub fn install(self) -> Result<(), Error> {
        INSTALLED
            .set(self)
            .map_err(|_| Error::ConfigAlreadyInstalled)
    }

    /// The installed configuration, if any.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(letterhead::Config::installed().is_none());
    /// ```
    pub fn installed() -> Option<&'static Config> {
        INSTALLED.get()
    }
}

/// The policy in force when a message or part names none: the installed [`Config`]'s, else
/// the default [`IdentifierPolicy`](crate::IdentifierPolicy).
#[cfg(feature = "builder")]
pub(crate) fn policy() -> &'static dyn crate::HeaderPolicy {
    match Config::installed().and_then(|c| c.policy.as_ref()) {
        Some(p) => p.as_ref(),
        None => crate::policy::default_identifier_policy(),
    }
}
