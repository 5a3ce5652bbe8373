//! `AsyncSmtpTransport<AsyncStd1Executor>`: every step bounded, against the scripted
//! misbehaving server (`tests/support/smtp_script.rs`): a stall, a reply dripping one byte a
//! second and a reset at each step; a pool of 4 with 16 concurrent sends while one
//! connection stalls; 4xx then success, 554 and an unknown state through the retry wrapper.
//! Bounds are correctness checks with margins (error within timeout + 2 s).

#[path = "../../support/smtp_script.rs"]
mod script;

use std::time::{Duration, Instant};

use letterhead::{
    transport::{
        retry::{GaveUp, Retry},
        smtp::{authentication::Credentials, Error, PoolConfig, Step},
    },
    AsyncSmtpTransport, AsyncStd1Executor, AsyncTransport, Message,
};
use script::{reply, Act, Point, Script, ScriptServer};

const TIMEOUT: Duration = Duration::from_secs(1);
const MARGIN: Duration = Duration::from_secs(2);

const SESSION: [Point; 7] = [
    Point::Greeting,
    Point::Ehlo,
    Point::Auth,
    Point::Mail,
    Point::Rcpt,
    Point::Data,
    Point::DataEnd,
];

fn message(n: usize) -> Message {
    Message::builder()
        .from("App <app@example.com>".parse().unwrap())
        .to("user@example.net".parse().unwrap())
        .subject(format!("message {n}"))
        .body(format!("Hello {n}.\r\n"))
        .unwrap()
}

fn mailer(port: u16, auth: bool) -> AsyncSmtpTransport<AsyncStd1Executor> {
    let mut builder = AsyncSmtpTransport::<AsyncStd1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(TIMEOUT))
        .pool_config(PoolConfig::new().max_size(4));
    if auth {
        builder = builder.credentials(Credentials::new("user".into(), "secret".into()));
    }
    builder.build()
}

fn step(point: Point) -> Step {
    match point {
        Point::Greeting => Step::Greeting,
        Point::Ehlo => Step::Ehlo,
        Point::StartTls => Step::StartTls,
        Point::Auth => Step::Auth,
        Point::Mail => Step::Mail,
        Point::Rcpt => Step::Rcpt,
        Point::Data => Step::Data,
        Point::DataEnd => Step::DataEnd,
        Point::Rset => Step::Rset,
        Point::Noop => Step::Noop,
        Point::Quit => Step::Quit,
    }
}

