//! The cost of signing one message with DKIM: letterhead's `sign` against lettre 0.11's, on
//! the same message (the three of `common`, with the same Message-ID) with the same key and
//! the same settings (lettre's default header list, relaxed/relaxed), RSA-2048 and Ed25519.
//! What is timed is `sign` alone on a clone of the built message. See BENCHMARKS.md.
//!
//! After criterion's groups, a paired run (ABBA batches, as in `build_format`) gives the
//! ratio letterhead / lettre, which the machine's changing speed does not move.
//!
//! `DKIM_PROFILE=ITERS:KEY:MESSAGE:LIB` (KEY `rsa2048` or `ed25519`, MESSAGE a `common` kind
//! name, LIB `lettre` or `letterhead`) instead signs that message ITERS times and exits: the
//! loop to count instructions with callgrind, as (Ir(N2) - Ir(N1)) / (N2 - N1).

mod common;

use std::{hint::black_box, time::Instant};

use common::{Case, Inputs, Kind};
use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use letterhead::message::{dkim as lh, header::HeaderName};
use lettre::message::dkim as lt;

const RSA_PEM: &str = include_str!("../tests/keys/rsa2048.pem");
const ED_SEED: &str = include_str!("../tests/keys/ed25519.seed");
const HEADERS: [&str; 4] = ["From", "Subject", "To", "Date"];

#[derive(Clone, Copy)]
enum Alg {
    Rsa,
    Ed25519,
}

impl Alg {
    fn name(self) -> &'static str {
        match self {
            Alg::Rsa => "rsa2048",
            Alg::Ed25519 => "ed25519",
        }
    }
}

fn letterhead_config(alg: Alg) -> lh::DkimConfig {
    let key = match alg {
        Alg::Rsa => lh::DkimSigningKey::new(RSA_PEM, lh::DkimSigningAlgorithm::Rsa),
        Alg::Ed25519 => lh::DkimSigningKey::new(ED_SEED.trim(), lh::DkimSigningAlgorithm::Ed25519),
    }
    .unwrap();
    lh::DkimConfig::new(
        "s".into(),
        "acme.example".into(),
        key,
        HEADERS.map(HeaderName::new_from_ascii_str).to_vec(),
        lh::DkimCanonicalization {
            header: lh::DkimCanonicalizationType::Relaxed,
            body: lh::DkimCanonicalizationType::Relaxed,
        },
    )
}

fn lettre_config(alg: Alg) -> lt::DkimConfig {
    let key = match alg {
        Alg::Rsa => lt::DkimSigningKey::new(RSA_PEM, lt::DkimSigningAlgorithm::Rsa),
        Alg::Ed25519 => lt::DkimSigningKey::new(ED_SEED.trim(), lt::DkimSigningAlgorithm::Ed25519),
    }
    .unwrap();
    lt::DkimConfig::new(
        "s".into(),
        "acme.example".into(),
        key,
        HEADERS.map(HeaderName::new_from_ascii_str).to_vec(),
        lt::DkimCanonicalization {
            header: lt::DkimCanonicalizationType::Relaxed,
            body: lt::DkimCanonicalizationType::Relaxed,
        },
    )
}

/// The built messages, the same headers in both (the given Message-ID).
struct Messages {
    lettre: lettre::Message,
    letterhead: letterhead::Message,
}

fn messages(kind: Kind, inp: &Inputs) -> Messages {
    Messages {
        lettre: common::lettre_message(Case::LettreGivenId, kind, inp),
        letterhead: common::letterhead_message(Case::LetterheadGivenId, kind, inp),
    }
}

fn sign(c: &mut Criterion) {
    let inp = Inputs::new();
    for alg in [Alg::Ed25519, Alg::Rsa] {
        let (lhc, ltc) = (letterhead_config(alg), lettre_config(alg));
        for kind in Kind::ALL {
            let m = messages(kind, &inp);
            let mut g = c.benchmark_group(format!("dkim_sign_{}/{}", alg.name(), kind.name()));
            g.throughput(Throughput::Elements(1));
            g.bench_function("lettre", |b| {
                b.iter_batched(
                    || m.lettre.clone(),
                    |mut e| {
                        e.sign(black_box(&ltc));
                        e
                    },
                    BatchSize::SmallInput,
                )
            });
            g.bench_function("letterhead", |b| {
                b.iter_batched(
                    || m.letterhead.clone(),
                    |mut e| {
                        e.sign(black_box(&lhc));
                        e
                    },
                    BatchSize::SmallInput,
                )
            });
            g.finish();
        }
    }
}

