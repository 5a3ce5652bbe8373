//! OAuth2 end to end (feature `oauth2`): access tokens from a token endpoint on loopback
//! (`support/token_endpoint.rs`, the client-credentials and refresh-token grants, HS256 JWTs),
//! SMTP AUTH with them on the Postfix fixture's OAuth 2.0 port, where Dovecot validates each
//! token (signature, `exp`, `iss`, `sub`) as Office 365 does: STARTTLS, then AUTH XOAUTH2 or
//! OAUTHBEARER, then the mail, which must arrive in the Maildir.
//!
//! A fresh token (sync and async, OAUTHBEARER and XOAUTH2); a pooled transport that outlives
//! 5-second tokens; a revoked client; tokens the server refuses; 16 concurrent senders and one
//! fetch; a token too long for the AUTH line; the refresh-token grant with rotation.
//!
//! Needs the fixture: `eval "$(scripts/postfix-fixture start)"`, or `scripts/test`. Without it
//! the tests print a notice and pass, unless `LETTERHEAD_REQUIRE_FIXTURE=1`.

mod support;
#[path = "support/token_endpoint.rs"]
mod token_endpoint;

use std::time::{Duration, Instant};

use letterhead::{
    oauth2::{self, ClientCredentials, RefreshToken, TokenSource},
    transport::smtp::{authentication::Mechanism, client::Tls, Error, PoolConfig, Step},
    AsyncSmtpTransport, AsyncTransport, Message, SmtpTransport, Tokio1Executor, Transport,
};
use support::{run_tag, Fixture, OAuthPort};
use token_endpoint::{hmac_sha256, TokenEndpoint, INVALID_CLIENT};

const SCOPE: &str = "https://outlook.office365.com/.default";

/// The fixture, its OAuth 2.0 port and a token endpoint whose tokens that port accepts.
fn setup(test: &str) -> Option<(Fixture, OAuthPort, TokenEndpoint)> {
    let fixture = Fixture::from_env(test)?;
    let port = fixture.oauth_port(test)?.clone();
    let key = TokenEndpoint::fixture_key(&port.key);
    let endpoint = TokenEndpoint::start(key, &port.issuer, &port.user);
    Some((fixture, port, endpoint))
}

/// Tokens for `client` by the client-credentials grant, as for Office 365.
fn client_credentials(endpoint: &TokenEndpoint, client: &str) -> TokenSource {
    let secret = format!("{client}-secret");
    endpoint.add_client(client, &secret);
    TokenSource::new(
        ClientCredentials::new(endpoint.url(), client, secret)
            .unwrap()
            .scope(SCOPE),
    )
}

fn sync_mailer(fixture: &Fixture, port: &OAuthPort, tokens: TokenSource) -> SmtpTransport {
    SmtpTransport::builder_dangerous("127.0.0.1")
        .port(port.port)
        .tls(Tls::Required(fixture.tls_parameters("localhost")))
        .oauth2(&port.user, tokens)
        .timeout(Some(Duration::from_secs(30)))
        .build()
}

/// A pool whose connections close after 300 ms idle: a send after a pause opens a new
/// connection, which authenticates with a current token.
fn short_lived() -> PoolConfig {
    PoolConfig::new().idle_timeout(Duration::from_millis(300))
}

fn sync_mailer_with(
    fixture: &Fixture,
    port: &OAuthPort,
    tokens: TokenSource,
    pool: PoolConfig,
) -> SmtpTransport {
    SmtpTransport::builder_dangerous("127.0.0.1")
        .port(port.port)
        .tls(Tls::Required(fixture.tls_parameters("localhost")))
        .oauth2(&port.user, tokens)
        .timeout(Some(Duration::from_secs(30)))
        .pool_config(pool)
        .build()
}

fn async_mailer(
    fixture: &Fixture,
    port: &OAuthPort,
    tokens: TokenSource,
    pool: PoolConfig,
) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port.port)
        .tls(Tls::Required(fixture.tls_parameters("localhost")))
        .oauth2(&port.user, tokens)
        .timeout(Some(Duration::from_secs(30)))
        .pool_config(pool)
        .build()
}

fn message(port: &OAuthPort, subject: String) -> Message {
    Message::builder()
        .from(port.user.parse().unwrap())
        .to("juergen@fixture.test".parse().unwrap())
        .subject(subject)
        .message_id_domain("oauth2.fixture.test")
        .body(String::from("Sent with an OAuth2 access token"))
        .unwrap()
}

