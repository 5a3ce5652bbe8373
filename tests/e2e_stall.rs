//! Postfix paused under load (SIGSTOP to every process of the fixture, then SIGCONT): while
//! it is stopped, sends fail within the transport's timeout (a new connection at the greeting,
//! a pooled one at its NOOP check); 16 tasks sending 400 messages through the retry wrapper
//! (`retry_unknown(true)`) ride it out: after SIGCONT every message is delivered, and a
//! message is there more than once only as often as its caller was told an attempt ended in
//! an unknown state (the reply to the final dot lost while Postfix had the message).
//!
//! Needs the fixture: `eval "$(scripts/postfix-fixture start)"`, or `scripts/test`. Without it
//! the test prints a notice and passes, unless `LETTERHEAD_REQUIRE_FIXTURE=1`.

mod support;

use std::{
    collections::HashMap,
    io::Write,
    path::Path,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use letterhead::{
    message::header::ContentType,
    transport::{retry::Retry, smtp::PoolConfig, smtp::Step},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use support::{count_ids, run_tag, Fixture};

const TIMEOUT: Duration = Duration::from_secs(2);
const MARGIN: Duration = Duration::from_secs(2);
const MESSAGES: usize = 400;
const TASKS: usize = 16;
/// How long Postfix stays stopped: several timeouts.
const STOPPED_FOR: Duration = Duration::from_secs(5);

fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "e2e_stall: {line}");
}

fn transport(fixture: &Fixture) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(fixture.smtp_port)
        .timeout(Some(TIMEOUT))
        .pool_config(PoolConfig::new().max_size(TASKS as u32))
        .build()
}

fn message(tag: &str, n: usize) -> Message {
    Message::builder()
        .from("Stall Test <stall@fixture.test>".parse().unwrap())
        .to("sink@fixture.test".parse().unwrap())
        .subject(format!("{tag} {n}"))
        .message_id_domain("stall.fixture.test")
        .header(ContentType::TEXT_PLAIN)
        .body(format!("Message {n} of a stall test.\n"))
        .unwrap()
}

/// The processes of the fixture's Postfix: every process whose working directory is its
/// queue directory (Postfix's daemons chdir there; `scripts/postfix-fixture` finds them so).
fn postfix_pids(fixture: &Fixture) -> Vec<i32> {
    let queue = fixture.dir.join("queue");
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if std::fs::read_link(entry.path().join("cwd")).is_ok_and(|cwd| cwd == Path::new(&queue)) {
            pids.push(pid);
        }
    }
    pids
}