/// ABBA batches of about 20 ms each side; the median of the per-pair ratios, and the fastest
/// batch of each side as µs per message.
fn paired_ratios() {
    const ROUNDS: usize = 40;
    let inp = Inputs::new();
    println!();
    println!("dkim sign, paired ({ROUNDS} ABBA rounds per row; min µs/msg, median ratio)");
    println!("| key | message | lettre µs | letterhead µs | ratio (median) |");
    println!("|---|---|---:|---:|---:|");
    for alg in [Alg::Ed25519, Alg::Rsa] {
        let (lhc, ltc) = (letterhead_config(alg), lettre_config(alg));
        for kind in Kind::ALL {
            let m = messages(kind, &inp);
            let lettre = |n: usize| {
                let copies: Vec<_> = (0..n).map(|_| m.lettre.clone()).collect();
                let t = Instant::now();
                for mut e in copies {
                    e.sign(&ltc);
                    black_box(e);
                }
                t.elapsed().as_secs_f64() * 1e6 / n as f64
            };
            let letterhead = |n: usize| {
                let copies: Vec<_> = (0..n).map(|_| m.letterhead.clone()).collect();
                let t = Instant::now();
                for mut e in copies {
                    e.sign(&lhc);
                    black_box(e);
                }
                t.elapsed().as_secs_f64() * 1e6 / n as f64
            };
            let per = lettre(8).max(1.0);
            let n = ((20_000.0 / per) as usize).clamp(4, 2000);
            let (mut ta, mut tb, mut ratios) = (f64::MAX, f64::MAX, Vec::with_capacity(ROUNDS));
            for round in 0..ROUNDS {
                let (x, y) = if round % 2 == 0 {
                    let x = lettre(n);
                    (x, letterhead(n))
                } else {
                    let y = letterhead(n);
                    (lettre(n), y)
                };
                ta = ta.min(x);
                tb = tb.min(y);
                ratios.push(y / x);
            }
            ratios.sort_by(f64::total_cmp);
            println!(
                "| {} | {} | {ta:.1} | {tb:.1} | {:.3} |",
                alg.name(),
                kind.name(),
                ratios[ROUNDS / 2]
            );
        }
    }
}

/// The `DKIM_PROFILE` loop.
fn profile(spec: &str) {
    let parts: Vec<&str> = spec.split(':').collect();
    let [iters, key, message, lib] = parts[..] else {
        panic!("DKIM_PROFILE=ITERS:KEY:MESSAGE:LIB, got {spec:?}");
    };
    let iters: usize = iters.parse().expect("ITERS");
    let alg = match key {
        "rsa2048" => Alg::Rsa,
        "ed25519" => Alg::Ed25519,
        _ => panic!("KEY is rsa2048 or ed25519"),
    };
    let kind = Kind::from_name(message).expect("MESSAGE");
    let m = messages(kind, &Inputs::new());
    let (lhc, ltc) = (letterhead_config(alg), lettre_config(alg));
    for _ in 0..iters {
        match lib {
            "lettre" => {
                let mut e = m.lettre.clone();
                e.sign(&ltc);
                black_box(e);
            }
            "letterhead" => {
                let mut e = m.letterhead.clone();
                e.sign(&lhc);
                black_box(e);
            }
            _ => panic!("LIB is lettre or letterhead"),
        }
    }
}

criterion_group!(benches, sign);

fn main() {
    if let Ok(spec) = std::env::var("DKIM_PROFILE") {
        profile(&spec);
        return;
    }
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    // Only under `cargo bench` (which passes `--bench`), not `cargo test --benches`.
    if std::env::args().any(|a| a == "--bench") {
        paired_ratios();
    }
}