/// Waits until the message with this Message-ID is in the Maildir, once.
fn assert_arrived(fixture: &Fixture, message: &Message) {
    let id = message.message_id().expect("a Message-ID").to_string();
    let found = fixture.find_message_id(&id, Duration::from_secs(30));
    assert_eq!(found.len(), 1, "{id} in the Maildir: {found:?}");
}

#[test]
fn the_test_endpoints_hmac_is_rfc_4231s() {
    // RFC 4231 section 4.3, test case 2.
    let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn a_fresh_token_sends_sync_and_async() {
    let Some((fixture, port, endpoint)) = setup("a_fresh_token_sends_sync_and_async") else {
        return;
    };
    let tag = run_tag("oauth2-fresh");
    let tokens = client_credentials(&endpoint, "fresh");

    let sync = sync_mailer(&fixture, &port, tokens.clone());
    let first = message(&port, format!("{tag} sync, OAUTHBEARER"));
    sync.send(&first).expect("sync send with a fresh token");

    // XOAUTH2, Office 365's only mechanism, as lettre code for it asks.
    let xoauth2 = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(port.port)
        .tls(Tls::Required(fixture.tls_parameters("localhost")))
        .authentication(vec![Mechanism::Xoauth2])
        .oauth2(&port.user, tokens.clone())
        .timeout(Some(Duration::from_secs(30)))
        .build();
    let second = message(&port, format!("{tag} sync, XOAUTH2"));
    xoauth2.send(&second).expect("sync send by XOAUTH2");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let third = message(&port, format!("{tag} async"));
    runtime
        .block_on(async {
            let mailer = async_mailer(&fixture, &port, tokens, PoolConfig::new());
            mailer.send(third.clone()).await
        })
        .expect("async send with a fresh token");

    for m in [&first, &second, &third] {
        assert_arrived(&fixture, m);
    }
    // One token, fetched once, used by all three transports (clones share the cache).
    let issued = endpoint.issued();
    assert_eq!(issued.len(), 1, "{issued:?}");
    assert_eq!(issued[0].grant_type, "client_credentials");
    assert_eq!(issued[0].scope.as_deref(), Some(SCOPE));
}

/// A pooled connection stays authenticated after its token expires: SMTP authenticates a
/// session once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_connection_outlives_its_token() {
    let Some((fixture, port, endpoint)) = setup("a_pooled_connection_outlives_its_token") else {
        return;
    };
    let tag = run_tag("oauth2-outlive");
    endpoint.set_lifetime(Duration::from_secs(5));
    let tokens = client_credentials(&endpoint, "outlive");
    let pool = PoolConfig::new()
        .max_size(1)
        .idle_timeout(Duration::from_secs(60));
    let mailer = async_mailer(&fixture, &port, tokens, pool);
    let first = message(&port, format!("{tag} before the token expires"));
    mailer.send(first.clone()).await.expect("first send");
    tokio::time::sleep(Duration::from_secs(6)).await;
    let second = message(&port, format!("{tag} after the token expired"));
    mailer
        .send(second.clone())
        .await
        .expect("a send on the pooled connection after its token expired");
    assert_arrived(&fixture, &first);
    assert_arrived(&fixture, &second);
    assert_eq!(
        endpoint.fetches(),
        1,
        "the connection was reused, no new token"
    );
}

/// New connections of a pooled transport get a current token: the source fetches the next
/// one before the last expires, so that no connection offers an expired one (which the
/// server would refuse, and the transport would retry with a fetch after the expiry).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_transport_outlives_five_second_tokens() {
    let Some((fixture, port, endpoint)) = setup("a_pooled_transport_outlives_five_second_tokens")
    else {
        return;
    };
    let tag = run_tag("oauth2-refresh");
    let lifetime = Duration::from_secs(5);
    endpoint.set_lifetime(lifetime);
    let tokens = client_credentials(&endpoint, "refresh");
    // Each send below opens a connection: the last one was closed while idle.
    let pool = short_lived().max_size(2);
    let mailer = async_mailer(&fixture, &port, tokens, pool);
    let started = Instant::now();
    let mut sent = Vec::new();
    let mut n = 0;
    while started.elapsed() < Duration::from_secs(13) {
        n += 1;
        let m = message(&port, format!("{tag} #{n}"));
        mailer
            .send(m.clone())
            .await
            .unwrap_or_else(|e| panic!("send #{n} at {:?}: {e}", started.elapsed()));
        sent.push(m);
        tokio::time::sleep(Duration::from_millis(800)).await;
    }
    for m in &sent {
        assert_arrived(&fixture, m);
    }
    let issued = endpoint.issued();
    // Each token is used for half its life (the margin is at most half of it), then the
    // next is fetched: about 13 s / 2.5 s.
    assert!(
        (4..=7).contains(&issued.len()),
        "{} fetches in 13 s of 5-second tokens: {issued:?}",
        issued.len()
    );
    for pair in issued.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= lifetime / 2 && gap < lifetime,
            "the next token came {gap:?} after the last, not within its 5 s (before it \
             expired) nor after half of them (the cache): {issued:?}"
        );
    }
    assert_eq!(endpoint.refused(), 0);
}