/// One send per point, each to a server misbehaving there, all at once.
async fn each(act: impl Fn(Point) -> Act) -> Vec<(Point, Error, Duration)> {
    let mut tasks = Vec::new();
    for point in SESSION {
        let server = ScriptServer::always(Script::new().at(point, act(point)));
        tasks.push(async_std::task::spawn(async move {
            let mailer = mailer(server.port, point == Point::Auth);
            let start = Instant::now();
            let error = mailer.send(message(0)).await.expect_err("must fail");
            let elapsed = start.elapsed();
            drop(server);
            (point, error, elapsed)
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await);
    }
    out
}

fn check_timeouts(outcomes: &[(Point, Error, Duration)], what: &str) {
    for (point, error, elapsed) in outcomes {
        assert!(error.is_timeout(), "{what} at {point:?}: {error:?}");
        assert_eq!(
            error.step(),
            Some(step(*point)),
            "{what} at {point:?}: {error}"
        );
        assert!(
            *elapsed <= TIMEOUT + MARGIN,
            "{what} at {point:?}: {elapsed:?}"
        );
        assert!(
            *elapsed + Duration::from_millis(100) >= TIMEOUT,
            "{what}: {elapsed:?}"
        );
        assert_eq!(
            error.is_delivery_unknown(),
            *point == Point::DataEnd,
            "{error}"
        );
    }
}

#[async_std::test]
async fn stall_at_each_step_fails_within_the_timeout() {
    check_timeouts(&each(|_| Act::Stall).await, "stall");
}

#[async_std::test]
async fn reply_dripping_a_byte_a_second_fails_within_the_timeout() {
    let drip = |_| {
        Act::Drip(
            "250 dripped one byte at a time".into(),
            Duration::from_secs(1),
        )
    };
    check_timeouts(&each(drip).await, "drip");
}

#[async_std::test]
async fn reset_at_each_step_fails_at_that_step() {
    for (point, error, elapsed) in each(|_| Act::Reset).await {
        assert!(!error.is_timeout(), "{point:?}: {error:?}");
        // A reset right after the accept may be seen while the connect is still completing.
        assert!(
            error.step() == Some(step(point))
                || (point == Point::Greeting && error.step() == Some(Step::Connect)),
            "{point:?}: {error}"
        );
        assert!(elapsed < TIMEOUT, "{point:?}: {elapsed:?}");
        assert_eq!(error.is_delivery_unknown(), point == Point::DataEnd);
    }
}

#[async_std::test]
async fn pool_one_stalled_connection_does_not_poison_it() {
    let server = ScriptServer::start(
        vec![Script::new().at(Point::Mail, Act::Stall)],
        Script::new(),
    );
    let mailer = mailer(server.port, false);
    let mut tasks = Vec::new();
    for n in 0..16 {
        let mailer = mailer.clone();
        tasks.push(async_std::task::spawn(async move {
            let start = Instant::now();
            (mailer.send(message(n)).await, start.elapsed())
        }));
    }
    let mut failed = Vec::new();
    for t in tasks {
        let (result, elapsed) = t.await;
        assert!(elapsed <= TIMEOUT + MARGIN, "{elapsed:?}");
        failed.extend(result.err());
    }
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].is_timeout() && failed[0].step() == Some(Step::Mail));
    assert_eq!(server.delivered().len(), 15);
    mailer.send(message(16)).await.unwrap();
    assert_eq!(server.delivered().len(), 16);
    mailer.shutdown().await;
}

#[async_std::test]
async fn retry_421_451_452_then_success_and_never_554() {
    let server = ScriptServer::start(
        vec![
            Script::new().once(Point::Greeting, reply("421 4.3.2 shutting down")),
            Script::new()
                .once(Point::Rcpt, reply("451 4.3.0 try again later"))
                .once(Point::DataEnd, reply("452 4.3.1 insufficient storage")),
        ],
        Script::new(),
    );
    let retry = |port| {
        Retry::new(mailer(port, false))
            .attempts(5)
            .backoff(Duration::from_millis(10), Duration::from_millis(50))
            .executor::<AsyncStd1Executor>()
    };
    let sent = retry(server.port).send(message(1)).await.unwrap();
    assert_eq!((sent.attempts(), sent.unknown_attempts()), (4, 0));
    assert_eq!(server.delivered().len(), 1);

    let refusing = ScriptServer::always(Script::new().at(Point::DataEnd, reply("554 5.6.0 no")));
    let e = retry(refusing.port).send(message(2)).await.unwrap_err();
    assert_eq!((e.attempts(), e.gave_up()), (1, GaveUp::Permanent));
    assert_eq!(refusing.delivered().len(), 0);
}

#[async_std::test]
async fn unknown_state_is_retried_only_when_asked() {
    for retry_unknown in [false, true] {
        let server = ScriptServer::start(
            vec![Script::new().at(Point::DataEnd, Act::Stall)],
            Script::new(),
        );
        let mailer = Retry::new(mailer(server.port, false))
            .attempts(3)
            .backoff(Duration::from_millis(10), Duration::from_millis(50))
            .retry_unknown(retry_unknown)
            .executor::<AsyncStd1Executor>();
        match mailer.send(message(1)).await {
            Ok(sent) => {
                assert!(retry_unknown);
                assert_eq!((sent.attempts(), sent.unknown_attempts()), (2, 1));
                assert_eq!(server.delivered().len(), 2);
            }
            Err(e) => {
                assert!(!retry_unknown, "{e}");
                assert_eq!((e.attempts(), e.gave_up()), (1, GaveUp::Unknown));
                assert_eq!(server.delivered().len(), 1);
            }
        }
    }
}
