//! One message sent over a pooled connection to an SMTP sink on loopback, letterhead's
//! transports beside lettre's in the same run: what bounding every step costs (the blocking
//! transport also hands each step to its connection's worker thread). Loopback round trips
//! dominate; the ratio is what to read (BENCHMARKS.md, "SMTP transports").

use std::{
    io::{BufRead, BufReader, Write},
    net::TcpListener,
    time::Duration,
};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use letterhead::transport::smtp::PoolConfig;
use lettre::transport::smtp::PoolConfig as LettrePool;

/// A well-behaved SMTP server that accepts every message and keeps nothing.
fn sink() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let mut out = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let _ = out.write_all(b"220 sink ESMTP\r\n");
                let mut line = Vec::new();
                let mut in_data = false;
                loop {
                    line.clear();
                    quickack(&out);
                    if reader.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let reply: &[u8] = if in_data {
                        if line != b".\r\n" {
                            continue;
                        }
                        in_data = false;
                        b"250 2.0.0 queued\r\n"
                    } else if line.starts_with(b"EHLO") {
                        b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
                    } else if line.starts_with(b"DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if line.starts_with(b"QUIT") {
                        let _ = out.write_all(b"221 bye\r\n");
                        return;
                    } else {
                        b"250 2.0.0 ok\r\n"
                    };
                    if out.write_all(reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// ACK at once (Linux resets this after each ACK): both clients write the final dot apart
/// from the content, and with Nagle's algorithm on their side and a delayed ACK on ours each
/// message would wait 40 ms for the ACK, hiding everything else.
fn quickack(stream: &std::net::TcpStream) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        let one: libc::c_int = 1;
        // SAFETY: a valid socket, a c_int option value of the right size.
        unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_QUICKACK,
                &one as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
    let _ = stream;
}

fn message() -> (lettre::address::Envelope, Vec<u8>) {
    let m = lettre::Message::builder()
        .from("App <app@example.com>".parse().unwrap())
        .to("user@example.net".parse().unwrap())
        .subject("bench")
        .body(String::from("Hello from the transport bench.\r\n"))
        .unwrap();
    (m.envelope().clone(), m.formatted())
}

fn transports(c: &mut Criterion) {
    let port = sink();
    let (envelope, raw) = message();
    let timeout = Some(Duration::from_secs(10));
    let mut group = c.benchmark_group("smtp_send_pooled_loopback");
    group.throughput(Throughput::Elements(1));

    let ours = letterhead::SmtpTransport::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(timeout)
        .pool_config(PoolConfig::new().max_size(1))
        .build();
    let theirs = lettre::SmtpTransport::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(timeout)
        .pool_config(LettrePool::new().max_size(1))
        .build();
    group.bench_function("sync/lettre", |b| {
        b.iter(|| lettre::Transport::send_raw(&theirs, &envelope, &raw).unwrap())
    });
    group.bench_function("sync/letterhead", |b| {
        b.iter(|| lettre::Transport::send_raw(&ours, &envelope, &raw).unwrap())
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (ours, theirs) = rt.block_on(async {
        let ours: letterhead::AsyncSmtpTransport<letterhead::Tokio1Executor> =
            letterhead::AsyncSmtpTransport::<letterhead::Tokio1Executor>::builder_dangerous(
                "127.0.0.1",
            )
            .port(port)
            .timeout(timeout)
            .pool_config(PoolConfig::new().max_size(1))
            .build();
        let theirs: lettre::AsyncSmtpTransport<lettre::Tokio1Executor> =
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
                .port(port)
                .timeout(timeout)
                .pool_config(LettrePool::new().max_size(1))
                .build();
        (ours, theirs)
    });
    group.bench_function("tokio/lettre", |b| {
        b.iter(|| {
            rt.block_on(lettre::AsyncTransport::send_raw(&theirs, &envelope, &raw))
                .unwrap()
        })
    });
    group.bench_function("tokio/letterhead", |b| {
        b.iter(|| {
            rt.block_on(lettre::AsyncTransport::send_raw(&ours, &envelope, &raw))
                .unwrap()
        })
    });
    group.finish();
    // lettre's pool spawns a task when dropped: inside the runtime.
    rt.block_on(async move { drop((ours, theirs)) });
}

criterion_group!(benches, transports);
criterion_main!(benches);
