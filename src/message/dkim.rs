//! DKIM signatures (RFC 6376, and RFC 8463 for Ed25519) over the message as it is sent.
//!
//! lettre's types, at lettre's path and with lettre's constructors, so lettre code compiles
//! unchanged; the signer is letterhead's own. It signs the header block and the body exactly
//! as [`formatted()`](lettre::Message::formatted) writes them (a multipart's top-level
//! Content-Type included, which lettre keeps in the body part), canonicalized as RFC 6376
//! section 3.4 says, and writes a DKIM-Signature whose hashed form (with `b=` empty) is the
//! written one, so `simple` and `relaxed` both verify.
//!
//! What differs from lettre, on purpose:
//!
//! - the default canonicalization ([`DkimConfig::default_config`],
//!   [`DkimCanonicalization::default`]) is relaxed/relaxed (lettre: simple/relaxed), the
//!   common practice: it survives the re-folding that relays do (RFC 6376 section 3.4.5);
//! - a second signature is added beside the first (lettre replaces it), on top of the header
//!   block (RFC 6376 section 5.6);
//! - [`DkimConfig::oversign`] lists each header once more than it occurs, so none can be added
//!   after signing;
//! - a setting that cannot be written into a DKIM-Signature (a selector or domain that is not a
//!   DNS name, a header name holding `;`, a list without From) is an error from
//!   [`Message::try_sign`](crate::Message::try_sign) and [`DkimConfig::check`];
//!   [`Message::sign`](crate::Message::sign), whose signature is lettre's, then leaves the
//!   message unsigned rather than write a broken header;
//! - keys: PKCS#8 PEM is read too, for RSA and Ed25519 (what `openssl genpkey` writes); an
//!   RSA key under 1024 bits is refused (verifiers must refuse it, RFC 8301 section 3.2).
//!
//! ```
//! use letterhead::message::{
//!     dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey},
//!     header::ContentType,
//! };
//! use letterhead::Message;
//!
//! let mut email = Message::builder()
//!     .from("Alice <alice@letterhead.test>".parse()?)
//!     .to("Carla <carla@example.net>".parse()?)
//!     .subject("Hello")
//!     .header(ContentType::TEXT_PLAIN)
//!     .body(String::from("Hi there!"))?;
//! // A test key: never use a key from documentation for real mail.
//! let key = DkimSigningKey::new(
//!     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
//!     DkimSigningAlgorithm::Ed25519,
//! )?;
//! email.sign(&DkimConfig::default_config("ed".into(), "letterhead.test".into(), key));
//!
//! let text = String::from_utf8(email.formatted())?;
//! assert!(text.starts_with("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{
    error::Error as StdError,
    fmt::{self, Display},
    time::SystemTime,
};

use base64::{engine::general_purpose::STANDARD, Engine};
use ed25519_dalek::Signer;
use lettre::message::header::{HeaderName, Headers};
use rsa::{
    pkcs1::DecodeRsaPrivateKey,
    pkcs1v15::Pkcs1v15Sign,
    pkcs8::{DecodePrivateKey, EncodePublicKey},
    traits::PublicKeyParts,
    RsaPrivateKey, RsaPublicKey,
};
use sha2::{Digest, Sha256};

use crate::{grammar::SOFT_LINE_LIMIT, idn, verify, Error, Message};

/// The name of the header a signature is written in (RFC 6376 section 3.5).
const SIGNATURE: &str = "DKIM-Signature";
static SIGNATURE_NAME: HeaderName = HeaderName::new_from_ascii_str(SIGNATURE);

/// RFC 8301 section 3.2: verifiers MUST NOT accept RSA keys under 1024 bits.
const MIN_RSA_BITS: usize = 1024;

/// A canonicalization algorithm (RFC 6376 section 3.4), for the header or the body.
///
/// # Example
///
/// ```
/// use letterhead::message::dkim::DkimCanonicalizationType;
///
/// assert_eq!(DkimCanonicalizationType::Relaxed.to_string(), "relaxed");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DkimCanonicalizationType {
    /// `simple`: the header fields and the body exactly as written (trailing empty body lines
    /// aside). Any re-folding on the way breaks the signature.
    Simple,
    /// `relaxed`: header names lower-cased, folds and runs of white space reduced to one
    /// space; body white space reduced the same way.
    Relaxed,
}

impl Display for DkimCanonicalizationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DkimCanonicalizationType::Simple => "simple",
            DkimCanonicalizationType::Relaxed => "relaxed",
        })
    }
}

/// The canonicalization of the header and of the body, written `c=header/body`.
///
/// The default is relaxed/relaxed (lettre's is simple/relaxed): RFC 6376 section 3.4.5 and
/// common practice, since relays re-fold header fields.
///
/// # Example
///
/// ```
/// use letterhead::message::dkim::{DkimCanonicalization, DkimCanonicalizationType};
///
/// let c = DkimCanonicalization {
///     header: DkimCanonicalizationType::Simple,
///     body: DkimCanonicalizationType::Relaxed,
/// };
/// assert_eq!(c.to_string(), "simple/relaxed");
/// assert_eq!(DkimCanonicalization::default().to_string(), "relaxed/relaxed");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct DkimCanonicalization {
    /// For the header fields.
    pub header: DkimCanonicalizationType,
    /// For the body.
    pub body: DkimCanonicalizationType,
}

impl Default for DkimCanonicalization {
    fn default() -> Self {
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        }
    }
}

impl Display for DkimCanonicalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.header, self.body)
    }
}

/// The signing algorithm: RSA-SHA256 (RFC 6376) or Ed25519-SHA256 (RFC 8463).
///
/// # Example
///
/// ```
/// use letterhead::message::dkim::DkimSigningAlgorithm;
///
/// assert_eq!(DkimSigningAlgorithm::Ed25519.to_string(), "ed25519");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DkimSigningAlgorithm {
    /// RSA, PKCS#1 v1.5 over SHA-256: `a=rsa-sha256`.
    Rsa,
    /// Ed25519 over SHA-256: `a=ed25519-sha256`.
    Ed25519,
}

impl Display for DkimSigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DkimSigningAlgorithm::Rsa => "rsa",
            DkimSigningAlgorithm::Ed25519 => "ed25519",
        })
    }
}

