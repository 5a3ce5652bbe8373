//! A token endpoint on loopback for the OAuth2 tests (`tests/e2e_oauth2.rs`,
//! `tests/e2e_apps.rs`): an HTTP/1.1 server on 127.0.0.1 that answers the client-credentials
//! and refresh-token grants (RFC 6749 sections 4.4 and 6) the way the Microsoft identity
//! platform does, with access tokens the fixture's Dovecot accepts: HS256 JWTs signed with
//! `FIXTURE_OAUTH_KEY` (scripts/postfix/README.md, "The token").
//!
//! It counts what it hands out, and the tests change it as they go: a client secret revoked,
//! tokens signed with a wrong key, a shorter lifetime, longer tokens.
#![allow(dead_code)]

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use sha2::{Digest, Sha256};

/// What Microsoft answers for a wrong or revoked client secret (its text, shortened).
pub const INVALID_CLIENT: &str = "AADSTS7000215: Invalid client secret provided. Ensure the \
    secret being sent in the request is the client secret value, not the client secret ID";

/// One token handed out.
#[derive(Debug, Clone)]
pub struct Issued {
    pub at: Instant,
    pub grant_type: String,
    pub client_id: String,
    pub scope: Option<String>,
    pub access_token: String,
}

#[derive(Debug)]
struct State {
    /// client id -> secret.
    clients: HashMap<String, String>,
    /// Refresh tokens that are good, each for its client id; used ones are removed.
    refresh_tokens: HashMap<String, String>,
    lifetime: Duration,
    key: Vec<u8>,
    /// Bytes of padding in each token's claims, to make long tokens.
    padding: usize,
    issuer: String,
    subject: String,
    /// How long each request waits before its answer.
    delay: Duration,
    issued: Vec<Issued>,
    refused: usize,
    serial: u64,
}

/// The endpoint; it serves until the test process ends.
#[derive(Debug, Clone)]
pub struct TokenEndpoint {
    url: String,
    state: Arc<Mutex<State>>,
}

impl TokenEndpoint {
    /// An endpoint that signs with `key` (the decoded `FIXTURE_OAUTH_KEY`), for `subject`
    /// (`sub`) from `issuer` (`iss`), tokens that live an hour.
    pub fn start(key: Vec<u8>, issuer: &str, subject: &str) -> TokenEndpoint {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let endpoint = TokenEndpoint {
            url: format!("http://127.0.0.1:{port}/tenant/oauth2/v2.0/token"),
            state: Arc::new(Mutex::new(State {
                clients: HashMap::new(),
                refresh_tokens: HashMap::new(),
                lifetime: Duration::from_secs(3600),
                key,
                padding: 0,
                issuer: issuer.to_owned(),
                subject: subject.to_owned(),
                delay: Duration::ZERO,
                issued: Vec::new(),
                refused: 0,
                serial: 0,
            })),
        };
        let state = Arc::clone(&endpoint.state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&state);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        endpoint
    }

    /// The key `FIXTURE_OAUTH_KEY` names: its one line of base64, decoded.
    pub fn fixture_key(path: &std::path::Path) -> Vec<u8> {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("FIXTURE_OAUTH_KEY {}: {e}", path.display()));
        STANDARD
            .decode(text.trim())
            .unwrap_or_else(|e| panic!("FIXTURE_OAUTH_KEY {}: {e}", path.display()))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The token URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Registers a client (or changes its secret).
    pub fn add_client(&self, id: &str, secret: &str) {
        self.lock().clients.insert(id.to_owned(), secret.to_owned());
    }

    /// Revokes a client: its requests get `401 invalid_client` from now on.
    pub fn revoke_client(&self, id: &str) {
        self.lock().clients.remove(id);
    }

    /// A refresh token for `client_id`, good for one use (each use hands out the next one).
    pub fn add_refresh_token(&self, client_id: &str) -> String {
        let mut state = self.lock();
        state.serial += 1;
        let token = format!("rt-{}-{}", state.serial, std::process::id());
        state
            .refresh_tokens
            .insert(token.clone(), client_id.to_owned());
        token
    }

    /// How long the tokens handed out from now on live (`expires_in`, and their `exp`).
    pub fn set_lifetime(&self, lifetime: Duration) {
        self.lock().lifetime = lifetime;
    }

    /// Signs the tokens handed out from now on with `key`.
    pub fn set_key(&self, key: Vec<u8>) {
        self.lock().key = key;
    }

    /// Makes the tokens handed out from now on at least `len` characters long.
    pub fn set_min_token_len(&self, len: usize) {
        self.lock().padding = len;
    }

    /// Makes each answer from now on wait `delay`, as a slow identity platform does.
    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// The tokens handed out so far, in order.
    pub fn issued(&self) -> Vec<Issued> {
        self.lock().issued.clone()
    }

