//! Load through a real MTA (the Postfix fixture, `scripts/postfix-fixture`): 2,000 messages from
//! 16 concurrent tasks through one pooled `AsyncSmtpTransport<Tokio1Executor>`, each delivered
//! exactly once, beside the same load from plain lettre; then the same load with Postfix
//! stopped and restarted while it runs, where every failure must reach the caller as an error
//! and the caller's bounded retries must deliver every message. There a message may arrive
//! twice only if an attempt its caller saw fail had in fact been queued (the stop cut the
//! reply after Postfix took the message: SMTP's duplicate window, RFC 1047), and at most once
//! more per such attempt; beside those, at most [`SERVER_REPEATS`] repeats that no failed
//! attempt explains, which Postfix itself makes when the stop cuts a local delivery it had
//! already written to the Maildir but not yet recorded (it delivers at least once).
//!
//! Throughput lines start with `e2e_load:` and are written to stderr past the test harness's
//! capture (and to `target/tmp/e2e_load.txt`), so they show in `scripts/test`'s output.
//!
//! Needs the fixture: `eval "$(scripts/postfix-fixture start)"`, or `scripts/test`. Without it
//! the tests print a notice and pass, unless `LETTERHEAD_REQUIRE_FIXTURE=1`.

mod support;

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::Write,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use letterhead::{
    message::header::ContentType, transport::smtp::PoolConfig, AsyncSmtpTransport, AsyncTransport,
    Tokio1Executor,
};
use support::{count_ids, run_tag, Fixture};

const MESSAGES: usize = 2_000;
const TASKS: usize = 16;
/// Repeats the restart test allows beside those failed attempts explain: Postfix's own
/// redelivery of a local delivery the stop cut after the file was written (seen: 1 in 2,000).
const SERVER_REPEATS: usize = 3;

/// Retries in the restart test: at most this many attempts per message...
const MAX_ATTEMPTS: u32 = 12;
/// ...with a backoff doubling from this...
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// ...up to this (12 attempts span about 15 s, several times a stop + start).
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// An attempt still running after this has hung: its failure did not reach the caller.
const ATTEMPT_DEADLINE: Duration = Duration::from_secs(60);

/// The tests here share one Postfix, which the restart test stops: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// A line for the run's output and for `target/tmp/e2e_load.txt`.
fn report(line: &str) {
    // Past the harness's capture, so it shows with or without `--nocapture`.
    let _ = writeln!(std::io::stderr(), "e2e_load: {line}");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e_load.txt");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

fn pooled(fixture: &Fixture) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(fixture.smtp_port)
        .timeout(Some(Duration::from_secs(20)))
        .pool_config(PoolConfig::new().max_size(TASKS as u32))
        .build()
}

const BODY: &str = "Thanks for signing up.\nThis is message {n} of a load test.\n";

/// A reply as an app sends it, with letterhead: Message-ID generated.
fn letterhead_message(tag: &str, n: usize) -> letterhead::Message {
    letterhead::Message::builder()
        .from("Load Test <load@fixture.test>".parse().unwrap())
        .to("sink@fixture.test".parse().unwrap())
        .subject(format!("{tag} letterhead {n}"))
        .message_id_domain("load.fixture.test")
        .in_reply_to(format!("<parent.{tag}@fixture.test>"))
        .references(format!(
            "<root.{tag}@fixture.test> <parent.{tag}@fixture.test>"
        ))
        .header(ContentType::TEXT_PLAIN)
        .body(BODY.replace("{n}", &n.to_string()))
        .unwrap()
}

/// The same with plain lettre, which needs `message_id(None)` to write a Message-ID.
fn lettre_message(tag: &str, n: usize) -> lettre::Message {
    lettre::Message::builder()
        .from("Load Test <load@fixture.test>".parse().unwrap())
        .to("sink@fixture.test".parse().unwrap())
        .subject(format!("{tag} lettre {n}"))
        .message_id(None)
        .in_reply_to(format!("<parent.{tag}@fixture.test>"))
        .references(format!(
            "<root.{tag}@fixture.test> <parent.{tag}@fixture.test>"
        ))
        .header(ContentType::TEXT_PLAIN)
        .body(BODY.replace("{n}", &n.to_string()))
        .unwrap()
}

