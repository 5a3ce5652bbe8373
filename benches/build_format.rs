//! Build + `formatted()` of the same three messages with plain lettre and with letterhead.
//!
//! Each group (`transactional`, `reply_20_refs`, `multipart_inline_image`) times five cases
//! (see `common::Case`): `lettre` and `letterhead` as each library behaves by default
//! (letterhead generates a Message-ID, lettre writes none), `lettre_generated_id`
//! (`.message_id(None)`), and `lettre_given_id` / `letterhead_given_id`, both given the same
//! Message-ID, which isolates what the identifier policy costs. Throughput is one message, so
//! criterion prints msg/s as `elem/s`. See BENCHMARKS.md.

mod common;

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use common::{Case, Inputs, Kind};
use criterion::{criterion_group, Criterion, Throughput};

fn build_format(c: &mut Criterion) {
    let inp = Inputs::new();
    for kind in Kind::ALL {
        let mut g = c.benchmark_group(kind.name());
        g.throughput(Throughput::Elements(1));
        for case in Case::ALL {
            g.bench_function(case.name(), |bench| {
                bench.iter(|| case.build_format(black_box(kind), black_box(&inp)))
            });
        }
        g.finish();
    }
}

/// A load-robust ratio: batches of lettre and letterhead alternate (ABBA), so a change in
/// machine load hits both sides of each pair; the median of the per-pair ratios is reported,
/// with the fastest batch of each side (the least disturbed one) as µs/msg.
fn paired_ratios() {
    const ROUNDS: usize = 300;
    let inp = Inputs::new();
    println!();
    println!("paired ratios ({ROUNDS} ABBA rounds per row; min µs/msg, median ratio)");
    println!("| message | pair | lettre µs | letterhead µs | ratio (median) | ratio (of mins) |");
    println!("|---|---|---:|---:|---:|---:|");
    let pairs = [
        (Case::Lettre, Case::Letterhead, "natural"),
        (Case::LettreGivenId, Case::LetterheadGivenId, "given id"),
        (Case::LettreGeneratedId, Case::Letterhead, "both generate"),
    ];
    for kind in Kind::ALL {
        for (a, b, label) in pairs {
            // About 2 ms per batch.
            let t = Instant::now();
            let mut n = 0usize;
            while t.elapsed() < Duration::from_millis(2) {
                black_box(a.build_format(kind, &inp));
                n += 1;
            }
            let batch = |case: Case| {
                let t = Instant::now();
                for _ in 0..n {
                    black_box(case.build_format(black_box(kind), black_box(&inp)));
                }
                t.elapsed().as_secs_f64() * 1e6 / n as f64
            };
            let (mut ta, mut tb, mut ratios) = (f64::MAX, f64::MAX, Vec::with_capacity(ROUNDS));
            for round in 0..ROUNDS {
                let (x, y) = if round % 2 == 0 {
                    let x = batch(a);
                    (x, batch(b))
                } else {
                    let y = batch(b);
                    (batch(a), y)
                };
                ta = ta.min(x);
                tb = tb.min(y);
                ratios.push(y / x);
            }
            ratios.sort_by(f64::total_cmp);
            println!(
                "| {} | {label} | {ta:.2} | {tb:.2} | {:.3} | {:.3} |",
                kind.name(),
                ratios[ROUNDS / 2],
                tb / ta
            );
        }
    }
}

criterion_group!(benches, build_format);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only under `cargo bench` (which passes `--bench`), not `cargo test --benches`.
    if std::env::args().any(|a| a == "--bench") {
        paired_ratios();
    }
}