/// Why a [`DkimSigningKey`] could not be read.
///
/// # Example
///
/// ```
/// use letterhead::message::dkim::{DkimSigningAlgorithm, DkimSigningKey};
///
/// let err = DkimSigningKey::new("not a key", DkimSigningAlgorithm::Rsa).unwrap_err();
/// assert!(err.to_string().starts_with("DKIM signing key (rsa): "));
/// ```
#[derive(Debug)]
pub struct DkimSigningKeyError {
    algorithm: DkimSigningAlgorithm,
    reason: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl DkimSigningKeyError {
    fn new(algorithm: DkimSigningAlgorithm, reason: impl Into<String>) -> Self {
        DkimSigningKeyError {
            algorithm,
            reason: reason.into(),
            source: None,
        }
    }

    fn from_source(
        algorithm: DkimSigningAlgorithm,
        reason: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        DkimSigningKeyError {
            algorithm,
            reason: reason.into(),
            source: Some(Box::new(source)),
        }
    }
}

impl Display for DkimSigningKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DKIM signing key ({}): {}", self.algorithm, self.reason)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl StdError for DkimSigningKeyError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

/// A private key to sign with, carried by a [`DkimConfig`].
///
/// Its `Debug` names the algorithm and size, never the key.
///
/// # Example
///
/// ```
/// use letterhead::message::dkim::{DkimSigningAlgorithm, DkimSigningKey};
///
/// // A test key: never use a key from documentation for real mail.
/// let key = DkimSigningKey::new(
///     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
///     DkimSigningAlgorithm::Ed25519,
/// )?;
/// assert_eq!(key.algorithm(), DkimSigningAlgorithm::Ed25519);
/// assert_eq!(
///     key.dns_record(),
///     "v=DKIM1; k=ed25519; p=O8FnlnnlP5aaSugQKgoMRKw3Y29hSLRQcNjObJ3a0NY="
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct DkimSigningKey(Key);

#[derive(Clone)]
enum Key {
    Rsa(RsaPrivateKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl fmt::Debug for DkimSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Key::Rsa(k) => write!(f, "DkimSigningKey(rsa, {} bits)", k.size() * 8),
            Key::Ed25519(_) => f.write_str("DkimSigningKey(ed25519)"),
        }
    }
}

impl DkimSigningKey {
    /// Reads a private key, as lettre does, and in PKCS#8 too.
    ///
    /// - [`DkimSigningAlgorithm::Rsa`]: PEM, PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`, as
    ///   lettre reads it) or PKCS#8 (`-----BEGIN PRIVATE KEY-----`, what
    ///   `openssl genpkey -algorithm rsa` writes); at least 1024 bits (RFC 8301 section 3.2),
    ///   2048 or more recommended.
    /// - [`DkimSigningAlgorithm::Ed25519`]: the 32-byte seed in base64, as lettre reads it, or
    ///   PKCS#8 PEM (what `openssl genpkey -algorithm ed25519` writes).
    ///
    /// # Errors
    ///
    /// [`DkimSigningKeyError`] saying what was expected and what was found.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::dkim::{DkimSigningAlgorithm, DkimSigningKey};
    ///
    /// let pem = "-----BEGIN PRIVATE KEY-----
    /// MC4CAQAwBQYDK2VwBCIEIOMivdJ9XCBf50VyhIIhLIEY/QtrL9jwHBciP9kd0jTG
    /// -----END PRIVATE KEY-----";
    /// let key = DkimSigningKey::new(pem, DkimSigningAlgorithm::Ed25519)?;
    /// assert_eq!(key.algorithm(), DkimSigningAlgorithm::Ed25519);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        private_key: &str,
        algorithm: DkimSigningAlgorithm,
    ) -> Result<DkimSigningKey, DkimSigningKeyError> {
        match algorithm {
            DkimSigningAlgorithm::Rsa => rsa_key(private_key).map(|k| Self(Key::Rsa(k))),
            DkimSigningAlgorithm::Ed25519 => {
                ed25519_key(private_key).map(|k| Self(Key::Ed25519(k)))
            }
        }
    }

    /// The algorithm this key signs with.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::dkim::{DkimSigningAlgorithm, DkimSigningKey};
    ///
    /// let key = DkimSigningKey::new(
    ///     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
    ///     DkimSigningAlgorithm::Ed25519,
    /// )?;
    /// assert_eq!(key.algorithm(), DkimSigningAlgorithm::Ed25519);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn algorithm(&self) -> DkimSigningAlgorithm {
        match self.0 {
            Key::Rsa(_) => DkimSigningAlgorithm::Rsa,
            Key::Ed25519(_) => DkimSigningAlgorithm::Ed25519,
        }
    }

    /// The TXT record to publish at `SELECTOR._domainkey.DOMAIN` (RFC 6376 section 3.6.1):
    /// `v=DKIM1; k=rsa; p=...` (the SubjectPublicKeyInfo, as `opendkim-genkey` writes it) or
    /// `v=DKIM1; k=ed25519; p=...` (the 32-byte public key, RFC 8463 section 4).
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::dkim::{DkimSigningAlgorithm, DkimSigningKey};
    ///
    /// let key = DkimSigningKey::new(
    ///     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
    ///     DkimSigningAlgorithm::Ed25519,
    /// )?;
    /// assert!(key.dns_record().starts_with("v=DKIM1; k=ed25519; p="));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dns_record(&self) -> String {
        match &self.0 {
            Key::Rsa(k) => {
                let der = RsaPublicKey::from(k)
                    .to_public_key_der()
                    .map(|d| STANDARD.encode(d.as_bytes()))
                    // Encoding a valid key's public half into DER does not fail.
                    .unwrap_or_default();
                format!("v=DKIM1; k=rsa; p={der}")
            }
            Key::Ed25519(k) => format!(
                "v=DKIM1; k=ed25519; p={}",
                STANDARD.encode(k.verifying_key().as_bytes())
            ),
        }
    }

    fn sign(&self, digest: &[u8; 32]) -> Result<Vec<u8>, String> {
        match &self.0 {
            // Blinded (with an RNG): the private operation's timing does not depend on the key.
            Key::Rsa(k) => k
                .sign_with_rng(
                    &mut rsa::rand_core::OsRng,
                    Pkcs1v15Sign::new::<Sha256>(),
                    digest,
                )
                .map_err(|e| format!("RSA signing failed: {e}")),
            // RFC 8463 section 3: Ed25519 (pure) over the SHA-256 hash of the header data.
            Key::Ed25519(k) => Ok(k.sign(digest).to_bytes().to_vec()),
        }
    }
}

fn rsa_key(pem: &str) -> Result<RsaPrivateKey, DkimSigningKeyError> {
    const ALG: DkimSigningAlgorithm = DkimSigningAlgorithm::Rsa;
    let key = if pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
        RsaPrivateKey::from_pkcs1_pem(pem)
            .map_err(|e| DkimSigningKeyError::from_source(ALG, "unreadable PKCS#1 PEM key", e))?
    } else if pem.contains("-----BEGIN PRIVATE KEY-----") {
        RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| {
            DkimSigningKeyError::from_source(ALG, "unreadable PKCS#8 PEM RSA key", e)
        })?
    } else {
        return Err(DkimSigningKeyError::new(
            ALG,
            "expected a PEM private key (-----BEGIN RSA PRIVATE KEY----- or \
             -----BEGIN PRIVATE KEY-----)",
        ));
    };
    let bits = key.size() * 8;
    if bits < MIN_RSA_BITS {
        return Err(DkimSigningKeyError::new(
            ALG,
            format!(
                "{bits}-bit key; verifiers refuse RSA keys under {MIN_RSA_BITS} bits \
                 (RFC 8301 section 3.2), 2048 or more is recommended"
            ),
        ));
    }
    Ok(key)
}

/// RFC 8410 section 7: a PKCS#8 v1 Ed25519 private key is this DER prefix and the seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