fn message_id(headers: &lettre::message::header::Headers) -> String {
    headers.get_raw("Message-ID").unwrap().to_owned()
}

/// Sends messages `numbers` from `TASKS` tasks (task `t` builds and sends, one after the
/// other, the numbers `t`, `t + TASKS`, ...) and returns the Message-IDs sent and the time
/// until the last 250.
async fn blast<F, Fut>(numbers: std::ops::Range<usize>, send_one: F) -> (Vec<String>, Duration)
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = String> + Send,
{
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let send_one = send_one.clone();
            let numbers = numbers.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in (numbers.start + t..numbers.end).step_by(TASKS) {
                    ids.push(send_one(n).await);
                }
                ids
            })
        })
        .collect();
    let mut ids = Vec::with_capacity(numbers.len());
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    (ids, start.elapsed())
}

/// Every id sent is in the Maildir, and nothing else carries the tag. An id is there exactly
/// once, unless `failed` holds it: then at most once more per attempt of it that failed (a
/// message the server queued although its reply never reached the caller, who retried).
/// Returns the files and how many of them are such repeats.
fn assert_delivered(
    fixture: &Fixture,
    tag: &str,
    sent: &[String],
    failed: &HashMap<String, usize>,
    server_repeats: usize,
) -> (usize, usize) {
    let sent_set: HashSet<&str> = sent.iter().map(String::as_str).collect();
    assert_eq!(
        sent_set.len(),
        sent.len(),
        "{tag}: Message-IDs are not unique"
    );
    let delivered = fixture.scan(&format!("{tag} "));
    let counts = count_ids(&delivered);
    let lost: Vec<&&str> = sent_set
        .iter()
        .filter(|id| !counts.contains_key(**id))
        .collect();
    let duplicated: BTreeMap<&String, &usize> = counts
        .iter()
        .filter(|(id, n)| **n > 1 + failed.get(*id).copied().unwrap_or(0))
        .collect();
    let strangers: Vec<&String> = counts
        .keys()
        .filter(|id| !sent_set.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{tag}: {} of {} messages never reached the Maildir: {:?}",
        lost.len(),
        sent.len(),
        &lost[..lost.len().min(10)]
    );
    // A retry repeats a message only if the server queued it but the client never got the
    // 250: a reply cut between the two. Only an attempt the caller saw fail can be one. A
    // stop may also cut Postfix's own local delivery after it wrote the file: it delivers
    // that message again after the start, which no client can tell.
    let unexplained: usize = duplicated
        .iter()
        .map(|(id, n)| **n - 1 - failed.get(*id).copied().unwrap_or(0))
        .sum();
    if unexplained > 0 && unexplained <= server_repeats {
        eprintln!(
            "e2e_load: {tag}: {unexplained} repeat(s) no failed attempt explains (Postfix \
             redelivering after the stop): {duplicated:?}"
        );
    }
    assert!(
        unexplained <= server_repeats,
        "{tag}: delivered more often (by Message-ID) than its failed attempts explain: \
         {duplicated:?}"
    );
    assert!(strangers.is_empty(), "{tag}: unexpected ids: {strangers:?}");
    let repeats = delivered.len() - sent.len();
    assert_eq!(
        counts.values().sum::<usize>(),
        delivered.len(),
        "{tag}: files in the Maildir"
    );
    (delivered.len(), repeats)
}

/// Runs `test` on a 2-thread runtime, one such test at a time.
fn serially<F: std::future::Future<Output = ()>>(test: F) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(test);
}

