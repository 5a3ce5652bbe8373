//! XOAUTH2 and OAUTHBEARER (RFC 7628) for SMTP AUTH (RFC 4954): the mechanism a server
//! offers, the client's lines, the server's error challenge. The I/O is the transports'.

use base64::{engine::general_purpose::STANDARD, Engine};
use lettre::transport::smtp::response::Response;

use super::Error;
use crate::oauth2::{is_b64token, AccessToken, TokenSource};

/// RFC 5321 section 4.5.3.1.4: a command line is at most 512 octets with its CRLF. An
/// `AUTH` whose initial response would be longer goes without it (RFC 4954 section 4) and
/// sends the response after the server's empty `334`, on a line of up to 12,288 octets.
const MAX_COMMAND_LINE: usize = 512;

/// The SASL mechanisms for bearer tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mechanism {
    /// RFC 7628, the standard one: where the server offers it.
    OAuthBearer,
    /// Google's and Microsoft's: Office 365 offers only this one.
    XOAuth2,
}

impl Mechanism {
    fn name(self) -> &'static str {
        match self {
            Mechanism::OAuthBearer => "OAUTHBEARER",
            Mechanism::XOAuth2 => "XOAUTH2",
        }
    }

    /// The mechanism to use with a server whose EHLO reply is `ehlo`: OAUTHBEARER where it
    /// is offered, else XOAUTH2; XOAUTH2 only when the transport's `authentication` list
    /// names `Mechanism::Xoauth2` (`chosen`, the transport's list).
    pub(crate) fn offered(
        ehlo: &Response,
        chosen: &[lettre::transport::smtp::authentication::Mechanism],
    ) -> Result<Mechanism, Error> {
        let xoauth2_only =
            chosen.contains(&lettre::transport::smtp::authentication::Mechanism::Xoauth2);
        let mut names: Vec<String> = Vec::new();
        for line in ehlo.message() {
            let upper = line.to_ascii_uppercase();
            // `AUTH mech ...`, and the pre-RFC 4954 `AUTH=mech ...` some servers still send.
            let Some(rest) = upper
                .strip_prefix("AUTH ")
                .or_else(|| upper.strip_prefix("AUTH="))
            else {
                continue;
            };
            names.extend(rest.split_ascii_whitespace().map(str::to_owned));
        }
        let candidates: &[Mechanism] = if xoauth2_only {
            &[Mechanism::XOAuth2]
        } else {
            &[Mechanism::OAuthBearer, Mechanism::XOAuth2]
        };
        for &mechanism in candidates {
            if names.iter().any(|n| n == mechanism.name()) {
                return Ok(mechanism);
            }
        }
        Err(Error::client(if names.is_empty() {
            "the server offers no AUTH; OAuth2 needs XOAUTH2 or OAUTHBEARER \
             (on port 587, after STARTTLS)"
                .to_owned()
        } else if xoauth2_only {
            format!(
                "the transport's authentication is Mechanism::Xoauth2, but the server \
                 does not offer XOAUTH2 (AUTH {})",
                names.join(" ")
            )
        } else {
            format!(
                "the server offers neither XOAUTH2 nor OAUTHBEARER (AUTH {})",
                names.join(" ")
            )
        }))
    }
}

/// The transports' rule for tokens the server refuses: the token leaves the cache and the
/// connection is opened once more with a new one, not at all when the grant hands out the
/// same token again (a fixed one). One per `open`.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    retried: bool,
    /// The refused token's secret, and the server's refusal.
    last: Option<(String, Error)>,
}

impl Refusals {
    /// Before a connection with `token`: the standing refusal if it is the one refused.
    pub(crate) fn check(&mut self, token: &AccessToken) -> Result<(), Error> {
        if let Some((refused, e)) = self.last.take() {
            if refused == token.secret() {
                return Err(e);
            }
            self.retried = true;
        }
        Ok(())
    }

    /// The server refused `token` with `e`: `Ok` to close this connection and go again,
    /// `e` after the second refusal.
    pub(crate) fn refused(
        &mut self,
        tokens: &TokenSource,
        token: &AccessToken,
        e: Error,
    ) -> Result<(), Error> {
        // Never again, on this connection or the next.
        tokens.refused(token);
        if self.retried {
            return Err(e);
        }
        self.last = Some((token.secret().to_owned(), e));
        Ok(())
    }
}