fn ed25519_key(text: &str) -> Result<ed25519_dalek::SigningKey, DkimSigningKeyError> {
    const ALG: DkimSigningAlgorithm = DkimSigningAlgorithm::Ed25519;
    let seed: Vec<u8> = if text.contains("-----BEGIN PRIVATE KEY-----") {
        let der = pem_body(text, "PRIVATE KEY")
            .ok_or_else(|| DkimSigningKeyError::new(ALG, "PEM without its END line"))?;
        let der = STANDARD
            .decode(der)
            .map_err(|e| DkimSigningKeyError::from_source(ALG, "PEM body is not base64", e))?;
        match der.strip_prefix(&ED25519_PKCS8_PREFIX[..]) {
            Some(seed) if seed.len() == 32 => seed.to_vec(),
            _ => {
                return Err(DkimSigningKeyError::new(
                    ALG,
                    "PKCS#8 key is not an Ed25519 private key (RFC 8410)",
                ))
            }
        }
    } else {
        STANDARD.decode(text.trim()).map_err(|e| {
            DkimSigningKeyError::from_source(
                ALG,
                "expected the 32-byte seed in base64, or a PKCS#8 PEM key",
                e,
            )
        })?
    };
    let seed: [u8; 32] = seed.try_into().map_err(|v: Vec<u8>| {
        DkimSigningKeyError::new(
            ALG,
            format!("the seed is {} bytes; an Ed25519 seed is 32", v.len()),
        )
    })?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
}

/// The base64 text between `-----BEGIN LABEL-----` and `-----END LABEL-----`, without the
/// line breaks.
fn pem_body(text: &str, label: &str) -> Option<String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    Some(text[start..stop].split_whitespace().collect())
}

/// How to sign: the key, where its public half is published (`s=` and `d=`), the headers
/// to sign (`h=`) and the canonicalization (`c=`).
///
/// Built with lettre's constructors. Whether every setting can be written into a
/// DKIM-Signature is checked once, here; [`check`](Self::check) tells.
///
/// # Example
///
/// ```
/// use letterhead::message::{
///     dkim::{DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
///            DkimSigningKey},
///     header::HeaderName,
/// };
///
/// let key = DkimSigningKey::new(
///     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
///     DkimSigningAlgorithm::Ed25519,
/// )?;
/// let config = DkimConfig::new(
///     "ed".to_owned(),
///     "letterhead.test".to_owned(),
///     key,
///     vec![
///         HeaderName::new_from_ascii_str("From"),
///         HeaderName::new_from_ascii_str("Subject"),
///         HeaderName::new_from_ascii_str("Message-ID"),
///     ],
///     DkimCanonicalization {
///         header: DkimCanonicalizationType::Relaxed,
///         body: DkimCanonicalizationType::Simple,
///     },
/// )
/// .oversign(true);
/// assert!(config.check().is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct DkimConfig {
    selector: String,
    domain: String,
    private_key: DkimSigningKey,
    headers: Vec<HeaderName>,
    canonicalization: DkimCanonicalization,
    oversign: bool,
    /// `s=` and `d=` as written (A-labels), or what cannot be written.
    written: Result<(String, String), Problem>,
}

/// A setting that cannot be written into a DKIM-Signature.
#[derive(Clone, Debug)]
struct Problem {
    setting: &'static str,
    value: String,
    reason: String,
}

impl Problem {
    fn error(&self) -> Error {
        Error::Dkim {
            setting: self.setting.to_owned(),
            value: self.value.clone(),
            reason: self.reason.clone(),
        }
    }
}

impl DkimConfig {
    /// lettre's default: sign From, Subject, To and Date, with relaxed/relaxed
    /// canonicalization (lettre: simple/relaxed).
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey};
    ///
    /// let key = DkimSigningKey::new(
    ///     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
    ///     DkimSigningAlgorithm::Ed25519,
    /// )?;
    /// let config = DkimConfig::default_config("ed".into(), "letterhead.test".into(), key);
    /// assert_eq!(config.canonicalization().to_string(), "relaxed/relaxed");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn default_config(
        selector: String,
        domain: String,
        private_key: DkimSigningKey,
    ) -> DkimConfig {
        DkimConfig::new(
            selector,
            domain,
            private_key,
            vec![
                HeaderName::new_from_ascii_str("From"),
                HeaderName::new_from_ascii_str("Subject"),
                HeaderName::new_from_ascii_str("To"),
                HeaderName::new_from_ascii_str("Date"),
            ],
            DkimCanonicalization::default(),
        )
    }

    /// A configuration, as lettre's: the selector (`s=`), the signing domain (`d=`), the key,
    /// the headers to sign in `h=` order (From must be among them, RFC 6376 section 5.4) and
    /// the canonicalization.
    ///
    /// A header listed twice signs two instances, bottom-up (RFC 6376 section 5.4.2); one that
    /// the message does not hold is signed as absent, so it cannot be added later. A non-ASCII
    /// domain or selector is written as A-labels.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::{
    ///     dkim::{DkimCanonicalization, DkimConfig, DkimSigningAlgorithm, DkimSigningKey},
    ///     header::HeaderName,
    /// };
    ///
    /// let key = DkimSigningKey::new(
    ///     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
    ///     DkimSigningAlgorithm::Ed25519,
    /// )?;
    /// let config = DkimConfig::new(
    ///     "ed".into(),
    ///     "letterhead.test".into(),
    ///     key,
    ///     vec![HeaderName::new_from_ascii_str("Subject")],
    ///     DkimCanonicalization::default(),
    /// );
    /// assert_eq!(
    ///     config.check().unwrap_err().to_string(),
    ///     r#"DkimConfig headers: "Subject": From is not listed; a verifier ignores a signature that does not sign From (RFC 6376 section 6.1.1)"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        selector: String,
        domain: String,
        private_key: DkimSigningKey,
        headers: Vec<HeaderName>,
        canonicalization: DkimCanonicalization,
    ) -> DkimConfig {
        let written = check_settings(&selector, &domain, &headers);
        DkimConfig {
            selector,
            domain,
            private_key,
            headers,
            canonicalization,
            oversign: false,
            written,
        }
    }

    /// Oversigning: with `true`, `h=` lists each configured header once more than the message
    /// holds it (OpenDKIM's `OversignHeaders`), so that no instance can be added after signing
    /// without breaking the signature. Off by default, as in lettre, where `h=` is the
    /// configured list as given.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::{message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey}, Message};
    ///
    /// let key = DkimSigningKey::new(
    ///     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
    ///     DkimSigningAlgorithm::Ed25519,
    /// )?;
    /// let config = DkimConfig::default_config("ed".into(), "letterhead.test".into(), key)
    ///     .oversign(true);
    /// let mut email = Message::builder()
    ///     .from("a@letterhead.test".parse()?)
    ///     .to("b@example.net".parse()?)
    ///     .subject("hi")
    ///     .body(String::from("Hi"))?;
    /// email.try_sign(&config)?;
    /// let signature = email.headers().get_raw("DKIM-Signature").unwrap();
    /// assert!(signature.contains("h=From:From:Subject:Subject:To:To:Date:Date;"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn oversign(mut self, oversign: bool) -> DkimConfig {
        self.oversign = oversign;
        self
    }

    /// Whether every setting can be written into a DKIM-Signature: the selector and domain
    /// are DNS names (A-labels for non-ASCII), each header name is an RFC 5322 field name
    /// without `;`, and From is listed. Call it at start-up to find a bad configuration
    /// before the first message.
    ///
    /// # Errors
    ///
    /// [`Error::Dkim`] naming the setting, quoting the value and saying what is wrong.
    ///
    /// # Example
    ///
    /// ```
    /// use letterhead::message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey};
    ///
    /// let key = DkimSigningKey::new(
    ///     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
    ///     DkimSigningAlgorithm::Ed25519,
    /// )?;
    /// let config = DkimConfig::default_config("my selector".into(), "letterhead.test".into(), key);
    /// assert_eq!(
    ///     config.check().unwrap_err().to_string(),
    ///     r#"DkimConfig selector: "my selector": character ' ' cannot be in a DNS name"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self) -> Result<(), Error> {
        self.written.as_ref().map(|_| ()).map_err(Problem::error)
    }

    /// The selector, as given.
    ///
    /// # Example
    ///
    /// ```
    /// # use letterhead::message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey};
    /// # let key = DkimSigningKey::new("4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=", DkimSigningAlgorithm::Ed25519)?;
    /// let config = DkimConfig::default_config("ed".into(), "letterhead.test".into(), key);
    /// assert_eq!(config.selector(), "ed");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// The signing domain, as given.
    ///
    /// # Example
    ///
    /// ```
    /// # use letterhead::message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey};
    /// # let key = DkimSigningKey::new("4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=", DkimSigningAlgorithm::Ed25519)?;
    /// let config = DkimConfig::default_config("ed".into(), "letterhead.test".into(), key);
    /// assert_eq!(config.domain(), "letterhead.test");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The headers to sign, as configured.
    ///
    /// # Example
    ///
    /// ```
    /// # use letterhead::message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey};
    /// # let key = DkimSigningKey::new("4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=", DkimSigningAlgorithm::Ed25519)?;
    /// let config = DkimConfig::default_config("ed".into(), "letterhead.test".into(), key);
    /// let names: Vec<&str> = config.headers().iter().map(|h| &**h).collect();
    /// assert_eq!(names, ["From", "Subject", "To", "Date"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn headers(&self) -> &[HeaderName] {
        &self.headers
    }

    /// The canonicalization.
    ///
    /// # Example
    ///
    /// ```
    /// # use letterhead::message::dkim::{DkimCanonicalization, DkimConfig, DkimSigningAlgorithm, DkimSigningKey};
    /// # let key = DkimSigningKey::new("4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=", DkimSigningAlgorithm::Ed25519)?;
    /// let config = DkimConfig::default_config("ed".into(), "letterhead.test".into(), key);
    /// assert_eq!(config.canonicalization(), DkimCanonicalization::default());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn canonicalization(&self) -> DkimCanonicalization {
        self.canonicalization
    }
}