    /// How many tokens were handed out.
    pub fn fetches(&self) -> usize {
        self.lock().issued.len()
    }

    /// How many requests were refused.
    pub fn refused(&self) -> usize {
        self.lock().refused
    }
}

/// One connection: one request, one answer, then close.
fn serve(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(&stream);
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    let (status, body) = match read_request(&mut reader) {
        Ok(form) => {
            let delay = lock().delay;
            std::thread::sleep(delay);
            answer(&form, &mut lock())
        }
        Err(reason) => (400, error_body("invalid_request", &reason)),
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Unauthorized",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\n\
         Cache-Control: no-store\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = &stream;
    let _ = stream.write_all(response.as_bytes());
}

/// The form of a `POST` with `application/x-www-form-urlencoded`.
fn read_request(reader: &mut impl BufRead) -> Result<HashMap<String, String>, String> {
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    if !line.starts_with("POST /tenant/oauth2/v2.0/token ") {
        return Err(format!("unexpected request line {:?}", line.trim_end()));
    }
    let mut length = None;
    let mut form_type = false;
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').ok_or("a header without ':'")?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse::<usize>().ok(),
            "content-type" => {
                form_type = value
                    .trim()
                    .starts_with("application/x-www-form-urlencoded")
            }
            _ => {}
        }
    }
    if !form_type {
        return Err("Content-Type is not application/x-www-form-urlencoded".into());
    }
    let length = length.ok_or("no Content-Length")?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    let body = String::from_utf8(body).map_err(|e| e.to_string())?;
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((form_decode(name)?, form_decode(value)?))
        })
        .collect()
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
fn form_decode(text: &str) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = rest.get(..2).ok_or("a truncated %-escape")?;
                let hex = std::str::from_utf8(hex).map_err(|e| e.to_string())?;
                bytes.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
                rest = &rest[2..];
            }
            _ => bytes.push(b),
        }
    }
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

fn error_body(error: &str, description: &str) -> String {
    serde_json::json!({ "error": error, "error_description": description }).to_string()
}

fn answer(form: &HashMap<String, String>, state: &mut State) -> (u16, String) {
    let field = |name: &str| form.get(name).map(String::as_str);
    let client_id = field("client_id").unwrap_or_default().to_owned();
    let mut refresh_token = None;
    let refusal = match field("grant_type") {
        Some("client_credentials") => match state.clients.get(&client_id) {
            Some(secret) if field("client_secret") == Some(secret.as_str()) => None,
            _ => Some((401, "invalid_client", INVALID_CLIENT.to_owned())),
        },
        Some("refresh_token") => {
            let presented = field("refresh_token").unwrap_or_default();
            match state.refresh_tokens.get(presented) {
                Some(owner) if *owner == client_id => {
                    state.refresh_tokens.remove(presented);
                    state.serial += 1;
                    let next = format!("rt-{}-{}", state.serial, std::process::id());
                    state.refresh_tokens.insert(next.clone(), client_id.clone());
                    refresh_token = Some(next);
                    None
                }
                _ => Some((
                    400,
                    "invalid_grant",
                    "AADSTS70000: The provided value for the refresh_token is invalid or \
                     has been used already."
                        .to_owned(),
                )),
            }
        }
        other => Some((
            400,
            "unsupported_grant_type",
            format!("grant_type {other:?} is not supported"),
        )),
    };
    if let Some((status, error, description)) = refusal {
        state.refused += 1;
        return (status, error_body(error, &description));
    }
    let access_token = jwt(state);
    state.issued.push(Issued {
        at: Instant::now(),
        grant_type: field("grant_type").unwrap_or_default().to_owned(),
        client_id,
        scope: field("scope").map(str::to_owned),
        access_token: access_token.clone(),
    });
    let mut body = serde_json::json!({
        "token_type": "Bearer",
        "expires_in": state.lifetime.as_secs(),
        "ext_expires_in": state.lifetime.as_secs(),
        "access_token": access_token,
    });
    if let Some(next) = refresh_token {
        body["refresh_token"] = next.into();
    }
    (200, body.to_string())
}

/// An HS256 JWT for the fixture's Dovecot (scripts/postfix/README.md, "The token").
fn jwt(state: &mut State) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    state.serial += 1;
    let mut claims = serde_json::json!({
        "iss": state.issuer,
        "sub": state.subject,
        "iat": now,
        "exp": now + state.lifetime.as_secs(),
        "jti": format!("{}-{}", std::process::id(), state.serial),
    });
    if state.padding > 0 {
        claims["pad"] = "p".repeat(state.padding).into();
    }
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = hmac_sha256(&state.key, signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// HMAC-SHA-256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}
