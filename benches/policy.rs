//! The identifier machinery on its own: Message-ID generation, msg-id parsing, and the
//! default policy writing References of 1 to 100 ids (throughput in bytes of raw value, to
//! show that the cost is linear in the header's length). See BENCHMARKS.md.

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use letterhead::{
    message::header::HeaderName,
    policy::{write_header, write_text},
    Domain, IdentifierPolicy, MsgId, MsgIds,
};

const SIZES: [usize; 6] = [1, 5, 10, 20, 50, 100];

fn msgid(c: &mut Criterion) {
    let mut g = c.benchmark_group("msgid");
    let domain = Domain::parse("acme.example").unwrap();
    g.bench_function("generate", |b| {
        b.iter(|| MsgId::generate(black_box(&domain)))
    });
    let one = common::thread_id(7);
    g.bench_function("parse_one", |b| b.iter(|| MsgId::parse(black_box(&one))));
    // Step 4 of the domain order, as `finish()` does it for every generated Message-ID.
    g.bench_function("domain_parse", |b| {
        b.iter(|| Domain::parse(black_box("shop.acme.example")))
    });
    g.finish();
}

fn references(c: &mut Criterion) {
    let policy = IdentifierPolicy::new();
    let name = HeaderName::new_from_ascii_str("References");
    let raws: Vec<String> = SIZES.iter().map(|&n| common::references(n)).collect();

    let mut g = c.benchmark_group("references_parse");
    for (&n, raw) in SIZES.iter().zip(&raws) {
        g.throughput(Throughput::Bytes(raw.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), raw, |b, raw| {
            b.iter(|| MsgIds::parse(black_box(raw)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("references_write_text");
    for (&n, raw) in SIZES.iter().zip(&raws) {
        g.throughput(Throughput::Bytes(raw.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), raw, |b, raw| {
            b.iter(|| write_text(&policy, black_box(&name), black_box(raw)))
        });
    }
    g.finish();

    // What the builder does per header: read, write, verify, make the HeaderValue.
    let mut g = c.benchmark_group("references_write_header");
    for (&n, raw) in SIZES.iter().zip(&raws) {
        g.throughput(Throughput::Bytes(raw.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), raw, |b, raw| {
            b.iter(|| write_header(&policy, black_box(&name), black_box(raw)))
        });
    }
    g.finish();
}

criterion_group!(benches, msgid, references);
criterion_main!(benches);