fn check_settings(
    selector: &str,
    domain: &str,
    headers: &[HeaderName],
) -> Result<(String, String), Problem> {
    let selector = dns_name("DkimConfig selector", selector)?;
    let domain = dns_name("DkimConfig domain", domain)?;
    let listed = || {
        headers
            .iter()
            .map(|h| &**h)
            .collect::<Vec<&str>>()
            .join(":")
    };
    for name in headers {
        // RFC 5322 section 3.6.8 field-name (printable ASCII but ':'), and no ';', which would
        // end the h= tag (RFC 6376 section 3.2).
        if let Some(c) = name
            .bytes()
            .find(|&c| !(b'!'..=b'~').contains(&c) || c == b';')
        {
            return Err(Problem {
                setting: "DkimConfig headers",
                value: name.to_string(),
                reason: format!(
                    "character {:?} cannot be in a header name listed in h=",
                    char::from(c)
                ),
            });
        }
    }
    if !headers.iter().any(|h| h.eq_ignore_ascii_case("From")) {
        return Err(Problem {
            setting: "DkimConfig headers",
            value: listed(),
            reason: "From is not listed; a verifier ignores a signature that does not sign \
                     From (RFC 6376 section 6.1.1)"
                .into(),
        });
    }
    Ok((selector, domain))
}

/// A selector or signing domain as a DNS name (RFC 6376 section 3.5: `s=` and `d=` name
/// the key's DNS record): labels of letters, digits, `-` and `_`, A-labels for non-ASCII.
fn dns_name(setting: &'static str, value: &str) -> Result<String, Problem> {
    let problem = |reason: String| Problem {
        setting,
        value: value.to_owned(),
        reason,
    };
    let ascii = if value.is_ascii() {
        value.to_owned()
    } else {
        idn::to_a_labels(value).map_err(|r| problem(r.to_string()))?
    };
    if let Some(c) = ascii
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(problem(format!("character {c:?} cannot be in a DNS name")));
    }
    if ascii.split('.').any(str::is_empty) {
        return Err(problem("empty label (misplaced dot) in a DNS name".into()));
    }
    if let Some(label) = ascii.split('.').find(|l| l.len() > 63) {
        return Err(problem(format!(
            "a label of {} octets; DNS allows 63",
            label.len()
        )));
    }
    if ascii.len() > 253 {
        return Err(problem(format!(
            "{} octets; a DNS name holds at most 253",
            ascii.len()
        )));
    }
    Ok(ascii)
}

/// Signs `message` as lettre's `dkim_sign` does: [`Message::sign`].
///
/// # Example
///
/// ```
/// use letterhead::message::dkim::{dkim_sign, DkimConfig, DkimSigningAlgorithm, DkimSigningKey};
///
/// let mut email = letterhead::Message::builder()
///     .from("a@letterhead.test".parse()?)
///     .to("b@example.net".parse()?)
///     .body(String::from("Hi"))?;
/// let key = DkimSigningKey::new(
///     "4yK90n1cIF/nRXKEgiEsgRj9C2sv2PAcFyI/2R3SNMY=",
///     DkimSigningAlgorithm::Ed25519,
/// )?;
/// dkim_sign(&mut email, &DkimConfig::default_config("ed".into(), "letterhead.test".into(), key));
/// assert!(email.headers().get_raw("DKIM-Signature").is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dkim_sign(message: &mut Message, dkim_config: &DkimConfig) {
    message.sign(dkim_config);
}

/// Seconds since the epoch, for `t=`.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Signs what `message.formatted()` writes and puts the DKIM-Signature on top of its header
/// block, `t=` being `timestamp`.
pub(crate) fn sign_at(
    message: &mut lettre::Message,
    config: &DkimConfig,
    timestamp: u64,
) -> Result<(), Error> {
    let (selector, domain) = config.written.as_ref().map_err(Problem::error)?;
    let wire = message.formatted();
    let (head, body) = split_message(&wire);
    let fields = fields(head);

    let c = config.canonicalization;
    let bh = STANDARD.encode(body_hash(body, c.body));
    let names = signed_names(config, &fields);
    let mut value = unsigned_value(config, selector, domain, timestamp, &names, &bh);

    // RFC 6376 section 3.7: the selected fields, bottom-up, then this signature's own field
    // with b= empty and without its final CRLF.
    let mut hasher = Sha256::new();
    let mut canonical = Vec::with_capacity(head.len() + value.len() + 32);
    let mut used = vec![false; fields.len()];
    for name in &names {
        let found = (0..fields.len()).rev().find(|&i| {
            !used[i]
                && fields[i]
                    .name
                    .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
        });
        if let Some(i) = found {
            used[i] = true;
            canonical_field(fields[i].raw, c.header, &mut canonical);
        }
    }
    let own = format!("{SIGNATURE}: {value}\r\n");
    canonical_field(own.as_bytes(), c.header, &mut canonical);
    canonical.truncate(canonical.len() - 2);
    hasher.update(&canonical);
    let digest: [u8; 32] = hasher.finalize().into();

    let signature = config
        .private_key
        .sign(&digest)
        .map_err(|reason| Error::Dkim {
            setting: "DkimSigningKey".into(),
            value: format!("{:?}", config.private_key),
            reason,
        })?;
    fold_signature(&mut value, &STANDARD.encode(signature));
    prepend_signature(message, value, &fields)
}

