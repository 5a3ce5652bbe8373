//! `from_url`: lettre's connection URLs, read as lettre reads them (lettre's own reader fills
//! its private builder).

use std::borrow::Cow;

#[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::{
    authentication::Credentials, extension::ClientId, SMTP_PORT, SUBMISSIONS_PORT, SUBMISSION_PORT,
};

use super::{error::Error, info::SmtpInfo};

/// `scheme://user:pass@hostname:port/ehlo-name?tls=TLS` into the settings it names.
pub(crate) fn from_connection_url(connection_url: &str) -> Result<SmtpInfo, Error> {
    let connection_url = url::Url::parse(connection_url).map_err(Error::connection)?;
    let tls: Option<String> = connection_url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.to_string());
    let host = connection_url
        .host_str()
        .ok_or_else(|| Error::connection("smtp host undefined"))?;
    let mut info = SmtpInfo::new(host.to_owned());
    match (connection_url.scheme(), tls.as_deref()) {
        ("smtp", None) => info.port = connection_url.port().unwrap_or(SMTP_PORT),
        #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
        ("smtp", Some("required")) => {
            info.port = connection_url.port().unwrap_or(SUBMISSION_PORT);
            info.tls = Tls::Required(TlsParameters::new(host.into())?);
        }
        #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
        ("smtp", Some("opportunistic")) => {
            info.port = connection_url.port().unwrap_or(SUBMISSION_PORT);
            info.tls = Tls::Opportunistic(TlsParameters::new(host.into())?);
        }
        #[cfg(any(feature = "native-tls", feature = "rustls", feature = "boring-tls"))]
        ("smtps", _) => {
            info.port = connection_url.port().unwrap_or(SUBMISSIONS_PORT);
            info.tls = Tls::Wrapper(TlsParameters::new(host.into())?);
        }
        (scheme, tls) => {
            let _ = (SUBMISSION_PORT, SUBMISSIONS_PORT);
            return Err(Error::connection(format!(
                "Unknown scheme '{scheme}' or tls parameter '{tls:?}', note that a transport with TLS requires one of the TLS features"
            )));
        }
    }
    // The path names the EHLO name.
    if connection_url.path().len() > 1 {
        let name = connection_url.path().trim_matches('/').to_owned();
        info.hello_name = ClientId::Domain(name);
    }
    if let Some(password) = connection_url.password() {
        let percent_decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(Cow::into_owned)
                .map_err(Error::connection)
        };
        info.credentials = Some(Credentials::new(
            percent_decode(connection_url.username())?,
            percent_decode(password)?,
        ));
    }
    Ok(info)
}