fn signal(pids: &[i32], sig: i32) {
    for &pid in pids {
        // SAFETY: kill(2) with a pid of a process we found and a valid signal number.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// Continues the stopped processes whatever happens to the test.
struct ContOnDrop(Vec<i32>);

impl Drop for ContOnDrop {
    fn drop(&mut self) {
        signal(&self.0, libc::SIGCONT);
    }
}

#[test]
fn sigstop_under_load_sends_fail_in_time_and_retries_deliver_everything() {
    let Some(fixture) = Fixture::from_env("e2e_stall::sigstop") else {
        return;
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(fixture));
}

async fn run(fixture: Fixture) {
    let tag = run_tag("e2e-stall");
    let mailer = transport(&fixture);
    // A transport with a pooled connection to probe the reuse check while stopped.
    let probe_pooled = transport(&fixture);
    probe_pooled
        .send(message(&format!("{tag}-probe"), 0))
        .await
        .unwrap();

    let retry = Arc::new(
        Retry::new(mailer.clone())
            .attempts(40)
            .backoff(Duration::from_millis(100), Duration::from_secs(1))
            .deadline(Duration::from_secs(120))
            .retry_unknown(true)
            .executor::<Tokio1Executor>(),
    );
    let accepted = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    // Message-ID -> attempts whose delivery state was unknown.
    let unknown: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let attempts = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (retry, accepted, next, unknown, attempts, tag) = (
            retry.clone(),
            accepted.clone(),
            next.clone(),
            unknown.clone(),
            attempts.clone(),
            tag.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= MESSAGES {
                    return ids;
                }
                let email = message(&tag, n);
                let id = email.message_id().unwrap().to_string();
                let sent = retry
                    .send(email)
                    .await
                    .unwrap_or_else(|e| panic!("{id}: not delivered: {e}"));
                attempts.fetch_add(sent.attempts() as usize, Ordering::Relaxed);
                if sent.unknown_attempts() > 0 {
                    unknown
                        .lock()
                        .unwrap()
                        .insert(id.clone(), sent.unknown_attempts());
                }
                accepted.fetch_add(1, Ordering::Relaxed);
                ids.push(id);
            }
        }));
    }

    // Stop Postfix once a quarter of the messages went through.
    while accepted.load(Ordering::Relaxed) < MESSAGES / 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pids = postfix_pids(&fixture);
    assert!(
        !pids.is_empty(),
        "no Postfix process found under {}",
        fixture.dir.display()
    );
    signal(&pids, libc::SIGSTOP);
    let guard = ContOnDrop(pids);
    let stopped_at = accepted.load(Ordering::Relaxed);
    let stopped = Instant::now();

    // While stopped: a new connection fails at the greeting, a pooled one at its NOOP, each
    // within the timeout.
    let fresh = transport(&fixture);
    for (name, probe, step) in [
        ("new connection", &fresh, Step::Greeting),
        ("pooled connection", &probe_pooled, Step::Noop),
    ] {
        let start = Instant::now();
        let e = probe
            .send(message(&format!("{tag}-probe"), 1))
            .await
            .expect_err("Postfix is stopped");
        let took = start.elapsed();
        assert!(e.is_timeout(), "{name}: {e}");
        assert_eq!(e.step(), Some(step), "{name}: {e}");
        assert!(took <= TIMEOUT + MARGIN, "{name}: failed after {took:?}");
        report(&format!(
            "while stopped, {name}: {e} after {:.2} s",
            took.as_secs_f64()
        ));
    }
    let during = accepted.load(Ordering::Relaxed);
    tokio::time::sleep(STOPPED_FOR.saturating_sub(stopped.elapsed())).await;
    drop(guard); // SIGCONT
    let stopped_for = stopped.elapsed();

    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    mailer.shutdown().await;
    let unknown = unknown.lock().unwrap().clone();
    let unknown_total: u32 = unknown.values().sum();
    let unknown_messages = unknown.len();
    let attempts = attempts.load(Ordering::Relaxed);

    let f = fixture.clone();
    let t = tag.clone();
    let (files, repeats) = tokio::task::spawn_blocking(move || {
        f.wait_for_queue();
        let delivered = f.scan(&format!("{t} "));
        let counts = count_ids(&delivered);
        for id in &ids {
            let n = counts.get(id).copied().unwrap_or(0);
            let allowed = 1 + unknown.get(id).copied().unwrap_or(0) as usize;
            assert!(n >= 1, "{id} was never delivered");
            assert!(
                n <= allowed,
                "{id} delivered {n} times, its caller saw {} unknown-state attempt(s)",
                allowed - 1
            );
        }
        assert_eq!(counts.len(), ids.len(), "strangers: {counts:?}");
        let files: usize = counts.values().sum();
        (files, files - ids.len())
    })
    .await
    .unwrap();
    report(&format!(
        "Postfix stopped after {stopped_at} of {MESSAGES} messages were accepted, {} more \
         while stopping, continued after {:.2} s; {MESSAGES} messages delivered in {attempts} \
         attempts, {unknown_total} of them unknown-state (over {unknown_messages} messages); \
         {files} files, {repeats} repeat(s), none beyond its caller's unknown-state attempts",
        during - stopped_at,
        stopped_for.as_secs_f64(),
    ));
}