#[test]
fn a_revoked_client_is_a_clear_error() {
    let Some((fixture, port, endpoint)) = setup("a_revoked_client_is_a_clear_error") else {
        return;
    };
    let tag = run_tag("oauth2-revoked");
    endpoint.set_lifetime(Duration::from_secs(2));
    let tokens = client_credentials(&endpoint, "revoked");
    let mailer = sync_mailer_with(&fixture, &port, tokens, short_lived());
    let first = message(&port, format!("{tag} before"));
    mailer.send(&first).expect("a send before the revocation");
    assert_arrived(&fixture, &first);

    endpoint.revoke_client("revoked");
    std::thread::sleep(Duration::from_millis(1500)); // the token is due
    let err = mailer
        .send(&message(&port, format!("{tag} after")))
        .expect_err("a send after the client secret was revoked");
    assert_eq!(err.step(), Some(Step::Token), "{err}");
    match err.oauth2() {
        Some(oauth2::Error::Refused {
            status,
            error,
            description,
            url,
        }) => {
            assert_eq!(*status, 401);
            assert_eq!(error, "invalid_client");
            assert_eq!(description.as_deref(), Some(INVALID_CLIENT));
            assert_eq!(url, endpoint.url());
        }
        other => panic!("not the endpoint's refusal: {other:?} ({err})"),
    }
    let text = err.to_string();
    assert!(
        text.contains("invalid_client") && text.contains("AADSTS7000215"),
        "{text}"
    );
    assert_eq!(endpoint.fetches(), 1);
}