/// One AUTH exchange: the client's lines, and what each server reply means. The transports
/// send [`command`](Exchange::command), then each line [`next`](Exchange::next) hands back
/// until it says the client is authenticated or fails.
#[derive(Debug)]
pub(crate) struct Exchange {
    mechanism: Mechanism,
    /// The client's response, base64.
    response: String,
    stage: Stage,
}

#[derive(Debug)]
enum Stage {
    /// AUTH was sent (with the response, when inline).
    Command,
    /// The response was sent on its own line.
    Response,
    /// The server sent an error challenge with this reason; the client ended the exchange.
    Abort(String),
}

impl Exchange {
    /// The exchange for `user` with `token`: the token must be a `b64token`, the user
    /// printable (it goes into the SASL message, not into any SMTP line of its own).
    pub(crate) fn new(mechanism: Mechanism, user: &str, token: &str) -> Result<Exchange, Error> {
        if user.is_empty() || user.chars().any(char::is_control) {
            return Err(Error::client(format!(
                "OAuth2 user {user:?}: empty, or holds a control character"
            )));
        }
        if !is_b64token(token) {
            return Err(Error::client(
                "the OAuth2 access token has characters a Bearer token cannot have \
                 (RFC 6750 b64token)",
            ));
        }
        let message = match mechanism {
            // https://developers.google.com/gmail/imap/xoauth2-protocol
            Mechanism::XOAuth2 => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
            // RFC 7628 section 3.1: the GS2 header with the authzid as a saslname
            // (RFC 5801: "," and "=" escaped), then the kvpairs.
            Mechanism::OAuthBearer => format!(
                "n,a={},\x01auth=Bearer {token}\x01\x01",
                user.replace('=', "=3D").replace(',', "=2C")
            ),
        };
        Ok(Exchange {
            mechanism,
            response: STANDARD.encode(message),
            stage: Stage::Command,
        })
    }

    /// What the server's `reply` to the last line means: `Ok(Some(line))` is the next line
    /// to send, `Ok(None)` success (`235`); a refusal (a negative reply, or an error
    /// challenge) is an error that `is_refused`, with the challenge's reason.
    pub(crate) fn next(&mut self, reply: Result<Response, Error>) -> Result<Option<String>, Error> {
        let stage = std::mem::replace(&mut self.stage, Stage::Response);
        let reply = match (reply, stage) {
            // The server's refusal (535, ...) carries the challenge's reason; a lost
            // connection or a timeout is not a refusal of the token.
            (Err(e), Stage::Abort(reason)) if e.status().is_some() => {
                return Err(e.refused(Some(reason).filter(|r| !r.is_empty())))
            }
            (Err(e), _) => return Err(e),
            (Ok(r), Stage::Abort(reason)) => {
                return Err(Error::response(format!(
                    "the server answered the end of an OAuth2 error challenge with {}",
                    r.code()
                ))
                .refused(Some(reason).filter(|r| !r.is_empty())))
            }
            (Ok(r), Stage::Command) if !self.inline() => {
                return if r.has_code(334) {
                    Ok(Some(self.response()))
                } else {
                    Err(Error::response(format!(
                        "AUTH {} without an initial response: the server answered {}, not 334",
                        self.mechanism.name(),
                        r.code()
                    )))
                };
            }
            (Ok(r), _) => r,
        };
        if reply.has_code(334) {
            self.stage = Stage::Abort(challenge_reason(&reply));
            return Ok(Some(self.abort().to_owned()));
        }
        if reply.has_code(235) {
            return Ok(None);
        }
        Err(Error::response(format!(
            "AUTH {}: the server answered {}, not 235",
            self.mechanism.name(),
            reply.code()
        )))
    }

    /// Whether the response goes on the AUTH line itself.
    fn inline(&self) -> bool {
        "AUTH ".len() + self.mechanism.name().len() + 1 + self.response.len() + 2
            <= MAX_COMMAND_LINE
    }

    /// The AUTH command, with the response when it fits.
    pub(crate) fn command(&self) -> String {
        if self.inline() {
            format!("AUTH {} {}\r\n", self.mechanism.name(), self.response)
        } else {
            format!("AUTH {}\r\n", self.mechanism.name())
        }
    }

    /// The response on a line of its own, after the server's empty `334`.
    fn response(&self) -> String {
        format!("{}\r\n", self.response)
    }