#[test]
fn load_2000_messages_16_tasks_one_pooled_transport_each_delivered_once() {
    if let Some(fixture) = Fixture::from_env("e2e_load::load") {
        serially(load(fixture));
    }
}

/// Waits for the fixture's queue to drain; returns how long that took.
async fn drain(fixture: &Fixture) -> Duration {
    let f = fixture.clone();
    let start = Instant::now();
    tokio::task::spawn_blocking(move || f.wait_for_queue())
        .await
        .unwrap();
    start.elapsed()
}

async fn load(fixture: Fixture) {
    let tag = run_tag("e2e-load");
    drain(&fixture).await;

    // One pooled transport for each library, each shared by 16 tasks that send 2,000
    // messages: half in a first round, half in a second, in the order letterhead, lettre,
    // lettre, letterhead, after a warm-up (Postfix forks its smtpd processes on first use).
    let lh_mailer = pooled(&fixture);
    let lettre_mailer: lettre::AsyncSmtpTransport<lettre::Tokio1Executor> =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(fixture.smtp_port)
            .timeout(Some(Duration::from_secs(20)))
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(TASKS as u32))
            .build();
    let send_letterhead = {
        let (m, t) = (lh_mailer.clone(), tag.clone());
        move |n| {
            let (m, t) = (m.clone(), t.clone());
            async move {
                let email = letterhead_message(&t, n);
                let id = message_id(email.headers());
                m.send(email).await.unwrap_or_else(|e| panic!("{id}: {e}"));
                id
            }
        }
    };
    let send_lettre = {
        let (m, t) = (lettre_mailer.clone(), tag.clone());
        move |n| {
            let (m, t) = (m.clone(), t.clone());
            async move {
                let email = lettre_message(&t, n);
                let id = message_id(email.headers());
                lettre::AsyncTransport::send(&m, email)
                    .await
                    .unwrap_or_else(|e| panic!("{id}: {e}"));
                id
            }
        }
    };
    let warm_tag = format!("{tag}-warmup");
    let warm = pooled(&fixture);
    blast(0..4 * TASKS, move |n| {
        let (m, t) = (warm.clone(), warm_tag.clone());
        async move {
            let email = letterhead_message(&t, n);
            m.send(email).await.unwrap();
            String::new()
        }
    })
    .await;
    drain(&fixture).await;

    let half = MESSAGES / 2;
    let (mut lh_ids, mut lettre_ids) = (Vec::new(), Vec::new());
    let (mut lh_time, mut lettre_time) = (Duration::ZERO, Duration::ZERO);
    let (mut lh_drain, mut lettre_drain) = (Duration::ZERO, Duration::ZERO);
    for round in [0..half, half..MESSAGES] {
        let letterhead_first = round.start == 0;
        for is_letterhead in [letterhead_first, !letterhead_first] {
            if is_letterhead {
                let (ids, time) = blast(round.clone(), send_letterhead.clone()).await;
                lh_ids.extend(ids);
                lh_time += time;
                lh_drain += drain(&fixture).await;
            } else {
                let (ids, time) = blast(round.clone(), send_lettre.clone()).await;
                lettre_ids.extend(ids);
                lettre_time += time;
                lettre_drain += drain(&fixture).await;
            }
        }
    }
    lh_mailer.shutdown().await;
    lettre::AsyncTransport::shutdown(&lettre_mailer).await;

    let f = fixture.clone();
    let t = tag.clone();
    let (lh_files, lettre_files) = tokio::task::spawn_blocking(move || {
        (
            assert_delivered(&f, &format!("{t} letterhead"), &lh_ids, &HashMap::new(), 0).0,
            assert_delivered(&f, &format!("{t} lettre"), &lettre_ids, &HashMap::new(), 0).0,
        )
    })
    .await
    .unwrap();

    // For scale: building and formatting alone, on one thread.
    let per_message = |build: &dyn Fn(usize) -> usize| {
        let start = Instant::now();
        let bytes: usize = (0..MESSAGES).map(build).sum();
        assert!(bytes > 0);
        start.elapsed().as_secs_f64() * 1e6 / MESSAGES as f64
    };
    let lh_build = per_message(&|n| letterhead_message(&tag, n).formatted().len());
    let lettre_build = per_message(&|n| lettre_message(&tag, n).formatted().len());

    let rate = |d: Duration| MESSAGES as f64 / d.as_secs_f64();
    report(&format!(
        "throughput, {MESSAGES} messages from {TASKS} tasks through one pooled \
         AsyncSmtpTransport (plain port, debug build, building included, until the last 250): \
         letterhead {:.0} msg/s ({:.2} s), plain lettre {:.0} msg/s ({:.2} s); building and \
         formatting alone: letterhead {lh_build:.0} us/msg, lettre {lettre_build:.0} us/msg",
        rate(lh_time),
        lh_time.as_secs_f64(),
        rate(lettre_time),
        lettre_time.as_secs_f64(),
    ));
    report(&format!(
        "delivered: letterhead {lh_files} files for {MESSAGES} unique Message-IDs, 0 \
         duplicates, 0 lost (queue drained {:.2} s after the last 250s); plain lettre \
         {lettre_files} files, 0 duplicates, 0 lost (drained {:.2} s after)",
        lh_drain.as_secs_f64(),
        lettre_drain.as_secs_f64()
    ));
}