#[test]
fn a_refused_token_is_refreshed_once_then_the_servers_reason_is_the_error() {
    let test = "a_refused_token_is_refreshed_once_then_the_servers_reason_is_the_error";
    let Some((fixture, port, endpoint)) = setup(test) else {
        return;
    };
    let tag = run_tag("oauth2-refused");
    let right_key = TokenEndpoint::fixture_key(&port.key);
    endpoint.set_key(b"not the key the server has, 32 b".to_vec());
    let tokens = client_credentials(&endpoint, "wrong-key");

    for (mechanism, reason) in [
        (Mechanism::Plain, r#"{"status":"invalid_token"}"#), // OAUTHBEARER
        (Mechanism::Xoauth2, r#""status":"401""#),
    ] {
        let mailer = SmtpTransport::builder_dangerous("127.0.0.1")
            .port(port.port)
            .tls(Tls::Required(fixture.tls_parameters("localhost")))
            .authentication(vec![mechanism])
            .oauth2(&port.user, tokens.clone())
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let before = endpoint.fetches();
        let err = mailer
            .send(&message(&port, format!("{tag} {mechanism:?}")))
            .expect_err("a send with tokens the server refuses");
        assert_eq!(err.step(), Some(Step::Auth), "{err}");
        assert_eq!(err.status().map(|c| c.to_string()).as_deref(), Some("535"));
        let text = err.to_string();
        assert!(
            text.contains("the server's reason") && text.contains(reason),
            "{mechanism:?}: {text}"
        );
        // The refused token was dropped, a new one fetched and tried once more.
        assert_eq!(endpoint.fetches() - before, 2, "{mechanism:?}");
    }

    // The next send fetches again: with the right key it goes.
    endpoint.set_key(right_key);
    let mailer = sync_mailer(&fixture, &port, tokens);
    let good = message(&port, format!("{tag} good"));
    mailer.send(&good).expect("a send once the tokens are good");
    assert_arrived(&fixture, &good);
}

#[test]
fn a_token_refused_once_is_replaced_and_the_send_goes() {
    let Some((fixture, port, endpoint)) =
        setup("a_token_refused_once_is_replaced_and_the_send_goes")
    else {
        return;
    };
    let tag = run_tag("oauth2-replaced");
    // The cached token is one the server refuses (revoked there, say); the next is good.
    endpoint.set_key(b"the key before the rotation, 32 ".to_vec());
    let tokens = client_credentials(&endpoint, "replaced");
    tokens.token_blocking().expect("a first token");
    endpoint.set_key(TokenEndpoint::fixture_key(&port.key));
    let mailer = sync_mailer(&fixture, &port, tokens);
    let m = message(&port, tag.to_string());
    mailer
        .send(&m)
        .expect("the send goes with the second token");
    assert_arrived(&fixture, &m);
    assert_eq!(endpoint.fetches(), 2);
}

#[test]
fn sixteen_concurrent_senders_cause_one_fetch() {
    let Some((fixture, port, endpoint)) = setup("sixteen_concurrent_senders_cause_one_fetch")
    else {
        return;
    };
    let tag = run_tag("oauth2-concurrent");
    // A slow endpoint, so that all 16 ask while the fetch is in flight.
    endpoint.set_delay(Duration::from_millis(500));

    // Async: 16 tasks through one pooled transport of 16 connections.
    let tokens = client_credentials(&endpoint, "concurrent-async");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let messages: Vec<Message> = (0..16)
        .map(|i| message(&port, format!("{tag} async #{i}")))
        .collect();
    runtime.block_on(async {
        let mailer = async_mailer(&fixture, &port, tokens, PoolConfig::new().max_size(16));
        let tasks: Vec<_> = messages
            .iter()
            .cloned()
            .map(|m| {
                let mailer = mailer.clone();
                tokio::spawn(async move { mailer.send(m).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().expect("a concurrent async send");
        }
    });
    assert_eq!(endpoint.fetches(), 1, "{:?}", endpoint.issued());

    // Sync: 16 threads, each with a connection of its own.
    let tokens = client_credentials(&endpoint, "concurrent-sync");
    let sync_messages: Vec<Message> = (0..16)
        .map(|i| message(&port, format!("{tag} sync #{i}")))
        .collect();
    std::thread::scope(|s| {
        for m in &sync_messages {
            let mailer = sync_mailer(&fixture, &port, tokens.clone());
            s.spawn(move || mailer.send(m).expect("a concurrent sync send"));
        }
    });
    assert_eq!(endpoint.fetches(), 2, "{:?}", endpoint.issued());
    for m in messages.iter().chain(&sync_messages) {
        assert_arrived(&fixture, m);
    }
}

#[test]
fn a_token_too_long_for_the_auth_line_goes_after_the_challenge() {
    let test = "a_token_too_long_for_the_auth_line_goes_after_the_challenge";
    let Some((fixture, port, endpoint)) = setup(test) else {
        return;
    };
    let tag = run_tag("oauth2-long");
    // Office 365's tokens are about 1,500 to 2,500 characters: far over the 512 octets of an
    // SMTP command line, so AUTH goes alone and the response follows the empty 334.
    endpoint.set_min_token_len(2500);
    let tokens = client_credentials(&endpoint, "long");
    assert!(tokens.token_blocking().unwrap().secret().len() > 2500);
    for mechanism in [Mechanism::Plain, Mechanism::Xoauth2] {
        let mailer = SmtpTransport::builder_dangerous("127.0.0.1")
            .port(port.port)
            .tls(Tls::Required(fixture.tls_parameters("localhost")))
            .authentication(vec![mechanism])
            .oauth2(&port.user, tokens.clone())
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let m = message(&port, format!("{tag} {mechanism:?}"));
        mailer.send(&m).expect("a send with a long token");
        assert_arrived(&fixture, &m);
    }
}

#[test]
fn the_refresh_token_grant_follows_the_rotation() {
    let Some((fixture, port, endpoint)) = setup("the_refresh_token_grant_follows_the_rotation")
    else {
        return;
    };
    let tag = run_tag("oauth2-rotation");
    endpoint.set_lifetime(Duration::from_secs(2));
    let first_refresh = endpoint.add_refresh_token("public-client");
    let tokens = TokenSource::new(
        RefreshToken::new(endpoint.url(), "public-client", first_refresh)
            .unwrap()
            .scope("https://outlook.office.com/SMTP.Send offline_access"),
    );
    let mailer = sync_mailer_with(&fixture, &port, tokens, short_lived());
    let mut sent = Vec::new();
    for i in 0..3 {
        let m = message(&port, format!("{tag} #{i}"));
        mailer
            .send(&m)
            .unwrap_or_else(|e: Error| panic!("send #{i}: {e}"));
        sent.push(m);
        std::thread::sleep(Duration::from_millis(1200)); // the token is due
    }
    for m in &sent {
        assert_arrived(&fixture, m);
    }
    // Each fetch used the refresh token the one before handed out: the first is good once.
    let issued = endpoint.issued();
    assert_eq!(issued.len(), 3, "{issued:?}");
    assert!(issued.iter().all(|i| i.grant_type == "refresh_token"));
    assert_eq!(endpoint.refused(), 0);
}
