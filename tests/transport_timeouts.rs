//! Every step of an SMTP session bounded, with Tokio and the blocking transport, against a
//! scripted misbehaving server on loopback (`support/smtp_script.rs`): a stall, a reply
//! dripping one byte a second and a reset at each step; 4xx then success and 554 through the
//! retry wrapper; a pool whose one stalled connection neither blocks the others nor comes
//! back; the wire compared with lettre's. Bounds are correctness checks with margins (error
//! within timeout + 2 s), not benchmarks.

#[path = "support/smtp_script.rs"]
mod script;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use letterhead::{
    transport::{
        retry::{Failure, GaveUp, Retry},
        smtp::{authentication::Credentials, Error, PoolConfig, Step},
    },
    AsyncSmtpTransport, AsyncTransport, Message, SmtpTransport, Tokio1Executor, Transport,
};
use script::{reply, Act, Point, Script, ScriptServer};

const TIMEOUT: Duration = Duration::from_secs(1);
/// The margin every bound gets.
const MARGIN: Duration = Duration::from_secs(2);

fn message(n: usize) -> Message {
    Message::builder()
        .from("App <app@example.com>".parse().unwrap())
        .to("user@example.net".parse().unwrap())
        .subject(format!("message {n}"))
        .body(format!("Hello {n}.\r\n.leading dot\r\n"))
        .unwrap()
}

fn async_mailer(port: u16, pool: u32) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(TIMEOUT))
        .pool_config(PoolConfig::new().max_size(pool))
        .build()
}

fn sync_mailer(port: u16) -> SmtpTransport {
    SmtpTransport::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(TIMEOUT))
        .build()
}

