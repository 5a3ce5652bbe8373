//! Where tokens come from: the OAuth2 grants (RFC 6749) a mail-sending app uses.

use std::{fmt, sync::Mutex, time::Duration};

use super::{http::Endpoint, source::AccessToken, Error};

/// Fetches a new access token: what a [`TokenSource`](super::TokenSource) calls when its
/// token is due. Blocking; the source calls it on a thread of its own for async senders,
/// and never twice at once.
///
/// Implement it for a token from elsewhere (a managed identity, a secrets vault, a
/// sidecar):
///
/// ```
/// use std::time::Duration;
/// use letterhead::oauth2::{AccessToken, Error, Grant, TokenSource};
///
/// #[derive(Debug)]
/// struct FromFile(std::path::PathBuf);
///
/// impl Grant for FromFile {
///     fn fetch(&self) -> Result<AccessToken, Error> {
///         let token = std::fs::read_to_string(&self.0).map_err(Error::other)?;
///         Ok(AccessToken::new(token.trim(), Some(Duration::from_secs(600))))
///     }
/// }
///
/// let tokens = TokenSource::new(FromFile("/run/secrets/smtp-token".into()));
/// # let _ = tokens;
/// ```
pub trait Grant: fmt::Debug + Send + Sync + 'static {
    /// A new token.
    ///
    /// It must bound its own time, as the grants here do (30 seconds by default): while it
    /// runs, everyone who needs a token waits for it.
    fn fetch(&self) -> Result<AccessToken, Error>;
}

/// A grant the application keeps a handle on, to read its state (the rotated refresh token
/// of a [`RefreshToken`]).
impl<G: Grant> Grant for std::sync::Arc<G> {
    fn fetch(&self) -> Result<AccessToken, Error> {
        (**self).fetch()
    }
}

/// The Microsoft identity platform's v2 token endpoint of `tenant`.
fn microsoft_endpoint(tenant: &str) -> Result<String, Error> {
    let ok = !tenant.is_empty()
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !ok {
        return Err(Error::setting(
            "tenant",
            format!("{tenant:?} is not a tenant id or domain (letters, digits, '-', '.')"),
        ));
    }
    Ok(format!(
        "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
    ))
}

fn non_empty(setting: &'static str, value: String) -> Result<String, Error> {
    if value.trim().is_empty() {
        Err(Error::setting(setting, "is empty"))
    } else {
        Ok(value)
    }
}

/// The client-credentials grant (RFC 6749 section 4.4): an app's own token, with no user
/// signing in. For Office 365, the app registration needs the `SMTP.SendAsApp` permission
/// and an Exchange service principal with rights on the mailbox it sends as (README,
/// "Office 365").
///
/// ```
/// use letterhead::oauth2::{ClientCredentials, TokenSource};
///
/// let grant = ClientCredentials::microsoft("contoso.onmicrosoft.com", "client-id", "secret")?;
/// assert_eq!(
///     grant.url(),
///     "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
/// );
/// let tokens = TokenSource::new(grant);
/// # let _ = tokens;
/// # Ok::<(), letterhead::oauth2::Error>(())
/// ```
pub struct ClientCredentials {
    endpoint: Endpoint,
    client_id: String,
    client_secret: String,
    scope: Option<String>,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("url", &self.endpoint.url())
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

impl ClientCredentials {
    /// The Microsoft identity platform v2 endpoint of `tenant` (its id, or a domain such as
    /// `contoso.onmicrosoft.com`), scope `https://outlook.office365.com/.default`.
    pub fn microsoft(
        tenant: &str,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<ClientCredentials, Error> {
        Ok(
            ClientCredentials::new(microsoft_endpoint(tenant)?, client_id, client_secret)?
                .scope("https://outlook.office365.com/.default"),
        )
    }

    /// Any token endpoint (`https`, or `http` on a loopback address), no scope.
    pub fn new(
        url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<ClientCredentials, Error> {
        Ok(ClientCredentials {
            endpoint: Endpoint::new(url.into())?,
            client_id: non_empty("client_id", client_id.into())?,
            client_secret: non_empty("client_secret", client_secret.into())?,
            scope: None,
        })
    }

    /// The `scope` to ask for.
    ///
    /// ```
    /// use letterhead::oauth2::ClientCredentials;
    ///
    /// let grant = ClientCredentials::new("https://idp.example/token", "id", "secret")?
    ///     .scope("smtp.send");
    /// # let _ = grant;
    /// # Ok::<(), letterhead::oauth2::Error>(())
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> ClientCredentials {
        self.scope = Some(scope.into());
        self
    }

    /// How long one request to the token endpoint may take, from connect to the last byte
    /// (30 seconds by default).
    ///
    /// ```
    /// use std::time::Duration;
    /// use letterhead::oauth2::ClientCredentials;
    ///
    /// let grant = ClientCredentials::new("https://idp.example/token", "id", "secret")?
    ///     .timeout(Duration::from_secs(10));
    /// # let _ = grant;
    /// # Ok::<(), letterhead::oauth2::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> ClientCredentials {
        self.endpoint = self.endpoint.timeout(timeout);
        self
    }

    /// The token endpoint.
    pub fn url(&self) -> &str {
        self.endpoint.url()
    }
}

impl Grant for ClientCredentials {
    fn fetch(&self) -> Result<AccessToken, Error> {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
        ];
        if let Some(scope) = &self.scope {
            form.push(("scope", scope));
        }
        Ok(self.endpoint.post(&form)?.token)
    }
}

/// The refresh-token grant (RFC 6749 section 6): a user's token, from the refresh token the
/// user's consent produced once (Gmail; Microsoft for a signed-in user). When the endpoint
/// hands out a new refresh token, the grant uses it from then on. That is in memory: to
/// store it across restarts, keep the grant in an `Arc`, give the `TokenSource` a clone,
/// and read [`refresh_token`](RefreshToken::refresh_token) from yours.
///
/// ```
/// use std::sync::Arc;
/// use letterhead::oauth2::{RefreshToken, TokenSource};
///
/// let grant = Arc::new(RefreshToken::microsoft("common", "client-id", "0.AXo...")?);
/// assert_eq!(grant.url(), "https://login.microsoftonline.com/common/oauth2/v2.0/token");
/// let tokens = TokenSource::new(grant.clone());
/// // ... later, to save for the next start:
/// let current = grant.refresh_token();
/// # let _ = (tokens, current);
/// # Ok::<(), letterhead::oauth2::Error>(())
/// ```
pub struct RefreshToken {
    endpoint: Endpoint,
    client_id: String,
    client_secret: Option<String>,
    scope: Option<String>,
    refresh_token: Mutex<String>,
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshToken")
            .field("url", &self.endpoint.url())
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("scope", &self.scope)
            .field("refresh_token", &"<redacted>")
            .finish()
    }
}

