//! The builder methods both SMTP transports share, as lettre names them.
#![allow(deprecated)] // `Tls` is deprecated by lettre when no TLS backend is on

/// Builder methods with lettre's names and documentation, for a builder with an `info` field
/// and, with `pool`, a `pool_config` field.
macro_rules! builder_methods {
    () => {
        /// Set the name used during EHLO
        pub fn hello_name(mut self, name: lettre::transport::smtp::extension::ClientId) -> Self {
            self.info.hello_name = name;
            self
        }

        /// Set the authentication credentials to use
        pub fn credentials(
            mut self,
            credentials: lettre::transport::smtp::authentication::Credentials,
        ) -> Self {
            self.info.credentials = Some(credentials);
            self
        }

        /// Authenticate as `user` with OAuth2 access tokens from `tokens` (feature `oauth2`),
        /// by OAUTHBEARER where the server offers it, else XOAUTH2; used instead of
        /// [`credentials`](Self::credentials). With
        /// [`authentication`](Self::authentication)`(vec![Mechanism::Xoauth2])`, as lettre
        /// code for Office 365 has it, XOAUTH2 only.
        ///
        /// Each new connection gets a current token; when the server refuses one, the
        /// transport fetches a new token and opens the connection once more. See
        /// [`oauth2`](crate::oauth2).
        ///
        /// ```
        /// use letterhead::{oauth2::TokenSource, SmtpTransport};
        ///
        /// let mailer = SmtpTransport::starttls_relay("smtp.gmail.com")?
        ///     .oauth2("app@example.com", TokenSource::fixed("ya29.a0Af..."))
        ///     .build();
        /// # let _ = mailer;
        /// # Ok::<(), letterhead::transport::smtp::Error>(())
        /// ```
        #[cfg(feature = "oauth2")]
        pub fn oauth2(
            mut self,
            user: impl Into<String>,
            tokens: crate::oauth2::TokenSource,
        ) -> Self {
            self.info.oauth2 = Some((user.into(), tokens));
            self
        }

        /// Set the authentication mechanism to use
        pub fn authentication(
            mut self,
            mechanisms: Vec<lettre::transport::smtp::authentication::Mechanism>,
        ) -> Self {
            self.info.authentication = mechanisms;
            self
        }

        /// Set the port to use
        ///
        /// You probably don't need to call this method: `relay` and `starttls_relay` pick the
        /// port that goes with their TLS mode.
        pub fn port(mut self, port: u16) -> Self {
            self.info.port = port;
            self
        }

        /// Set the timeout duration: the bound on every step of an SMTP session (connect,
        /// TLS handshake, greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, the content, the
        /// final reply, RSET, NOOP, QUIT). Defaults to 60 seconds; `None` waits forever.
        ///
        /// A step that does not finish in time fails with an error whose `is_timeout()` is
        /// true and whose `step()` names it; the connection is closed, never reused.
        pub fn timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
            self.info.timeout = timeout;
            self
        }

        /// Set the TLS settings to use
        ///
        /// You probably don't need to call this method: `relay` and `starttls_relay` set it.
        #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
        pub fn tls(mut self, tls: lettre::transport::smtp::client::Tls) -> Self {
            self.info.tls = tls;
            self
        }

        /// Use a custom configuration for the connection pool
        ///
        /// Defaults can be found at [`PoolConfig`](crate::transport::smtp::PoolConfig)
        #[cfg(feature = "pool")]
        pub fn pool_config(mut self, pool_config: crate::transport::smtp::PoolConfig) -> Self {
            self.pool_config = pool_config;
            self
        }
    };
}

pub(crate) use builder_methods;