    /// The client's answer to an error challenge, which ends the exchange: the dummy `%x01`
    /// of RFC 7628 section 3.2.3 for OAUTHBEARER, an empty line for XOAUTH2.
    fn abort(&self) -> &'static str {
        match self.mechanism {
            Mechanism::OAuthBearer => "AQ==\r\n",
            Mechanism::XOAuth2 => "\r\n",
        }
    }
}

/// The server's reason in an error challenge (`334 <base64 JSON>`, RFC 7628 section
/// 3.2.2), decoded, control characters shown as spaces; the raw text if it is not base64.
pub(crate) fn challenge_reason(challenge: &Response) -> String {
    let text: String = challenge.message().collect::<Vec<_>>().join("");
    let decoded = STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    decoded
        .unwrap_or(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(s: &str) -> Response {
        s.parse().unwrap()
    }

    #[test]
    fn refusals_try_once_more_with_another_token_only() {
        // A fixed token comes back the same: the first refusal stands, no second try.
        let tokens = TokenSource::fixed("t1");
        let t1 = tokens.token_blocking().unwrap();
        let mut refusals = Refusals::default();
        refusals.check(&t1).unwrap();
        refusals
            .refused(&tokens, &t1, Error::client("first refusal"))
            .unwrap();
        let again = tokens.token_blocking().unwrap();
        assert_eq!(again, t1);
        let e = refusals.check(&again).unwrap_err();
        assert!(e.to_string().contains("first refusal"), "{e}");

        // Another token: one more try, and its refusal is the error.
        let mut refusals = Refusals::default();
        refusals
            .refused(&tokens, &t1, Error::client("first refusal"))
            .unwrap();
        let t2 = AccessToken::new("t2", None);
        refusals.check(&t2).unwrap();
        let e = refusals
            .refused(&tokens, &t2, Error::client("second refusal"))
            .unwrap_err();
        assert!(e.to_string().contains("second refusal"), "{e}");
    }

    use lettre::transport::smtp::authentication::Mechanism as Chosen;

    /// The transport's default `authentication` list.
    const DEFAULT: &[Chosen] = &[Chosen::Plain, Chosen::Login];

    #[test]
    fn the_mechanism_is_oauthbearer_where_offered() {
        let gmail = reply("250-smtp.gmail.com at your service\r\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n250 SMTPUTF8\r\n");
        assert_eq!(
            Mechanism::offered(&gmail, DEFAULT).unwrap(),
            Mechanism::OAuthBearer
        );
        let o365 = reply("250-x.outlook.office365.com Hello\r\n250-SIZE 157286400\r\n250-AUTH LOGIN XOAUTH2\r\n250 SMTPUTF8\r\n");
        assert_eq!(
            Mechanism::offered(&o365, DEFAULT).unwrap(),
            Mechanism::XOAuth2
        );
        let old = reply("250-mx\r\n250 AUTH=xoauth2\r\n");
        assert_eq!(
            Mechanism::offered(&old, DEFAULT).unwrap(),
            Mechanism::XOAuth2
        );
        let plain = reply("250-mx\r\n250 AUTH PLAIN LOGIN\r\n");
        let e = Mechanism::offered(&plain, DEFAULT).unwrap_err().to_string();
        assert!(
            e.contains("neither XOAUTH2 nor OAUTHBEARER (AUTH PLAIN LOGIN)"),
            "{e}"
        );
        // `authentication(vec![Mechanism::Xoauth2])`, as lettre apps set it: XOAUTH2 only.
        assert_eq!(
            Mechanism::offered(&gmail, &[Chosen::Xoauth2]).unwrap(),
            Mechanism::XOAuth2
        );
        let bearer_only = reply("250-mx\r\n250 AUTH OAUTHBEARER\r\n");
        assert_eq!(
            Mechanism::offered(&bearer_only, DEFAULT).unwrap(),
            Mechanism::OAuthBearer
        );
        let e = Mechanism::offered(&bearer_only, &[Chosen::Xoauth2])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("does not offer XOAUTH2 (AUTH OAUTHBEARER)"),
            "{e}"
        );
        let none = reply("250-mx\r\n250 STARTTLS\r\n");
        assert!(Mechanism::offered(&none, DEFAULT)
            .unwrap_err()
            .to_string()
            .contains("no AUTH"));
    }

    #[test]
    fn the_client_messages_are_the_specs() {
        let x = Exchange::new(
            Mechanism::XOAuth2,
            "someuser@example.com",
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
        )
        .unwrap();
        // Google's example (xoauth2-protocol), base64 of user=...^Aauth=Bearer ...^A^A.
        assert_eq!(
            x.command(),
            "AUTH XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==\r\n"
        );
        assert_eq!(x.abort(), "\r\n");
        // RFC 7628 section 4.1's message, with the optional host and port left out.
        let b = Exchange::new(
            Mechanism::OAuthBearer,
            "user@example.com",
            "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
        )
        .unwrap();
        let line = b.command();
        let sent = STANDARD
            .decode(line.trim_end().rsplit(' ').next().unwrap())
            .unwrap();
        assert_eq!(sent, b"n,a=user@example.com,\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01");
        assert_eq!(b.abort(), "AQ==\r\n");
        let escaped = Exchange::new(Mechanism::OAuthBearer, "a,b=c", "t").unwrap();
        let sent = STANDARD
            .decode(escaped.command().trim_end().rsplit(' ').next().unwrap())
            .unwrap();
        assert!(sent.starts_with(b"n,a=a=2Cb=3Dc,\x01"));
    }

    #[test]
    fn a_long_token_goes_after_the_empty_challenge() {
        let token = "e".repeat(2000);
        let x = Exchange::new(Mechanism::XOAuth2, "u@example.com", &token).unwrap();
        assert!(!x.inline());
        assert_eq!(x.command(), "AUTH XOAUTH2\r\n");
        assert!(x.response().len() > 2600 && x.response().ends_with("\r\n"));
        let short = Exchange::new(Mechanism::XOAuth2, "u@example.com", "t").unwrap();
        assert!(short.inline() && short.command().len() <= MAX_COMMAND_LINE);
    }

    #[test]
    fn nothing_breaks_the_framing() {
        for token in ["", "a b", "a\x01b", "a\r\nQUIT", "=", "tök"] {
            assert!(
                Exchange::new(Mechanism::XOAuth2, "u", token).is_err(),
                "{token:?}"
            );
        }
        for user in ["", "u\x01", "u\r\nRSET"] {
            assert!(
                Exchange::new(Mechanism::XOAuth2, user, "t").is_err(),
                "{user:?}"
            );
        }
        assert!(is_b64token("a-._~+/Z9=="));
    }

    #[test]
    fn the_error_challenge_is_read() {
        // RFC 7628 section 4.3's error.
        let c = reply("334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=\r\n");
        assert_eq!(
            challenge_reason(&c),
            r#"{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}"#
        );
        assert_eq!(
            challenge_reason(&reply("334 not base64!\r\n")),
            "not base64!"
        );
    }

    #[test]
    fn the_replies_lead_the_exchange() {
        let mut x = Exchange::new(Mechanism::OAuthBearer, "u@example.com", "t").unwrap();
        assert_eq!(
            x.next(Ok(reply("235 2.7.0 Authentication successful\r\n")))
                .unwrap(),
            None
        );

        // An error challenge: the client ends it, the final reply is the refusal with the reason.
        let mut x = Exchange::new(Mechanism::OAuthBearer, "u@example.com", "t").unwrap();
        let c = reply("334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=\r\n");
        assert_eq!(x.next(Ok(c)).unwrap().as_deref(), Some("AQ==\r\n"));
        let final_reply = reply("535 5.7.8 Error: authentication failed\r\n");
        let e = x.next(Err(Error::code(&final_reply))).unwrap_err();
        assert!(e.is_refused() && e.is_permanent());
        assert_eq!(
            e.to_string(),
            r#"permanent error (535): 5.7.8 Error: authentication failed; the server's reason: {"status":"invalid_token"}"#
        );

        // A long token: AUTH alone, the response after the empty 334.
        let mut x = Exchange::new(Mechanism::XOAuth2, "u@example.com", &"e".repeat(600)).unwrap();
        assert_eq!(x.command(), "AUTH XOAUTH2\r\n");
        let line = x.next(Ok(reply("334 \r\n"))).unwrap().unwrap();
        assert!(line.len() > 800 && !line.starts_with("AUTH"));
        assert_eq!(x.next(Ok(reply("235 ok\r\n"))).unwrap(), None);
        let mut x = Exchange::new(Mechanism::XOAuth2, "u@example.com", &"e".repeat(600)).unwrap();
        assert!(x.next(Ok(reply("250 what\r\n"))).is_err());
    }
}