impl RefreshToken {
    /// Google's token endpoint (Gmail: `smtp.gmail.com` with the scope
    /// `https://mail.google.com/` granted at consent).
    pub fn google(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> Result<RefreshToken, Error> {
        RefreshToken::new(
            "https://oauth2.googleapis.com/token",
            client_id,
            refresh_token,
        )?
        .client_secret(client_secret)
    }

    /// The Microsoft identity platform v2 endpoint of `tenant` (`common`, `organizations`,
    /// an id or a domain) for a public client (no secret), scope
    /// `https://outlook.office.com/SMTP.Send offline_access`.
    pub fn microsoft(
        tenant: &str,
        client_id: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> Result<RefreshToken, Error> {
        Ok(
            RefreshToken::new(microsoft_endpoint(tenant)?, client_id, refresh_token)?
                .scope("https://outlook.office.com/SMTP.Send offline_access"),
        )
    }

    /// Any token endpoint (`https`, or `http` on a loopback address), no client secret, no
    /// scope.
    pub fn new(
        url: impl Into<String>,
        client_id: impl Into<String>,
        refresh_token: impl Into<String>,
    ) -> Result<RefreshToken, Error> {
        Ok(RefreshToken {
            endpoint: Endpoint::new(url.into())?,
            client_id: non_empty("client_id", client_id.into())?,
            client_secret: None,
            scope: None,
            refresh_token: Mutex::new(non_empty("refresh_token", refresh_token.into())?),
        })
    }

    /// The client secret, for a confidential client.
    ///
    /// ```
    /// use letterhead::oauth2::RefreshToken;
    ///
    /// let grant = RefreshToken::new("https://idp.example/token", "id", "refresh")?
    ///     .client_secret("secret")?;
    /// # let _ = grant;
    /// # Ok::<(), letterhead::oauth2::Error>(())
    /// ```
    pub fn client_secret(mut self, secret: impl Into<String>) -> Result<RefreshToken, Error> {
        self.client_secret = Some(non_empty("client_secret", secret.into())?);
        Ok(self)
    }

    /// The `scope` to ask for.
    ///
    /// ```
    /// use letterhead::oauth2::RefreshToken;
    ///
    /// let grant = RefreshToken::new("https://idp.example/token", "id", "refresh")?
    ///     .scope("https://mail.google.com/");
    /// # let _ = grant;
    /// # Ok::<(), letterhead::oauth2::Error>(())
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> RefreshToken {
        self.scope = Some(scope.into());
        self
    }

    /// How long one request to the token endpoint may take, from connect to the last byte
    /// (30 seconds by default).
    ///
    /// ```
    /// use std::time::Duration;
    /// use letterhead::oauth2::RefreshToken;
    ///
    /// let grant = RefreshToken::new("https://idp.example/token", "id", "refresh")?
    ///     .timeout(Duration::from_secs(10));
    /// # let _ = grant;
    /// # Ok::<(), letterhead::oauth2::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> RefreshToken {
        self.endpoint = self.endpoint.timeout(timeout);
        self
    }

    /// The token endpoint.
    pub fn url(&self) -> &str {
        self.endpoint.url()
    }

    /// The refresh token in use: the one given, or the last one the endpoint handed out.
    ///
    /// ```
    /// use letterhead::oauth2::RefreshToken;
    ///
    /// let grant = RefreshToken::new("https://idp.example/token", "id", "refresh")?;
    /// assert_eq!(grant.refresh_token(), "refresh");
    /// # Ok::<(), letterhead::oauth2::Error>(())
    /// ```
    pub fn refresh_token(&self) -> String {
        self.refresh_token
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Grant for RefreshToken {
    fn fetch(&self) -> Result<AccessToken, Error> {
        let refresh_token = self.refresh_token();
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("client_id", &self.client_id),
            ("refresh_token", &refresh_token),
        ];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret));
        }
        if let Some(scope) = &self.scope {
            form.push(("scope", scope));
        }
        let answer = self.endpoint.post(&form)?;
        if let Some(rotated) = answer.refresh_token {
            *self.refresh_token.lock().unwrap_or_else(|e| e.into_inner()) = rotated;
        }
        Ok(answer.token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let grant =
            ClientCredentials::microsoft("contoso.onmicrosoft.com", "app-id", "s3cr3t~value")
                .unwrap();
        let shown = format!("{grant:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(
            shown.contains("app-id") && shown.contains("<redacted>"),
            "{shown}"
        );

        let grant = RefreshToken::google("app-id", "s3cr3t~value", "1//0g-refresh").unwrap();
        let shown = format!("{grant:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("1//0g"),
            "{shown}"
        );
    }
}
