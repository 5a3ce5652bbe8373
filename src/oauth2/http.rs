//! The token endpoint over HTTP (RFC 6749 sections 5.1 and 5.2), by ureq, with lettre's TLS.

use std::time::Duration;

use super::{source::AccessToken, Error};

/// The default bound on one token request.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// A token response is a few kilobytes; more is not one.
const MAX_BODY: u64 = 1 << 20;
/// The longest `expires_in` taken, in seconds (ten years).
const MAX_LIFETIME: u64 = 10 * 365 * 24 * 3600;

/// A token endpoint: its URL (`https`, or `http` on a loopback address) and timeout.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    url: String,
    /// `https` (else `http` on loopback), from the parsed URL, whatever its case.
    https: bool,
    timeout: Duration,
}

/// What a successful token response holds.
pub(crate) struct Answer {
    pub(crate) token: AccessToken,
    pub(crate) refresh_token: Option<String>,
}

impl Endpoint {
    pub(crate) fn new(url: String) -> Result<Endpoint, Error> {
        let parsed = url::Url::parse(&url)
            .map_err(|e| Error::setting("token endpoint", format!("{url:?}: {e}")))?;
        let loopback = match parsed.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        let https = parsed.scheme() == "https";
        match parsed.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(Error::setting(
                    "token endpoint",
                    format!("{url:?}: plain http is for loopback addresses only; use https"),
                ))
            }
            other => {
                return Err(Error::setting(
                    "token endpoint",
                    format!("{url:?}: the scheme {other:?} is not http or https"),
                ))
            }
        }
        Ok(Endpoint {
            url,
            https,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    pub(crate) fn timeout(mut self, timeout: Duration) -> Endpoint {
        self.timeout = timeout;
        self
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// POSTs the form and reads the token response.
    pub(crate) fn post(&self, form: &[(&str, &str)]) -> Result<Answer, Error> {
        let unreachable = |reason: String| Error::Unreachable {
            url: self.url.clone(),
            reason,
        };
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .http_status_as_error(false)
            // A redirect would carry the client secret elsewhere.
            .max_redirects(0);
        if self.https {
            // A proxy from the environment (HTTPS_PROXY, ALL_PROXY) is used: ureq tunnels
            // through it with CONNECT, and TLS runs end to end.
            config = tls::apply(config).map_err(|e| unreachable(e.to_owned()))?;
        } else {
            // Plain http is for loopback only, and stays there: a proxy would carry the
            // secret in the clear to another machine.
            config = config.proxy(None);
        }
        let agent: ureq::Agent = config.build().into();
        let mut response = agent
            .post(&self.url)
            .header("Accept", "application/json")
            .send_form(form.iter().copied())
            .map_err(|e| unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| Error::BadResponse {
                url: self.url.clone(),
                reason: format!("HTTP {status}, a body that cannot be read: {e}"),
            })?;
        self.answer(status, &body)
    }

    /// The token response `body` with HTTP `status`.
    fn answer(&self, status: u16, body: &str) -> Result<Answer, Error> {
        let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
        let field = |name: &str| -> Option<String> {
            json.as_ref()?
                .get(name)?
                .as_str()
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
        };
        // What the endpoint says goes into messages that end up in logs: one line, bounded.
        let shown = |name: &str| field(name).map(|text| start_of(&text));
        if !(200..300).contains(&status) {
            return Err(Error::Refused {
                url: self.url.clone(),
                status,
                error: shown("error").unwrap_or_else(|| start_of(body)),
                description: shown("error_description"),
            });
        }
        let bad = |reason: &str| Error::BadResponse {
            url: self.url.clone(),
            reason: reason.to_owned(),
        };
        // A 2xx body may hold a token in another form (`access_token=...`): never quoted.
        if json.is_none() {
            return Err(bad(&format!("not JSON ({} bytes)", body.len())));
        }
        let token = field("access_token").ok_or_else(|| bad("no access_token"))?;
        if let Some(kind) = field("token_type") {
            if !kind.eq_ignore_ascii_case("bearer") {
                return Err(bad(&format!("token_type {kind:?} is not Bearer")));
            }
        }
        if !super::is_b64token(&token) {
            return Err(bad(
                "the access_token has characters a Bearer token cannot have (RFC 6750 b64token)",
            ));
        }
        // A number (RFC 6749; `3600.0` too), or a string of digits (Microsoft's v1
        // endpoint); `null` is no expiry given. Up to ten years: more is not a lifetime.
        let expires_in = match json.as_ref().and_then(|j| j.get("expires_in")) {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .or_else(|| {
                        v.as_f64()
                            .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                            .map(|f| f as u64)
                    })
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .filter(|&secs| secs <= MAX_LIFETIME)
                    .ok_or_else(|| bad(&format!("expires_in {v} is not a number of seconds")))?,
            ),
        };
        Ok(Answer {
            token: AccessToken::new(token, expires_in.map(Duration::from_secs)),
            refresh_token: field("refresh_token"),
        })
    }
}

/// The start of a body that is not a JSON error, for the error message.
fn start_of(body: &str) -> String {
    let body = body.trim();
    let mut end = body.len().min(200);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let text: String = body[..end]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.is_empty() {
        "(empty body)".to_owned()
    } else {
        text
    }
}

/// TLS for the token endpoint, as lettre is built: native-tls with the platform's roots, or
/// rustls with lettre's crypto provider and roots.
mod tls {
    #[cfg(any(feature = "native-tls", feature = "rustls"))]
    use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
    use ureq::{config::ConfigBuilder, typestate::AgentScope};

    /// `agent` with TLS for an `https` endpoint.
    #[cfg(any(feature = "native-tls", feature = "rustls"))]
    pub(super) fn apply(
        agent: ConfigBuilder<AgentScope>,
    ) -> Result<ConfigBuilder<AgentScope>, &'static str> {
        Ok(agent.tls_config(config()?))
    }

    #[cfg(feature = "native-tls")]
    fn config() -> Result<TlsConfig, &'static str> {
        Ok(TlsConfig::builder()
            .provider(TlsProvider::NativeTls)
            .root_certs(RootCerts::PlatformVerifier)
            .build())
    }

    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    fn config() -> Result<TlsConfig, &'static str> {
        #[allow(unused_mut, unused_assignments)]
        let mut provider = rustls::crypto::CryptoProvider::get_default().cloned();
        #[cfg(feature = "aws-lc-rs")]
        {
            provider = Some(std::sync::Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ));
        }
        #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
        {
            provider = Some(std::sync::Arc::new(rustls::crypto::ring::default_provider()));
        }
        let provider = provider.ok_or(
            "rustls has no crypto provider: turn on lettre's `ring` or `aws-lc-rs` feature, \
             or install a process default (CryptoProvider::install_default)",
        )?;
        Ok(TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(provider)
            .root_certs(roots()?)
            .build())
    }

    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    fn roots() -> Result<RootCerts, &'static str> {
        #[cfg(feature = "webpki-roots")]
        return Ok(RootCerts::WebPki);
        #[cfg(all(feature = "rustls-platform-verifier", not(feature = "webpki-roots")))]
        return Ok(RootCerts::PlatformVerifier);
        #[cfg(all(
            feature = "rustls-native-certs",
            not(feature = "webpki-roots"),
            not(feature = "rustls-platform-verifier")
        ))]
        {
            let loaded = rustls_native_certs::load_native_certs();
            if loaded.certs.is_empty() {
                return Err("no root certificates found on this system (rustls-native-certs)");
            }
            let certs: Vec<_> = loaded
                .certs
                .iter()
                .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
                .collect();
            return Ok(RootCerts::new_with_certs(&certs));
        }
        #[allow(unreachable_code)]
        Err(
            "rustls has no root certificates: turn on lettre's `webpki-roots`, \
             `rustls-native-certs` or `rustls-platform-verifier` feature",
        )
    }

    /// No TLS feature of lettre's that ureq can use (none, or boring-tls only).
    #[cfg(not(any(feature = "native-tls", feature = "rustls")))]
    pub(super) fn apply(
        _agent: ConfigBuilder<AgentScope>,
    ) -> Result<ConfigBuilder<AgentScope>, &'static str> {
        Err(
            "no TLS for an https token endpoint: the oauth2 feature uses lettre's \
             `native-tls` or `rustls` (with `ring` or `aws-lc-rs`)",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint::new("http://127.0.0.1:9/token".into()).unwrap()
    }

    #[test]
    fn urls() {
        for ok in [
            "https://login.microsoftonline.com/x/oauth2/v2.0/token",
            "http://localhost:8080/t",
            "http://127.0.0.1/t",
            "http://[::1]:80/t",
        ] {
            assert!(Endpoint::new(ok.into()).is_ok(), "{ok}");
        }
        for bad in [
            "http://idp.example/token",
            "ftp://127.0.0.1/t",
            "login.example/token",
        ] {
            let e = Endpoint::new(bad.into()).unwrap_err();
            assert!(
                e.to_string().starts_with("OAuth2 setting token endpoint"),
                "{e}"
            );
        }
    }

    #[test]
    fn answers() {
        let a = endpoint()
            .answer(
                200,
                r#"{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0.eyJ1.c2ln"}"#,
            )
            .unwrap();
        assert_eq!(a.token.secret(), "eyJ0.eyJ1.c2ln");
        assert!(a.token.expires_at().is_some() && a.refresh_token.is_none());
        let a = endpoint()
            .answer(
                200,
                r#"{"access_token":"t","expires_in":"3600","refresh_token":"r2"}"#,
            )
            .unwrap();
        assert_eq!(a.refresh_token.as_deref(), Some("r2"));

        let e = endpoint()
            .answer(
                401,
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#,
            )
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "token endpoint http://127.0.0.1:9/token refused the request (HTTP 401): \
             invalid_client (AADSTS7000215: Invalid client secret provided.)"
        );
        let e = endpoint()
            .answer(502, "<html>\r\nBad gateway")
            .err()
            .unwrap();
        assert!(
            e.to_string().ends_with("(HTTP 502): <html>  Bad gateway"),
            "{e}"
        );
        for (body, why) in [
            ("{}", "no access_token"),
            (
                r#"{"access_token":"t","token_type":"mac"}"#,
                "is not Bearer",
            ),
            (r#"{"access_token":"a b"}"#, "b64token"),
            (r#"{"access_token":"a\r\nBcc: x"}"#, "b64token"),
            (r#"{"access_token":"t","expires_in":-1}"#, "expires_in"),
            ("ok", "not JSON"),
            (
                r#"{"access_token":"t","expires_in":18446744073709551615}"#,
                "expires_in",
            ),
        ] {
            let e = endpoint().answer(200, body).err().unwrap();
            assert!(e.to_string().contains(why), "{body}: {e}");
        }
        for (expires_in, known) in [("null", false), ("3600.0", true), ("\"60\"", true)] {
            let body = format!(r#"{{"access_token":"t","expires_in":{expires_in}}}"#);
            let a = endpoint().answer(200, &body).unwrap();
            assert_eq!(a.token.expires_at().is_some(), known, "{body}");
        }
    }

    #[test]
    fn what_an_error_quotes() {
        // A 2xx body that is not JSON may be a token in another form: not quoted.
        let e = endpoint()
            .answer(200, "access_token=eyJsecret&expires_in=3600")
            .err()
            .unwrap();
        assert!(!e.to_string().contains("eyJsecret"), "{e}");
        // Microsoft's descriptions hold line breaks (Trace ID, Correlation ID): one line.
        let e = endpoint()
            .answer(
                400,
                r#"{"error":"invalid_scope","error_description":"AADSTS70011: bad.\r\nTrace ID: 1\r\nCorrelation ID: 2"}"#,
            )
            .err()
            .unwrap();
        let shown = e.to_string();
        assert!(!shown.contains(['\r', '\n']), "{shown:?}");
        assert!(
            shown.contains("AADSTS70011: bad.  Trace ID: 1"),
            "{shown:?}"
        );
    }

    #[test]
    fn the_scheme_is_read_whatever_its_case() {
        assert!(
            Endpoint::new("HTTPS://login.example/t".into())
                .unwrap()
                .https
        );
        assert!(!Endpoint::new("HTTP://127.0.0.1/t".into()).unwrap().https);
    }
}
