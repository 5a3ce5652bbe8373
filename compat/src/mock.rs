//! Test doubles the way apps write them: implement only `send_raw` and inherit
//! lettre's provided `send`.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::{AsyncTransport, Transport};

/// What a mock saw for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub from: Option<String>,
    pub to: Vec<String>,
    pub raw: String,
}

impl Captured {
    fn new(envelope: &Envelope, email: &[u8]) -> Self {
        Captured {
            from: envelope.from().map(|a| a.to_string()),
            to: envelope.to().iter().map(|a| a.to_string()).collect(),
            raw: String::from_utf8(email.to_vec()).expect("formatted email is UTF-8"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MockError {
    Rejected(String),
}

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MockError::Rejected(addr) => write!(f, "rejected recipient {addr}"),
        }
    }
}

impl std::error::Error for MockError {}

/// Async mock: records every message; rejects any envelope naming `reject`.
#[derive(Debug, Clone, Default)]
pub struct MockMailer {
    pub sent: Arc<Mutex<Vec<Captured>>>,
    pub reject: Option<String>,
}

impl MockMailer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn rejecting(addr: &str) -> Self {
        MockMailer {
            reject: Some(addr.to_owned()),
            ..Self::default()
        }
    }

    pub fn sent(&self) -> Vec<Captured> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait]
impl AsyncTransport for MockMailer {
    type Ok = ();
    type Error = MockError;

    async fn send_raw(&self, envelope: &Envelope, email: &[u8]) -> Result<Self::Ok, Self::Error> {
        if let Some(reject) = &self.reject {
            if envelope.to().iter().any(|a| a.to_string() == *reject) {
                return Err(MockError::Rejected(reject.clone()));
            }
        }
        self.sent
            .lock()
            .unwrap()
            .push(Captured::new(envelope, email));
        Ok(())
    }
}

/// Blocking mock with a non-unit `Ok` (a queue id), like FileTransport's.
#[derive(Debug, Default)]
pub struct RecordingTransport {
    pub sent: Mutex<Vec<Captured>>,
}

impl Transport for RecordingTransport {
    type Ok = usize;
    type Error = MockError;

    fn send_raw(&self, envelope: &Envelope, email: &[u8]) -> Result<Self::Ok, Self::Error> {
        let mut sent = self.sent.lock().unwrap();
        sent.push(Captured::new(envelope, email));
        Ok(sent.len())
    }
}