/// The step each runtime reports for a misbehaviour at `point`: the blocking transport runs
/// connect, greeting and EHLO as one lettre call.
fn expected_step(point: Point, blocking: bool) -> Step {
    match point {
        Point::Greeting if blocking => Step::Connect,
        Point::Ehlo if blocking => Step::Connect,
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

const SESSION: [Point; 7] = [
    Point::Greeting,
    Point::Ehlo,
    Point::Auth,
    Point::Mail,
    Point::Rcpt,
    Point::Data,
    Point::DataEnd,
];

/// A long reply for `point`, for dripping.
fn long_reply(point: Point) -> String {
    let code = match point {
        Point::Greeting => "220",
        Point::Auth => "235",
        Point::Data => "354",
        _ => "250",
    };
    format!("{code} this reply is dripped one byte at a time")
}

fn credentials() -> Credentials {
    Credentials::new("user".into(), "secret".into())
}

/// What one misbehaving send gave.
struct Outcome {
    point: Point,
    error: Error,
    elapsed: Duration,
}

fn check_timeouts(outcomes: &[Outcome], blocking: bool, what: &str) {
    for o in outcomes {
        let step = expected_step(o.point, blocking);
        assert!(
            o.error.is_timeout(),
            "{what} at {:?}: {:?}",
            o.point,
            o.error
        );
        assert_eq!(
            o.error.step(),
            Some(step),
            "{what} at {:?}: {}",
            o.point,
            o.error
        );
        assert!(
            o.elapsed <= TIMEOUT + MARGIN,
            "{what} at {:?}: error after {:?}",
            o.point,
            o.elapsed
        );
        assert!(
            o.elapsed + Duration::from_millis(100) >= TIMEOUT,
            "{what} at {:?}: error after only {:?}: {}",
            o.point,
            o.elapsed,
            o.error
        );
        assert_eq!(
            o.error.is_delivery_unknown(),
            o.point == Point::DataEnd,
            "{what} at {:?}: {}",
            o.point,
            o.error
        );
    }
}

fn check_resets(outcomes: &[Outcome], blocking: bool) {
    for o in outcomes {
        assert!(
            !o.error.is_timeout(),
            "reset at {:?}: {:?}",
            o.point,
            o.error
        );
        // A server that resets the connection as soon as it accepts it may be seen to do so
        // while the client is still completing its connect (the RST arrives before the
        // connect's readiness is polled: `SO_ERROR` then says EPIPE or ECONNRESET).
        let step = o.error.step();
        assert!(
            step == Some(expected_step(o.point, blocking))
                || (o.point == Point::Greeting && step == Some(Step::Connect)),
            "reset at {:?}: {} (step {step:?})",
            o.point,
            o.error
        );
        assert!(
            o.elapsed < TIMEOUT,
            "reset at {:?}: {:?}",
            o.point,
            o.elapsed
        );
        assert_eq!(
            o.error.is_delivery_unknown(),
            o.point == Point::DataEnd,
            "reset at {:?}: {}",
            o.point,
            o.error
        );
    }
}

/// Sends one message per point, each to its own server misbehaving there, all at once.
async fn async_each(act: impl Fn(Point) -> Act) -> Vec<Outcome> {
    let mut tasks = Vec::new();
    for point in SESSION {
        let server = ScriptServer::always(Script::new().at(point, act(point)));
        tasks.push(tokio::spawn(async move {
            let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
                .port(server.port)
                .timeout(Some(TIMEOUT));
            if point == Point::Auth {
                builder = builder.credentials(credentials());
            }
            let mailer: AsyncSmtpTransport<Tokio1Executor> = builder.build();
            let start = Instant::now();
            let error = mailer.send(message(0)).await.expect_err("must fail");
            let elapsed = start.elapsed();
            drop(server);
            Outcome {
                point,
                error,
                elapsed,
            }
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn sync_each(act: impl Fn(Point) -> Act) -> Vec<Outcome> {
    std::thread::scope(|s| {
        let handles: Vec<_> = SESSION
            .iter()
            .map(|&point| {
                let server = ScriptServer::always(Script::new().at(point, act(point)));
                s.spawn(move || {
                    let server = server;
                    let mut builder = SmtpTransport::builder_dangerous("127.0.0.1")
                        .port(server.port)
                        .timeout(Some(TIMEOUT));
                    if point == Point::Auth {
                        builder = builder.credentials(credentials());
                    }
                    let mailer = builder.build();
                    let start = Instant::now();
                    let error = mailer.send(&message(0)).expect_err("must fail");
                    Outcome {
                        point,
                        error,
                        elapsed: start.elapsed(),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn drip(point: Point) -> Act {
    Act::Drip(long_reply(point), Duration::from_secs(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_stall_at_each_step_fails_within_the_timeout() {
    check_timeouts(&async_each(|_| Act::Stall).await, false, "stall");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_reply_dripping_a_byte_a_second_fails_within_the_timeout() {
    check_timeouts(&async_each(drip).await, false, "drip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_reset_at_each_step_fails_at_that_step() {
    check_resets(&async_each(|_| Act::Reset).await, false);
}

#[test]
fn sync_stall_at_each_step_fails_within_the_timeout() {
    check_timeouts(&sync_each(|_| Act::Stall), true, "stall");
}

#[test]
fn sync_reply_dripping_a_byte_a_second_fails_within_the_timeout() {
    check_timeouts(&sync_each(drip), true, "drip");
}

#[test]
fn sync_reset_at_each_step_fails_at_that_step() {
    check_resets(&sync_each(|_| Act::Reset), true);
}

/// TLS: a server that never answers the implicit-TLS handshake, one that stalls at STARTTLS,
/// and one that says 220 to STARTTLS and then never answers the handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_handshake_and_starttls_stalls_fail_within_the_timeout() {
    use letterhead::transport::smtp::client::{Tls, TlsParameters};
    let starttls_ehlo = || reply("250-script.test\n250 STARTTLS");
    let cases = [
        (
            "implicit TLS",
            Script::new().at(Point::Greeting, Act::Stall),
            true,
            Step::TlsHandshake,
        ),
        (
            "STARTTLS",
            Script::new()
                .at(Point::Ehlo, starttls_ehlo())
                .at(Point::StartTls, Act::Stall),
            false,
            Step::StartTls,
        ),
        (
            "handshake after STARTTLS",
            Script::new().at(Point::Ehlo, starttls_ehlo()).at(
                Point::StartTls,
                Act::ReplyThenStall("220 2.0.0 go ahead".into()),
            ),
            false,
            Step::TlsHandshake,
        ),
    ];
    for (name, script, wrapper, step) in cases {
        let tls = || {
            let p = TlsParameters::new("localhost".into()).unwrap();
            if wrapper {
                Tls::Wrapper(p)
            } else {
                Tls::Required(p)
            }
        };
        let server = ScriptServer::always(script.clone());
        let mailer: AsyncSmtpTransport<Tokio1Executor> =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("localhost")
                .port(server.port)
                .tls(tls())
                .timeout(Some(TIMEOUT))
                .build();
        let start = Instant::now();
        let e = mailer.send(message(0)).await.unwrap_err();
        assert!(e.is_timeout() && e.step() == Some(step), "{name}: {e:?}");
        assert!(
            start.elapsed() <= TIMEOUT + MARGIN,
            "{name}: {:?}",
            start.elapsed()
        );

        // Blocking: lettre's connect runs the implicit-TLS handshake, its starttls the
        // STARTTLS command and the handshake.
        let server = ScriptServer::always(script);
        let mailer = SmtpTransport::builder_dangerous("localhost")
            .port(server.port)
            .tls(tls())
            .timeout(Some(TIMEOUT))
            .build();
        let start = Instant::now();
        let e = tokio::task::block_in_place(|| mailer.send(&message(0))).unwrap_err();
        let step = if wrapper {
            Step::Connect
        } else {
            Step::StartTls
        };
        assert!(
            e.is_timeout() && e.step() == Some(step),
            "blocking {name}: {e:?}"
        );
        assert!(
            start.elapsed() <= TIMEOUT + MARGIN,
            "{name}: {:?}",
            start.elapsed()
        );
    }
}

/// A connection that stalls at MAIL, after the final dot, at the reuse check (NOOP) or at
/// RSET after a refusal: the send fails within the bound, and that connection is not handed
/// out again (the next send opens a second connection and succeeds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_stalled_connection_is_bounded_and_not_pooled() {
    for point in [Point::Mail, Point::DataEnd, Point::Noop, Point::Rset] {
        let first = match point {
            Point::Rset => Script::new()
                .at(Point::Rcpt, reply("550 5.1.1 no such user"))
                .at(Point::Rset, Act::Stall),
            p => Script::new().at(p, Act::Stall),
        };
        let server = ScriptServer::start(vec![first], Script::new());
        let mailer = async_mailer(server.port, 4);
        let start = Instant::now();
        let result = mailer.send(message(1)).await;
        let e = if point == Point::Noop {
            result.unwrap();
            // The next send reuses the connection: NOOP stalls.
            let start = Instant::now();
            let e = mailer.send(message(2)).await.unwrap_err();
            assert!(start.elapsed() <= TIMEOUT + MARGIN);
            e
        } else {
            result.unwrap_err()
        };
        assert!(
            start.elapsed() <= 2 * TIMEOUT + MARGIN,
            "{:?}",
            start.elapsed()
        );
        match point {
            Point::Rset => assert!(e.is_permanent(), "{e}"),
            p => assert!(
                e.is_timeout() && e.step() == Some(expected_step(p, false)),
                "{e}"
            ),
        }
        mailer.send(message(3)).await.unwrap();
        assert_eq!(server.connections(), 2, "{point:?}");
        let start = Instant::now();
        mailer.shutdown().await;
        assert!(start.elapsed() <= TIMEOUT + MARGIN);
    }
}

#[test]
fn sync_stalled_connection_is_not_pooled() {
    for point in [Point::Mail, Point::DataEnd] {
        let server = ScriptServer::start(vec![Script::new().at(point, Act::Stall)], Script::new());
        let mailer = SmtpTransport::builder_dangerous("127.0.0.1")
            .port(server.port)
            .timeout(Some(TIMEOUT))
            .pool_config(PoolConfig::new().max_size(4))
            .build();
        let e = mailer.send(&message(1)).unwrap_err();
        assert!(
            e.is_timeout() && e.step() == Some(expected_step(point, true)),
            "{e}"
        );
        mailer.send(&message(2)).unwrap();
        assert_eq!(server.connections(), 2, "{point:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_shutdown_with_a_stalled_quit_is_bounded() {
    let server = ScriptServer::always(Script::new().at(Point::Quit, Act::Stall));
    let mailer = async_mailer(server.port, 4);
    mailer.send(message(1)).await.unwrap();
    let start = Instant::now();
    mailer.shutdown().await;
    assert!(start.elapsed() <= TIMEOUT + MARGIN, "{:?}", start.elapsed());
    assert!(start.elapsed() + Duration::from_millis(100) >= TIMEOUT);
}

/// Pool of 4, 16 concurrent sends, one connection stalls after MAIL: the other 15 are
/// delivered, the stalled one fails within the bound, and the next send succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_pool_one_stalled_connection_does_not_poison_it() {
    let server = ScriptServer::start(
        vec![Script::new().at(Point::Mail, Act::Stall)],
        Script::new(),
    );
    let mailer = async_mailer(server.port, 4);
    let mut tasks = Vec::new();
    for n in 0..16 {
        let mailer = mailer.clone();
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            (mailer.send(message(n)).await, start.elapsed())
        }));
    }
    let mut failed = Vec::new();
    for t in tasks {
        let (result, elapsed) = t.await.unwrap();
        assert!(elapsed <= TIMEOUT + MARGIN, "a send took {elapsed:?}");
        if let Err(e) = result {
            failed.push(e);
        }
    }
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].is_timeout() && failed[0].step() == Some(Step::Mail));
    assert_eq!(server.delivered().len(), 15);
    for n in 16..20 {
        mailer.send(message(n)).await.unwrap();
    }
    assert_eq!(server.delivered().len(), 19);
    mailer.shutdown().await;
}

#[test]
fn sync_pool_one_stalled_connection_does_not_poison_it() {
    let server = ScriptServer::start(
        vec![Script::new().at(Point::Mail, Act::Stall)],
        Script::new(),
    );
    let mailer = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(server.port)
        .timeout(Some(TIMEOUT))
        .pool_config(PoolConfig::new().max_size(4))
        .build();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|n| {
                let mailer = &mailer;
                s.spawn(move || {
                    let start = Instant::now();
                    (mailer.send(&message(n)), start.elapsed())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let failed: Vec<&Error> = results
        .iter()
        .inspect(|(_, elapsed)| assert!(*elapsed <= TIMEOUT + MARGIN, "{elapsed:?}"))
        .filter_map(|(r, _)| r.as_ref().err())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].is_timeout() && failed[0].step() == Some(Step::Mail));
    assert_eq!(server.delivered().len(), 15);
    mailer.send(&message(16)).unwrap();
    assert_eq!(server.delivered().len(), 16);
}

// --- the retry wrapper ---------------------------------------------------------------------

/// Connection `i` misbehaves once at `first[i]`.
fn retry_script(first: &[(Point, &str)]) -> ScriptServer {
    let scripts = first
        .iter()
        .map(|(p, r)| Script::new().once(*p, reply(r)))
        .collect();
    ScriptServer::start(scripts, Script::new())
}

/// 421 at the greeting, then on the next connection 451 at RCPT and, after RSET, 452 after
/// the dot, then success: four attempts over two connections (a 4xx other than 421 leaves
/// the connection usable after RSET), one delivery; with Tokio and sync.
fn transient_server() -> ScriptServer {
    ScriptServer::start(
        vec![
            Script::new().once(Point::Greeting, reply("421 4.3.2 service shutting down")),
            Script::new()
                .once(Point::Rcpt, reply("451 4.3.0 try again later"))
                .once(Point::DataEnd, reply("452 4.3.1 insufficient storage")),
        ],
        Script::new(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_retry_421_451_452_then_success() {
    let server = transient_server();
    let mailer = Retry::new(async_mailer(server.port, 4))
        .attempts(5)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .executor::<Tokio1Executor>();
    let sent = mailer.send(message(1)).await.unwrap();
    assert_eq!(sent.attempts(), 4);
    assert_eq!(sent.unknown_attempts(), 0);
    assert_eq!(server.delivered().len(), 1);
    assert_eq!(server.connections(), 2);
}

#[test]
fn sync_retry_421_451_452_then_success() {
    let server = transient_server();
    let mailer = Retry::new(sync_mailer(server.port))
        .attempts(5)
        .backoff(Duration::from_millis(10), Duration::from_millis(50));
    let sent = mailer.send(&message(1)).unwrap();
    assert_eq!(sent.attempts(), 4);
    assert_eq!(server.delivered().len(), 1);
    assert_eq!(server.connections(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_retry_never_retries_554() {
    let server = retry_script(&[(Point::DataEnd, "554 5.6.0 Corrupt message content")]);
    let mailer = Retry::new(async_mailer(server.port, 4))
        .attempts(5)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .executor::<Tokio1Executor>();
    let e = mailer.send(message(1)).await.unwrap_err();
    assert_eq!(e.attempts(), 1);
    assert_eq!(e.gave_up(), GaveUp::Permanent);
    assert!(e.last_error().unwrap().is_permanent());
    assert_eq!(server.delivered().len(), 0);
    assert_eq!(server.connections(), 1);
}

#[test]
fn sync_retry_never_retries_554() {
    let server = retry_script(&[(Point::Rcpt, "554 5.7.1 relay denied")]);
    let mailer = Retry::new(sync_mailer(server.port)).attempts(5);
    let e = mailer.send(&message(1)).unwrap_err();
    assert_eq!((e.attempts(), e.gave_up()), (1, GaveUp::Permanent));
    assert_eq!(server.delivered().len(), 0);
}

/// A stall after the final dot: the server took the message. Not retried by default (one
/// delivery, the caller told the state is unknown); retried with `retry_unknown(true)` (two
/// deliveries, and the caller told one attempt was unknown).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_unknown_state_is_retried_only_when_asked() {
    for retry_unknown in [false, true] {
        let server = ScriptServer::start(
            vec![Script::new().at(Point::DataEnd, Act::Stall)],
            Script::new(),
        );
        let mailer = Retry::new(async_mailer(server.port, 4))
            .attempts(3)
            .backoff(Duration::from_millis(10), Duration::from_millis(50))
            .retry_unknown(retry_unknown)
            .executor::<Tokio1Executor>();
        let result = mailer.send(message(1)).await;
        if retry_unknown {
            let sent = result.unwrap();
            assert_eq!((sent.attempts(), sent.unknown_attempts()), (2, 1));
            assert_eq!(server.delivered().len(), 2);
        } else {
            let e = result.unwrap_err();
            assert_eq!((e.attempts(), e.gave_up()), (1, GaveUp::Unknown));
            assert!(e.is_delivery_unknown());
            let last = e.last_error().unwrap();
            assert!(last.is_timeout() && last.is_delivery_unknown(), "{last}");
            assert_eq!(server.delivered().len(), 1);
        }
    }
}

#[test]
fn sync_unknown_state_is_retried_only_when_asked() {
    for retry_unknown in [false, true] {
        let server = ScriptServer::start(
            vec![Script::new().at(Point::DataEnd, Act::Reset)],
            Script::new(),
        );
        let mailer = Retry::new(sync_mailer(server.port))
            .attempts(3)
            .backoff(Duration::from_millis(10), Duration::from_millis(50))
            .retry_unknown(retry_unknown);
        let result = mailer.send(&message(1));
        if retry_unknown {
            let sent = result.unwrap();
            assert_eq!((sent.attempts(), sent.unknown_attempts()), (2, 1));
            assert_eq!(server.delivered().len(), 2);
        } else {
            let e = result.unwrap_err();
            assert_eq!((e.attempts(), e.gave_up()), (1, GaveUp::Unknown));
            assert_eq!(server.delivered().len(), 1);
        }
    }
}

/// The attempt deadline reaches the transport: a stall at RCPT with a transport timeout of
/// 10 s ends at the 1 s attempt deadline, at RCPT, before the dot: retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_attempt_deadline_bounds_the_steps_and_keeps_the_state_known() {
    let server = ScriptServer::start(
        vec![Script::new().at(Point::Rcpt, Act::Stall)],
        Script::new(),
    );
    let transport: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(server.port)
            .timeout(Some(Duration::from_secs(10)))
            .build();
    let mailer = Retry::new(transport)
        .attempts(2)
        .backoff(Duration::from_millis(10), Duration::from_millis(10))
        .attempt_timeout(TIMEOUT)
        .executor::<Tokio1Executor>();
    let start = Instant::now();
    let sent = mailer.send(message(1)).await.unwrap();
    assert!(start.elapsed() <= TIMEOUT + MARGIN, "{:?}", start.elapsed());
    assert_eq!((sent.attempts(), sent.unknown_attempts()), (2, 0));
    assert_eq!(server.delivered().len(), 1);
}

#[test]
fn sync_attempt_deadline_bounds_the_steps() {
    let server = ScriptServer::start(
        vec![Script::new().at(Point::Rcpt, Act::Stall)],
        Script::new(),
    );
    let transport = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(server.port)
        .timeout(Some(Duration::from_secs(10)))
        .build();
    let mailer = Retry::new(transport)
        .attempts(2)
        .backoff(Duration::from_millis(10), Duration::from_millis(10))
        .attempt_timeout(TIMEOUT);
    let start = Instant::now();
    let sent = mailer.send(&message(1)).unwrap();
    assert!(start.elapsed() <= TIMEOUT + MARGIN, "{:?}", start.elapsed());
    assert_eq!(sent.attempts(), 2);
    assert_eq!(server.delivered().len(), 1);
}

/// A connection the server closes before the dot (lettre's "incomplete response") is a
/// lost connection: retried. Closed after the dot: unknown, not retried by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_closed_before_the_dot_is_retried_after_it_is_unknown() {
    for (point, attempts, delivered, unknown) in [
        (Point::Rcpt, 2, 1, false),
        (Point::Data, 2, 1, false),
        (Point::DataEnd, 1, 1, true),
    ] {
        let scripts = || vec![Script::new().once(point, Act::Close)];
        let server = ScriptServer::start(scripts(), Script::new());
        let a = Retry::new(async_mailer(server.port, 4))
            .backoff(Duration::from_millis(10), Duration::from_millis(10))
            .executor::<Tokio1Executor>();
        let blocking = ScriptServer::start(scripts(), Script::new());
        let b = Retry::new(sync_mailer(blocking.port))
            .backoff(Duration::from_millis(10), Duration::from_millis(10));
        let results = [
            a.send(message(1)).await.map(|s| s.attempts()),
            tokio::task::block_in_place(|| b.send(&message(1))).map(|s| s.attempts()),
        ];
        for (result, server) in results.into_iter().zip([&server, &blocking]) {
            match result {
                Ok(n) => {
                    assert!(!unknown, "{point:?}");
                    assert_eq!(n, attempts, "{point:?}");
                }
                Err(e) => {
                    assert!(unknown, "{point:?}: {e}");
                    assert_eq!((e.attempts(), e.gave_up()), (attempts, GaveUp::Unknown));
                    assert!(e.is_delivery_unknown());
                }
            }
            assert_eq!(server.delivered().len(), delivered, "{point:?}");
        }
    }
}

/// The overall deadline: no attempt starts past it.
#[test]
fn sync_overall_deadline_stops_the_retries() {
    let server = ScriptServer::always(Script::new().at(Point::Rcpt, reply("451 4.3.0 later")));
    let mailer = Retry::new(sync_mailer(server.port))
        .attempts(100)
        .backoff(Duration::from_millis(200), Duration::from_millis(200))
        .jitter(false)
        .deadline(Duration::from_millis(1500));
    let start = Instant::now();
    let e = mailer.send(&message(1)).unwrap_err();
    assert_eq!(e.gave_up(), GaveUp::Deadline, "{e}");
    assert!(start.elapsed() < Duration::from_millis(1500) + MARGIN);
    assert!(e.attempts() >= 3 && e.attempts() < 100, "{}", e.attempts());
    assert_eq!(server.delivered().len(), 0);
}

/// A transport that fails as told, then succeeds: exact attempt counts for any transport.
#[derive(Default)]
struct Flaky {
    fail: Mutex<Vec<Failure>>,
    calls: Mutex<usize>,
}

#[derive(Debug)]
struct FlakyError(Failure);

impl std::fmt::Display for FlakyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl letterhead::transport::retry::Classify for FlakyError {
    fn failure(&self) -> Failure {
        self.0
    }
}

impl Transport for Flaky {
    type Ok = usize;
    type Error = FlakyError;

    fn send_raw(&self, _: &letterhead::address::Envelope, _: &[u8]) -> Result<usize, FlakyError> {
        let mut calls = self.calls.lock().unwrap();
        *calls += 1;
        let mut fail = self.fail.lock().unwrap();
        if fail.is_empty() {
            Ok(*calls)
        } else {
            Err(FlakyError(fail.remove(0)))
        }
    }
}

#[test]
fn retry_counts_match_the_script_for_any_transport() {
    use Failure::*;
    // (failures scripted, attempts allowed, retry_unknown) -> (attempts made, why it gave up)
    type Case = (&'static [Failure], u32, bool, u32, Option<GaveUp>);
    let cases: [Case; 6] = [
        (&[], 3, false, 1, None),
        (&[Transient, Transient], 3, false, 3, None),
        (
            &[Transient, Transient, Transient],
            3,
            false,
            3,
            Some(GaveUp::Attempts),
        ),
        (
            &[Transient, Permanent],
            5,
            false,
            2,
            Some(GaveUp::Permanent),
        ),
        (&[Unknown], 5, false, 1, Some(GaveUp::Unknown)),
        (&[Unknown, Transient], 5, true, 3, None),
    ];
    for (fail, attempts, unknown, made, gave_up) in cases {
        let flaky = Flaky {
            fail: Mutex::new(fail.to_vec()),
            ..Flaky::default()
        };
        let mailer = Retry::new(flaky)
            .attempts(attempts)
            .backoff(Duration::from_millis(1), Duration::from_millis(2))
            .retry_unknown(unknown);
        let (got_attempts, got_gave_up) = match mailer.send(&message(0)) {
            Ok(sent) => (sent.attempts(), None),
            Err(e) => (e.attempts(), Some(e.gave_up())),
        };
        assert_eq!((got_attempts, got_gave_up), (made, gave_up), "{fail:?}");
        assert_eq!(
            *mailer.get_ref().calls.lock().unwrap() as u32,
            made,
            "{fail:?}"
        );
    }
}

/// The stubs and the file transport, wrapped: the stub's error is retried, the file
/// transport's is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_wraps_stub_and_file_transports() {
    use letterhead::transport::stub::{AsyncStubTransport, StubTransport};
    let stub = Retry::new(StubTransport::new_error())
        .attempts(3)
        .backoff(Duration::from_millis(1), Duration::from_millis(1));
    let e = stub.send(&message(0)).unwrap_err();
    assert_eq!((e.attempts(), e.gave_up()), (3, GaveUp::Attempts));
    let ok = Retry::new(AsyncStubTransport::new_ok()).executor::<Tokio1Executor>();
    assert_eq!(ok.send(message(0)).await.unwrap().attempts(), 1);
    assert_eq!(ok.get_ref().messages().await.len(), 1);

    let dir = std::env::temp_dir().join(format!("letterhead-retry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = Retry::new(letterhead::FileTransport::new(&dir));
    let sent = file.send(&message(0)).unwrap();
    assert!(dir.join(format!("{}.eml", sent.response())).exists());
    let missing = Retry::new(letterhead::FileTransport::new(dir.join("missing"))).attempts(3);
    let e = missing.send(&message(0)).unwrap_err();
    assert_eq!((e.attempts(), e.gave_up()), (1, GaveUp::Permanent));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What goes over the wire for a send is lettre's, byte for byte (EHLO, MAIL, RCPT, DATA,
/// the dot-stuffed content, the final dot), with SMTPUTF8 and 8BITMIME parameters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wire_is_lettres() {
    let email = Message::builder()
        .from("Ünïcode <app@example.com>".parse().unwrap())
        .to("jürgen@büro.example".parse().unwrap())
        .message_id(Some("<fixed@example.com>".into()))
        .subject("wire")
        .body(String::from(".a\r\n..b\r\nc.\r\nü\r\n"))
        .unwrap();
    let raw = email.formatted();
    let envelope = email.envelope().clone();
    let ours = ScriptServer::always(Script::new());
    let theirs = ScriptServer::always(Script::new());
    let m: AsyncSmtpTransport<Tokio1Executor> = async_mailer(ours.port, 1);
    m.send_raw(&envelope, &raw).await.unwrap();
    let l: lettre::AsyncSmtpTransport<lettre::Tokio1Executor> =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(theirs.port)
            .build();
    lettre::AsyncTransport::send_raw(&l, &envelope, &raw)
        .await
        .unwrap();
    let sync = ScriptServer::always(Script::new());
    sync_mailer(sync.port).send_raw(&envelope, &raw).unwrap();
    let wire = |s: &ScriptServer| String::from_utf8(s.sessions()[0].wire.clone()).unwrap();
    assert_eq!(wire(&ours), wire(&theirs));
    assert_eq!(wire(&sync), wire(&theirs));
    assert!(
        wire(&ours).contains(" SMTPUTF8 BODY=8BITMIME\r\n"),
        "{}",
        wire(&ours)
    );
    assert_eq!(ours.delivered(), theirs.delivered());
}

/// A reply lettre's parser refuses is refused the same way; multi-line replies and a reply
/// split across reads are read as lettre reads them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_are_read_as_lettre_reads_them() {
    let cases = [
        "250-first\n250-second\n250 last",
        "250 2.0.0 one line",
        "250-a\n251 mixed codes",
        "25x bad",
    ];
    for text in cases {
        let script = Script::new().at(Point::Mail, reply(text));
        let ours = ScriptServer::always(script.clone());
        let theirs = ScriptServer::always(script);
        let a = async_mailer(ours.port, 1).send(message(0)).await;
        let l: lettre::AsyncSmtpTransport<lettre::Tokio1Executor> =
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
                .port(theirs.port)
                .build();
        let b = lettre::AsyncTransport::send(&l, lettre_message()).await;
        assert_eq!(a.is_ok(), b.is_ok(), "{text:?}: {a:?} vs {b:?}");
        if let (Err(a), Err(b)) = (&a, &b) {
            assert_eq!(a.is_response(), b.is_response(), "{text:?}");
        }
    }
}

fn lettre_message() -> lettre::Message {
    lettre::Message::builder()
        .from("app@example.com".parse().unwrap())
        .to("user@example.net".parse().unwrap())
        .body(String::from("x"))
        .unwrap()
}

/// `from_url` reads what lettre reads, into the same settings (compared through Debug).
#[test]
fn from_url_is_lettres() {
    for url in [
        "smtp://127.0.0.1:2525",
        "smtps://user%40example.com:pa$$word%3F%22!@smtp.example.com:465",
        "smtp://username:password@smtp.example.com:587?tls=required",
        "smtp://u:p@smtp.example.com?tls=opportunistic",
        "smtps://smtp.example.com/ehlo.example",
    ] {
        let ours = format!("{:?}", SmtpTransport::from_url(url).unwrap());
        let theirs = format!("{:?}", lettre::SmtpTransport::from_url(url).unwrap());
        let ours = ours.replace("SmtpTransportBuilder { info: ", "");
        let theirs = theirs.replace("SmtpTransportBuilder { info: ", "");
        let cut = |s: &str| s.split(", pool_config").next().unwrap().to_owned();
        assert_eq!(cut(&ours), cut(&theirs), "{url}");
    }
    for bad in ["not a url", "http://smtp.example.com", "smtp://:25"] {
        let a = SmtpTransport::from_url(bad).unwrap_err().to_string();
        let b = lettre::SmtpTransport::from_url(bad)
            .unwrap_err()
            .to_string();
        assert_eq!(a, b, "{bad}");
    }
}

/// Shared by the async tests: nothing here may hold a lock across an await.
#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync + Clone + 'static>() {}
    is::<AsyncSmtpTransport<Tokio1Executor>>();
    is::<SmtpTransport>();
    is::<Arc<Retry<SmtpTransport>>>();
}