/// The header block (up to and including the CRLF of its last field) and the body (after
/// the empty line), as on the wire.
fn split_message(wire: &[u8]) -> (&[u8], &[u8]) {
    if let Some(body) = wire.strip_prefix(b"\r\n") {
        return (&[], body);
    }
    let mut from = 0;
    while let Some(i) = crlf(wire, from) {
        if wire[i + 2..].starts_with(b"\r\n") {
            return (&wire[..i + 2], &wire[i + 4..]);
        }
        from = i + 2;
    }
    (wire, &[])
}

/// Where the next CRLF at or after `from` starts (a bare LF does not end a line).
fn crlf(b: &[u8], mut from: usize) -> Option<usize> {
    while let Some(p) = b.get(from..)?.iter().position(|&c| c == b'\n') {
        let lf = from + p;
        if lf > 0 && b[lf - 1] == b'\r' {
            return Some(lf - 1);
        }
        from = lf + 1;
    }
    None
}

/// One header field as written: its name (`None` for a line without a colon) and every
/// octet of it, continuation lines and the final CRLF included.
#[derive(Debug, Clone, Copy)]
struct Field<'a> {
    name: Option<&'a [u8]>,
    raw: &'a [u8],
}

/// The fields of a header block: a line that starts with a space or tab continues the field
/// before it (RFC 5322 section 2.2.3).
fn fields(head: &[u8]) -> Vec<Field<'_>> {
    let mut out = Vec::with_capacity(16);
    let (mut start, mut i) = (0, 0);
    while i < head.len() {
        let eol = crlf(head, i).map_or(head.len(), |p| p + 2);
        if !matches!(head.get(eol), Some(b' ' | b'\t')) {
            let raw = &head[start..eol];
            let name = raw
                .iter()
                .position(|&c| c == b':')
                .map(|colon| trim_wsp_end(&raw[..colon]));
            out.push(Field { name, raw });
            start = eol;
        }
        i = eol;
    }
    out
}

fn trim_wsp_end(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = b {
        b = rest;
    }
    b
}

/// RFC 6376 section 3.4.1 (simple: as written) and 3.4.2 (relaxed: name lower-cased, value
/// unfolded, white space runs made one space, none around the colon or at the end), with the
/// final CRLF.
fn canonical_field(raw: &[u8], c: DkimCanonicalizationType, out: &mut Vec<u8>) {
    if c == DkimCanonicalizationType::Simple {
        out.extend_from_slice(raw);
        return;
    }
    let raw = raw.strip_suffix(b"\r\n").unwrap_or(raw);
    let (name, value) = match raw.iter().position(|&b| b == b':') {
        Some(colon) => (&raw[..colon], &raw[colon + 1..]),
        None => (raw, &[][..]),
    };
    out.extend(trim_wsp_end(name).iter().map(u8::to_ascii_lowercase));
    out.push(b':');
    let (mut space, mut started) = (false, false);
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'\r' if value.get(i + 1) == Some(&b'\n') => i += 1,
            b' ' | b'\t' => space = started,
            b => {
                if space {
                    out.push(b' ');
                }
                space = false;
                started = true;
                out.push(b);
            }
        }
        i += 1;
    }
    out.extend_from_slice(b"\r\n");
}

/// The SHA-256 of the canonicalized body (RFC 6376 sections 3.4.3, 3.4.4 and 3.7).
fn body_hash(body: &[u8], c: DkimCanonicalizationType) -> [u8; 32] {
    let mut hasher = Sha256::new();
    match c {
        DkimCanonicalizationType::Simple => {
            // Empty lines at the end go; a body that does not end in CRLF (none at all
            // included) gets one.
            let mut end = body.len();
            while body[..end].ends_with(b"\r\n\r\n") {
                end -= 2;
            }
            hasher.update(&body[..end]);
            if !body[..end].ends_with(b"\r\n") {
                hasher.update(b"\r\n");
            }
        }
        DkimCanonicalizationType::Relaxed => {
            // White space at the end of a line goes, runs of it become one space, empty lines
            // at the end go, and an empty body stays empty.
            const FLUSH: usize = 16 * 1024;
            let mut buf = Vec::with_capacity(body.len().min(FLUSH + 1024));
            let mut empty_lines = 0usize;
            let mut rest = body;
            let wsp = |b: &u8| *b == b' ' || *b == b'\t';
            while !rest.is_empty() {
                let (line, next) = match crlf(rest, 0) {
                    Some(p) => (&rest[..p], &rest[p + 2..]),
                    None => (rest, &[][..]),
                };
                rest = next;
                if line.iter().all(wsp) {
                    empty_lines += 1;
                    continue;
                }
                for _ in 0..empty_lines {
                    buf.extend_from_slice(b"\r\n");
                }
                empty_lines = 0;
                // Runs without white space are copied whole; a run of it between them is one
                // space, one at the end of the line nothing.
                let mut j = 0;
                while j < line.len() {
                    let k = line[j..].iter().position(wsp).map_or(line.len(), |p| j + p);
                    buf.extend_from_slice(&line[j..k]);
                    let m = line[k..]
                        .iter()
                        .position(|b| !wsp(b))
                        .map_or(line.len(), |p| k + p);
                    if m > k && m < line.len() {
                        buf.push(b' ');
                    }
                    j = m;
                }
                buf.extend_from_slice(b"\r\n");
                if buf.len() >= FLUSH {
                    hasher.update(&buf);
                    buf.clear();
                }
            }
            hasher.update(&buf);
        }
    }
    hasher.finalize().into()
}