/// What the callers saw during the restart test.
#[derive(Default)]
struct Seen {
    /// Error text (digits blanked, so that like errors group) -> count.
    errors: Mutex<HashMap<String, usize>>,
    attempts: AtomicUsize,
    retried_messages: AtomicUsize,
    /// Message-ID -> attempts that failed before one was accepted.
    failed_attempts: Mutex<HashMap<String, usize>>,
    max_attempts: AtomicUsize,
    accepted: AtomicUsize,
    accepted_after_restart: AtomicUsize,
    restarted: std::sync::atomic::AtomicBool,
}

/// Restarts the fixture if a failing test left it stopped.
struct StartOnDrop(Fixture);

impl Drop for StartOnDrop {
    fn drop(&mut self) {
        if !self.0.is_running() {
            self.0.command("start");
        }
    }
}

/// Sends with bounded retries and exponential backoff; returns the number of attempts, or
/// panics when they run out or an attempt hangs.
async fn send_with_retries(
    mailer: &AsyncSmtpTransport<Tokio1Executor>,
    email: letterhead::Message,
    seen: &Seen,
) -> u32 {
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=MAX_ATTEMPTS {
        seen.attempts.fetch_add(1, Ordering::Relaxed);
        let result = tokio::time::timeout(ATTEMPT_DEADLINE, mailer.send(email.clone()))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "an attempt hung for {ATTEMPT_DEADLINE:?}: a failure did not reach the caller"
                )
            });
        match result {
            Ok(response) => {
                assert!(response.is_positive(), "{response:?}");
                seen.accepted.fetch_add(1, Ordering::Relaxed);
                if seen.restarted.load(Ordering::Relaxed) {
                    seen.accepted_after_restart.fetch_add(1, Ordering::Relaxed);
                }
                if attempt > 1 {
                    seen.retried_messages.fetch_add(1, Ordering::Relaxed);
                    seen.failed_attempts
                        .lock()
                        .unwrap()
                        .insert(message_id(email.headers()), attempt as usize - 1);
                }
                seen.max_attempts
                    .fetch_max(attempt as usize, Ordering::Relaxed);
                return attempt;
            }
            Err(e) => {
                let kind: String = e
                    .to_string()
                    .chars()
                    .map(|c| if c.is_ascii_digit() { '#' } else { c })
                    .collect();
                *seen.errors.lock().unwrap().entry(kind).or_insert(0) += 1;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
    panic!("no success after {MAX_ATTEMPTS} attempts")
}

#[test]
fn restart_mid_run_failures_reach_the_caller_and_retries_deliver_each_once() {
    if let Some(fixture) = Fixture::from_env("e2e_load::restart") {
        serially(restart(fixture));
    }
}

async fn restart(fixture: Fixture) {
    let _guard = StartOnDrop(fixture.clone());
    let tag = run_tag("e2e-restart");
    let mailer = pooled(&fixture);
    let seen = Arc::new(Seen::default());

    // Stop Postfix once a third of the messages were accepted, keep it down for a second,
    // start it again, all while the 16 tasks keep sending.
    let restarter = {
        let (fixture, seen) = (fixture.clone(), seen.clone());
        tokio::spawn(async move {
            while seen.accepted.load(Ordering::Relaxed) < MESSAGES / 3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let at = seen.accepted.load(Ordering::Relaxed);
            let f = fixture.clone();
            let stop = Instant::now();
            tokio::task::spawn_blocking(move || f.command("stop"))
                .await
                .unwrap();
            let stopped_in = stop.elapsed();
            tokio::time::sleep(Duration::from_secs(1)).await;
            let f = fixture.clone();
            tokio::task::spawn_blocking(move || f.command("start"))
                .await
                .unwrap();
            seen.restarted.store(true, Ordering::Relaxed);
            (at, stopped_in, stop.elapsed())
        })
    };

    let (m, t, s) = (mailer.clone(), tag.clone(), seen.clone());
    let (ids, elapsed) = blast(0..MESSAGES, move |n| {
        let (m, t, s) = (m.clone(), t.clone(), s.clone());
        async move {
            let email = letterhead_message(&t, n);
            let id = message_id(email.headers());
            send_with_retries(&m, email, &s).await;
            id
        }
    })
    .await;
    let (stopped_at, stopped_in, down_for) = restarter.await.unwrap();
    mailer.shutdown().await;

    let f = fixture.clone();
    let failed = seen.failed_attempts.lock().unwrap().clone();
    let (files, repeats) = tokio::task::spawn_blocking(move || {
        f.wait_for_queue();
        assert_delivered(
            &f,
            &format!("{tag} letterhead"),
            &ids,
            &failed,
            SERVER_REPEATS,
        )
    })
    .await
    .unwrap();

    let errors = seen.errors.lock().unwrap().clone();
    let error_count: usize = errors.values().sum();
    let attempts = seen.attempts.load(Ordering::Relaxed);
    report(&format!(
        "restart: Postfix stopped after {stopped_at} of {MESSAGES} messages were accepted \
         (stop took {:.2} s), back after {:.2} s; {MESSAGES} messages in {:.2} s: {attempts} \
         attempts, {error_count} errors returned to the callers, {} messages retried \
         (at most {} attempts for one), {} accepted after the restart; Maildir: {files} files, \
         {MESSAGES} unique Message-IDs, {repeats} repeats (a failed attempt Postfix had \
         queued), 0 lost",
        stopped_in.as_secs_f64(),
        down_for.as_secs_f64(),
        elapsed.as_secs_f64(),
        seen.retried_messages.load(Ordering::Relaxed),
        seen.max_attempts.load(Ordering::Relaxed),
        seen.accepted_after_restart.load(Ordering::Relaxed),
    ));
    let mut errors: Vec<_> = errors.into_iter().collect();
    errors.sort_by_key(|e| std::cmp::Reverse(e.1));
    for (kind, n) in &errors {
        report(&format!("restart: {n:5} x {kind}"));
    }
    // The restart happened while messages were in flight, and the callers saw it.
    assert!(error_count > 0, "no caller saw an error during the restart");
    assert_eq!(
        attempts,
        MESSAGES + error_count,
        "every failed attempt was an error"
    );
    assert!(
        seen.accepted_after_restart.load(Ordering::Relaxed) > 0,
        "nothing was sent after the restart"
    );
}