/// The `h=` list: as configured, or oversigned (each name once more than the header block
/// holds it, in the order first configured).
fn signed_names<'c>(config: &'c DkimConfig, fields: &[Field<'_>]) -> Vec<&'c str> {
    if !config.oversign {
        return config.headers.iter().map(|h| &**h).collect();
    }
    let mut names: Vec<&str> = Vec::with_capacity(config.headers.len() * 2);
    for (i, name) in config.headers.iter().enumerate() {
        if config.headers[..i].iter().any(|h| h == name) {
            continue;
        }
        let present = fields
            .iter()
            .filter(|f| {
                f.name
                    .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
            })
            .count();
        names.extend(std::iter::repeat_n(&**name, present + 1));
    }
    names
}

/// Writes tags folded at 78 characters (RFC 5322 section 2.1.1): between tags, and in `h=`
/// after a colon.
struct Folder {
    out: String,
    line: usize,
}

impl Folder {
    /// A tag, after a space or, when it would pass the line limit, a fold.
    fn tag(&mut self, piece: &str) {
        if self.out.is_empty() {
            self.out.push_str(piece);
            self.line += piece.len();
        } else if self.line + 1 + piece.len() <= SOFT_LINE_LIMIT {
            self.out.push(' ');
            self.out.push_str(piece);
            self.line += 1 + piece.len();
        } else {
            self.fold(piece);
        }
    }

    /// More of the same tag: nothing between, or a fold (FWS is allowed around `:` in `h=`,
    /// RFC 6376 section 3.5).
    fn glued(&mut self, piece: &str) {
        if self.line + piece.len() <= SOFT_LINE_LIMIT {
            self.out.push_str(piece);
            self.line += piece.len();
        } else {
            self.fold(piece);
        }
    }

    fn fold(&mut self, piece: &str) {
        self.out.push_str("\r\n ");
        self.out.push_str(piece);
        self.line = 1 + piece.len();
    }
}

/// The DKIM-Signature value up to and including `b=`: what is hashed (RFC 6376 section 3.7)
/// and, with the signature appended, what is written. `b=` starts a line of its own, so the
/// folding before it does not depend on the signature.
fn unsigned_value(
    config: &DkimConfig,
    selector: &str,
    domain: &str,
    timestamp: u64,
    names: &[&str],
    bh: &str,
) -> String {
    let mut w = Folder {
        out: String::with_capacity(640),
        line: SIGNATURE.len() + 2,
    };
    w.tag("v=1;");
    w.tag(match config.private_key.algorithm() {
        DkimSigningAlgorithm::Rsa => "a=rsa-sha256;",
        DkimSigningAlgorithm::Ed25519 => "a=ed25519-sha256;",
    });
    w.tag(&format!("c={};", config.canonicalization));
    w.tag(&format!("d={domain};"));
    w.tag(&format!("s={selector};"));
    w.tag(&format!("t={timestamp};"));
    for (i, name) in names.iter().enumerate() {
        let end = if i + 1 == names.len() { ";" } else { ":" };
        if i == 0 {
            w.tag(&format!("h={name}{end}"));
        } else {
            w.glued(&format!("{name}{end}"));
        }
    }
    w.tag(&format!("bh={bh};"));
    w.out.push_str("\r\n b=");
    w.out
}

/// Appends the base64 signature to `value` (which ends in `b=`), folded to 78 characters;
/// white space inside `b=` is ignored by verifiers (RFC 6376 section 3.5).
fn fold_signature(value: &mut String, b64: &str) {
    let mut line = " b=".len();
    let mut rest = b64;
    while !rest.is_empty() {
        if line == SOFT_LINE_LIMIT {
            value.push_str("\r\n ");
            line = 1;
        }
        let take = (SOFT_LINE_LIMIT - line).min(rest.len());
        value.push_str(&rest[..take]);
        line += take;
        rest = &rest[take..];
    }
}

/// Puts the signature at the top of the message's header block (RFC 6376 section 5.6: before
/// any other DKIM-Signature). lettre's `Headers` keeps one value a name, so the fields of
/// earlier signatures follow this one inside one verified value; every other header keeps
/// its place and its bytes, which is checked before the new block replaces the old.
fn prepend_signature(
    message: &mut lettre::Message,
    value: String,
    wire_fields: &[Field<'_>],
) -> Result<(), Error> {
    // The message's own fields come first on the wire (a multipart's top-level MIME fields
    // follow them, from the body part).
    let own_len = message.headers().to_string().len();
    let mut at = 0;
    let own = wire_fields
        .iter()
        .take_while(|f| {
            at += f.raw.len();
            at <= own_len
        })
        .count();
    let before_fields = &wire_fields[..own];
    let is_signature = |f: &Field<'_>| {
        f.name
            .is_some_and(|n| n.eq_ignore_ascii_case(SIGNATURE.as_bytes()))
    };
    // Earlier signatures, each as (its name as written, what follows the colon).
    let earlier: Vec<(&str, &str)> = before_fields
        .iter()
        .filter(|f| is_signature(f))
        .filter_map(|f| {
            let text = std::str::from_utf8(f.raw).ok()?;
            text.strip_suffix("\r\n").unwrap_or(text).split_once(':')
        })
        .collect();
    // The signature fields' length as lettre writes them: `Name: `, the value, then each
    // earlier field on lines of its own, and the final CRLF.
    let signatures_len = SIGNATURE.len()
        + 2
        + value.len()
        + earlier
            .iter()
            .map(|(n, v)| 2 + n.len() + 1 + v.len())
            .sum::<usize>()
        + 2;
    let header = verify::header_fields(&SIGNATURE_NAME, value, &earlier)?;

    // What the rebuilt block must read after the signatures: every other field as it was.
    let mut others = String::with_capacity(own_len);
    let original = message.headers().clone();
    let old = message.headers_mut();
    let mut rebuilt = Headers::with_capacity(own + 1);
    rebuilt.insert_raw(header);
    for f in before_fields.iter().filter(|f| !is_signature(f)) {
        others.push_str(std::str::from_utf8(f.raw).unwrap_or_default());
        if let Some(v) = f
            .name
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| old.remove_raw(n))
        {
            rebuilt.insert_raw(v);
        }
    }
    old.remove_raw(SIGNATURE);
    let left_over = !old.to_string().is_empty();
    let written = rebuilt.to_string();
    let reads_back = written.len() == signatures_len + others.len()
        && written.starts_with(SIGNATURE)
        && written.ends_with(&others);
    if left_over || !reads_back {
        *message.headers_mut() = original;
        return Err(Error::Policy {
            header: SIGNATURE.into(),
            reason: "the header block does not read back as the fields lettre holds (a value \
                     set through headers_mut holds a line break); not signed"
                .into(),
        });
    }
    *message.headers_mut() = rebuilt;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use DkimCanonicalizationType::{Relaxed, Simple};

    const RSA_PEM: &str = include_str!("../../tests/keys/rsa2048.pem");
    const RSA_PKCS8: &str = include_str!("../../tests/keys/rsa2048.pkcs8.pem");
    const ED_SEED: &str = include_str!("../../tests/keys/ed25519.seed");
    const ED_PKCS8: &str = include_str!("../../tests/keys/ed25519.pkcs8.pem");
    const RECORDS: &str = include_str!("../../tests/keys/records.txt");

    fn ed_key() -> DkimSigningKey {
        DkimSigningKey::new(ED_SEED, DkimSigningAlgorithm::Ed25519).unwrap()
    }

    fn record(selector: &str) -> &'static str {
        let prefix = format!("{selector}._domainkey.letterhead.test ");
        RECORDS
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap()
    }

    #[test]
    fn relaxed_header_canonicalization_follows_rfc_6376_3_4_5() {
        // The example of RFC 6376 section 3.4.5.
        let head = b"A: X\r\nB : Y\t\r\n\tZ  \r\n";
        let f = fields(head);
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].name, Some(&b"B"[..]));
        let mut out = Vec::new();
        for field in &f {
            canonical_field(field.raw, Relaxed, &mut out);
        }
        assert_eq!(out, b"a:X\r\nb:Y Z\r\n");
        out.clear();
        for field in &f {
            canonical_field(field.raw, Simple, &mut out);
        }
        assert_eq!(out, head);
    }

    #[test]
    fn body_canonicalization_follows_rfc_6376_3_4_5() {
        let body = b" C \r\nD \t E\r\n\r\n\r\n";
        assert_eq!(
            body_hash(body, Relaxed),
            <[u8; 32]>::from(Sha256::digest(b" C\r\nD E\r\n"))
        );
        assert_eq!(
            body_hash(body, Simple),
            <[u8; 32]>::from(Sha256::digest(b" C \r\nD \t E\r\n"))
        );
    }

    #[test]
    fn empty_and_unterminated_bodies() {
        let sha = |b: &[u8]| <[u8; 32]>::from(Sha256::digest(b));
        // RFC 6376 section 3.4.3: an empty body is one CRLF; 3.4.4: relaxed leaves it empty.
        assert_eq!(body_hash(b"", Simple), sha(b"\r\n"));
        assert_eq!(body_hash(b"\r\n\r\n", Simple), sha(b"\r\n"));
        assert_eq!(body_hash(b"", Relaxed), sha(b""));
        assert_eq!(body_hash(b" \r\n\t\r\n", Relaxed), sha(b""));
        assert_eq!(body_hash(b"abc", Simple), sha(b"abc\r\n"));
        assert_eq!(body_hash(b"a  b \t", Relaxed), sha(b"a b\r\n"));
        assert_eq!(body_hash(b"\r\n\r\nx", Relaxed), sha(b"\r\n\r\nx\r\n"));
        // A large body is hashed in pieces; the pieces make the same hash.
        let big = "line  with\t space \r\n".repeat(5000);
        let want = "line with space\r\n".repeat(5000);
        assert_eq!(body_hash(big.as_bytes(), Relaxed), sha(want.as_bytes()));
    }

    #[test]
    fn keys_read_in_lettres_formats_and_pkcs8() {
        let rsa1 = DkimSigningKey::new(RSA_PEM, DkimSigningAlgorithm::Rsa).unwrap();
        let rsa8 = DkimSigningKey::new(RSA_PKCS8, DkimSigningAlgorithm::Rsa).unwrap();
        assert_eq!(format!("{rsa1:?}"), "DkimSigningKey(rsa, 2048 bits)");
        // The records OpenSSL wrote.
        assert_eq!(rsa1.dns_record(), record("rsa"));
        assert_eq!(rsa8.dns_record(), record("rsa"));
        let ed8 = DkimSigningKey::new(ED_PKCS8, DkimSigningAlgorithm::Ed25519).unwrap();
        assert_eq!(ed_key().dns_record(), record("ed"));
        assert_eq!(ed8.dns_record(), record("ed"));
    }

    #[test]
    fn bad_keys_are_errors_that_say_why() {
        let err = |k: &str, a| DkimSigningKey::new(k, a).unwrap_err().to_string();
        assert!(err(ED_SEED, DkimSigningAlgorithm::Rsa).contains("expected a PEM private key"));
        assert!(err(RSA_PEM, DkimSigningAlgorithm::Ed25519).contains("32-byte seed"));
        assert!(err(RSA_PKCS8, DkimSigningAlgorithm::Ed25519).contains("not an Ed25519"));
        assert!(err("AAAA", DkimSigningAlgorithm::Ed25519).contains("is 3 bytes"));
        // RFC 8301: 512 bits are refused.
        let small = "-----BEGIN RSA PRIVATE KEY-----
MIIBOwIBAAJBAMQR5M+OvU8SVrQ6NHKPhKIVBLYNCb2sxNeakWsxOSclpsJB71+I
3A/VqOF+6EE6wDgsembgnEVurf+cQS6YXEcCAwEAAQJBAIxMPY0jl2SwO6iFCah7
960/Gvrlw3Wc3dFlQe8Q7tOKA00o1r6Zi4NHsm+AUImGRYS3TjKV2O3tsM44KS8R
44kCIQD+wZ7zAk2AiF0rbR1ATyGENYFZwErjLkaxOohnoXjO8wIhAMUG7hz2hOUp
nORqcovFzL+Bya01sqcl3stkxRzFrZpdAiBjbljGijCLqS2MJINVNU1kl6mLyTSx
ZL9srubMY8aOJwIgA5GLkIS6hXgKemyfJH7xpWpRX8zALpzV+zMZCttduJUCIQD9
15O3lJBJy46RWnJouxYXtrDGgmAMTVMOpK10yHBbQA==
-----END RSA PRIVATE KEY-----";
        let e = err(small, DkimSigningAlgorithm::Rsa);
        assert!(e.contains("512-bit key") && e.contains("RFC 8301"), "{e}");
    }

    fn message() -> Message {
        Message::builder()
            .from("Test O'Leary <test@letterhead.test>".parse().unwrap())
            .to("Test2 <test2@example.org>".parse().unwrap())
            .date(std::time::UNIX_EPOCH)
            .message_id(Some("<1@letterhead.test>".into()))
            .subject("Test with utf-8 ë")
            .body("test\r\n\r\ntest   \ttest\r\n\r\n\r\n".to_owned())
            .unwrap()
    }

    fn config(c: DkimCanonicalization) -> DkimConfig {
        DkimConfig::new(
            "ed".into(),
            "letterhead.test".into(),
            ed_key(),
            ["Date", "From", "Subject", "To"]
                .map(HeaderName::new_from_ascii_str)
                .to_vec(),
            c,
        )
    }

    #[test]
    fn the_hashed_header_is_the_written_one_with_b_empty() {
        for header in [Simple, Relaxed] {
            let mut m = message();
            let c = DkimCanonicalization {
                header,
                body: Simple,
            };
            sign_at(&mut m.0, &config(c), 0).unwrap();
            let text = String::from_utf8(m.formatted()).unwrap();
            let field = &fields(text.as_bytes())[0];
            let raw = std::str::from_utf8(field.raw).unwrap();
            let (unsigned, sig) = raw.split_once(" b=").unwrap();
            assert!(unsigned.starts_with("DKIM-Signature: v=1; a=ed25519-sha256; c="));
            assert!(unsigned.ends_with("\r\n"), "{raw}");
            assert!(!sig.contains(';'));
            for line in raw.trim_end().split("\r\n") {
                assert!(line.len() <= 78, "{line:?}");
            }
            // What a verifier rebuilds: everything but the b= value.
            let mut want = Vec::new();
            for name in ["Date", "From", "Subject", "To"] {
                let f = fields(text.as_bytes())
                    .into_iter()
                    .rfind(|f| f.name == Some(name.as_bytes()))
                    .unwrap();
                canonical_field(f.raw, header, &mut want);
            }
            canonical_field(format!("{unsigned} b=\r\n").as_bytes(), header, &mut want);
            want.truncate(want.len() - 2);
            let digest: [u8; 32] = Sha256::digest(&want).into();
            let sig: String = sig.split_whitespace().collect();
            let sig = STANDARD.decode(sig).unwrap();
            let vk = ed_key().verifying_key_for_tests();
            vk.verify_strict(
                &digest,
                &ed25519_dalek::Signature::from_slice(&sig).unwrap(),
            )
            .unwrap();
        }
    }

    impl DkimSigningKey {
        fn verifying_key_for_tests(&self) -> ed25519_dalek::VerifyingKey {
            match &self.0 {
                Key::Ed25519(k) => k.verifying_key(),
                Key::Rsa(_) => unreachable!(),
            }
        }
    }

    #[test]
    fn signs_the_multipart_content_type_lettre_keeps_in_the_body_part() {
        let mut m = Message::builder()
            .from("a@letterhead.test".parse().unwrap())
            .to("b@example.org".parse().unwrap())
            .multipart(crate::message::MultiPart::alternative_plain_html(
                "hi".to_owned(),
                "<p>hi</p>".to_owned(),
            ))
            .unwrap();
        let before = m.formatted();
        let (head, _) = split_message(&before);
        assert!(fields(head)
            .iter()
            .any(|f| f.name == Some(&b"Content-Type"[..])));
        assert!(m.headers().get_raw("Content-Type").is_none());
        let cfg = DkimConfig::new(
            "ed".into(),
            "letterhead.test".into(),
            ed_key(),
            ["From", "Content-Type"]
                .map(HeaderName::new_from_ascii_str)
                .to_vec(),
            DkimCanonicalization::default(),
        )
        .oversign(true);
        m.try_sign(&cfg).unwrap();
        let after = m.formatted();
        let sig = m.headers().get_raw("DKIM-Signature").unwrap();
        assert!(
            sig.contains("h=From:From:Content-Type:Content-Type;"),
            "{sig}"
        );
        // Everything else is as it was, after the new field.
        let first = fields(&after)[0].raw.len();
        assert_eq!(&after[first..], &before[..]);
    }

    #[test]
    fn a_second_signature_goes_on_top_and_keeps_the_first() {
        let mut m = message();
        let cfg = config(DkimCanonicalization::default());
        sign_at(&mut m.0, &cfg, 1).unwrap();
        let once = m.formatted();
        let rsa = DkimSigningKey::new(RSA_PEM, DkimSigningAlgorithm::Rsa).unwrap();
        let cfg2 = DkimConfig::default_config("rsa".into(), "letterhead.test".into(), rsa);
        sign_at(&mut m.0, &cfg2, 2).unwrap();
        let twice = m.formatted();
        let f = fields(&twice);
        assert!(f[0].raw.starts_with(b"DKIM-Signature: v=1; a=rsa-sha256;"));
        assert!(f[1]
            .raw
            .starts_with(b"DKIM-Signature: v=1; a=ed25519-sha256;"));
        assert_eq!(&twice[f[0].raw.len()..], &once[..]);
        assert!(m
            .headers()
            .get_raw("DKIM-Signature")
            .unwrap()
            .contains("a=rsa-sha256"));
    }

    #[test]
    fn settings_that_cannot_be_written_are_errors() {
        let bad = |selector: &str, domain: &str, headers: &[&'static str]| {
            let names = headers
                .iter()
                .map(|h| HeaderName::new_from_ascii_str(h))
                .collect();
            DkimConfig::new(
                selector.into(),
                domain.into(),
                ed_key(),
                names,
                DkimCanonicalization::default(),
            )
            .check()
            .unwrap_err()
            .to_string()
        };
        assert_eq!(
            bad("ed", "letterhead.test;x=y", &["From"]),
            r#"DkimConfig domain: "letterhead.test;x=y": character ';' cannot be in a DNS name"#
        );
        assert!(bad("ed", "a..b", &["From"]).contains("empty label"));
        assert!(bad("ed\r\nBcc: x", "a.b", &["From"]).contains("'\\r'"));
        assert!(bad("ed", "a.b", &["From", "X;b=1"]).contains("';' cannot be in a header name"));
        assert!(bad("ed", "a.b", &["Fr\x01om"]).contains("'\\u{1}'"));
        assert!(bad("ed", &format!("{}.b", "a".repeat(64)), &["From"]).contains("63"));
        // A non-ASCII domain is written as A-labels.
        let mut m = message();
        let cfg = DkimConfig::new(
            "ed".into(),
            "büro.example".into(),
            ed_key(),
            vec![HeaderName::new_from_ascii_str("from")],
            DkimCanonicalization::default(),
        );
        m.try_sign(&cfg).unwrap();
        let sig = m.headers().get_raw("DKIM-Signature").unwrap();
        assert!(sig.contains("d=xn--bro-hoa.example;"), "{sig}");
        // lettre's `sign` returns nothing: an unwritable config leaves the message unsigned.
        let mut m = message();
        let before = m.formatted();
        m.sign(&DkimConfig::default_config(
            "a b".into(),
            "x.y".into(),
            ed_key(),
        ));
        assert_eq!(m.formatted(), before);
    }

    #[test]
    fn a_header_block_that_does_not_read_back_is_not_signed() {
        // A value set through headers_mut with an empty line in it ends the header block on
        // the wire before lettre's last header.
        let mut m = message();
        m.headers_mut().insert_raw(
            lettre::message::header::HeaderValue::dangerous_new_pre_encoded(
                HeaderName::new_from_ascii_str("X-Bad"),
                "a".into(),
                "a\r\n\r\nX-After: b".into(),
            ),
        );
        let before = m.formatted();
        let err = m
            .try_sign(&config(DkimCanonicalization::default()))
            .unwrap_err();
        assert!(matches!(err, Error::Policy { .. }), "{err}");
        assert_eq!(m.formatted(), before);
    }

    #[test]
    fn h_is_folded_after_a_colon_and_every_line_fits() {
        let names: Vec<HeaderName> = [
            "From",
            "To",
            "Cc",
            "Subject",
            "Date",
            "Message-ID",
            "In-Reply-To",
            "References",
            "MIME-Version",
            "Content-Type",
            "Content-Transfer-Encoding",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
        ]
        .map(HeaderName::new_from_ascii_str)
        .to_vec();
        let cfg = DkimConfig::new(
            "ed".into(),
            "letterhead.test".into(),
            ed_key(),
            names,
            DkimCanonicalization::default(),
        )
        .oversign(true);
        let mut m = message();
        sign_at(&mut m.0, &cfg, 1_700_000_000).unwrap();
        let text = String::from_utf8(m.formatted()).unwrap();
        let raw = std::str::from_utf8(fields(text.as_bytes())[0].raw).unwrap();
        assert!(raw.lines().count() >= 4, "{raw}");
        for line in raw.trim_end().split("\r\n") {
            assert!(line.len() <= 78, "{line:?} in\n{raw}");
        }
        // Cc, which the message lacks, once (signed as absent); the others twice.
        let unfolded: String = m
            .headers()
            .get_raw("DKIM-Signature")
            .unwrap()
            .split_whitespace()
            .collect();
        assert!(
            unfolded.contains(
                "h=From:From:To:To:Cc:Subject:Subject:Date:Date:Message-ID:Message-ID:\
                 In-Reply-To:References:MIME-Version:Content-Type:Content-Transfer-Encoding:\
                 Content-Transfer-Encoding:List-Unsubscribe:List-Unsubscribe-Post;"
            ),
            "{unfolded}"
        );
    }
}
