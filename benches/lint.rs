//! `lint::lint`, the doctor, in MB/s: on a realistic 50 kB multipart message, and on each
//! hostile shape (the ones `src/lint.rs` and `tests/lint_scaling.rs` check for linear work
//! and memory) at 1 MB and 10 MB. lettre has no lint, so there is nothing to pair it with.
//! See BENCHMARKS.md.
//!
//! `LINT_WRITE_SHAPES=dir cargo bench --bench lint` writes the 10 MB shapes (`LINT_SHAPES_MB`
//! sets another size) and the realistic message to `dir` instead, for `benches/lint-memory.sh`,
//! which runs the doctor on each.

use std::hint::black_box;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use letterhead::lint::{lint, MAX_DEPTH};

const MB: usize = 1_000_000;

/// A shape: the message it makes of about `size` octets.
type Shape = fn(usize) -> String;

/// The hostile shapes, each as close to `size` octets as its pieces allow.
const SHAPES: [(&str, Shape); 7] = [
    ("long_name_lf", |size| long_name(size, "\n")),
    ("long_name_crlf", |size| long_name(size, "\r\n")),
    ("repeated_ids", repeated_ids),
    ("many_parts", many_parts),
    ("near_boundaries", near_boundaries),
    ("many_findings", many_findings),
    ("huge_references", huge_references),
];

const TOP: &str = "From: a@example.com\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n";

/// A field name of half the size, then continuation lines ending in `end`: each line's
/// finding once held its own copy of the name.
fn long_name(size: usize, end: &str) -> String {
    let line = format!(" x{end}");
    format!(
        "From: a@example.com\r\n{}:{}\r\n\r\n",
        "N".repeat(size / 2),
        line.repeat(size / 2 / line.len())
    )
}

/// Other fields, then every identifier header repeated: each repeat once rescanned every
/// earlier field.
fn repeated_ids(size: usize) -> String {
    let mut s = "X-Field: value\r\n".repeat(size / 2 / 16);
    for h in [
        "Message-ID",
        "In-Reply-To",
        "References",
        "Resent-Message-ID",
        "Original-Message-ID",
        "Content-ID",
    ] {
        let line = format!("{h}: <a@example.com>\r\n");
        s += &line.repeat(size / 2 / 6 / line.len());
    }
    s + "\r\n"
}

/// Parts of about 1.1 kB, nested three deep, each with an encoded and a repeated Content-ID,
/// a bare CR and a body line over 998 octets.
fn many_parts(size: usize) -> String {
    let mut s = format!("{TOP}Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n");
    s += "Content-Type: multipart/alternative; boundary=\"m m\"\r\n\r\n--m m\r\n";
    s += "Content-Type: multipart/related; boundary=i\r\n\r\n";
    let part = format!(
        "--i\r\nContent-ID: =?utf-8?q?=3Ca=40b=3E?=\r\nContent-ID: <b@c>\r\nX: \r\r\n\r\n{}\r\n",
        "z".repeat(1_000)
    );
    s += &part.repeat(size / part.len());
    s + "--i--\r\n--m m--\r\n--o--\r\n"
}

/// `MAX_DEPTH` multiparts whose boundaries differ only in their last octets, then lines that
/// start like every one of them but are none.
fn near_boundaries(size: usize) -> String {
    let b = |depth: usize| format!("{}{depth:02}", "b".repeat(254));
    let mut s = String::from(TOP);
    for depth in 1..=MAX_DEPTH {
        let b = b(depth);
        s += &format!("Content-Type: multipart/mixed; boundary={b}\r\n\r\n--{b}\r\n");
    }
    s += "\r\n";
    let miss = format!("--{}x\r\n--{}--x\r\n", b(MAX_DEPTH), b(1));
    s + &miss.repeat(size / miss.len())
}

/// Header lines with a bare CR and 8-bit octets, then body lines over 998 octets: a finding
/// or two a line.
fn many_findings(size: usize) -> String {
    let line = "X-\u{fc}: a\rb\r\n";
    let body = format!("{}\r\n", "w".repeat(999));
    format!(
        "{TOP}{}\r\n{}",
        line.repeat(size / 2 / line.len()),
        body.repeat(size / 2 / body.len())
    )
}

/// A References of one id a line, then an In-Reply-To of ids on one line, half of them bare.
fn huge_references(size: usize) -> String {
    let mut s = format!("{TOP}References:");
    let mut i = 0;
    while s.len() < size * 3 / 4 {
        s += &format!(" <{i}.{}@host-{i}.example>\r\n", "p".repeat(i % 50));
        i += 1;
    }
    s + &format!(
        "In-Reply-To: {}\r\n\r\n",
        "<x@y> a@b ".repeat(size / 4 / 10)
    )
}

/// A 50 kB message as mail clients send it: a Received chain, a DKIM signature, a thread's
/// References; multipart/mixed holding a multipart/alternative (quoted-printable text and
/// HTML), an inline image with a Content-ID and a PDF, base64.
fn realistic() -> String {
    let mut s = String::new();
    for hop in 0..4 {
        s += &format!(
            "Received: from mx{hop}.relay.example (mx{hop}.relay.example [192.0.2.{hop}])\r\n\
             \tby mx{}.relay.example (Postfix) with ESMTPS id 4Zx{hop}Kq7mTz\r\n\
             \tfor <jane@contoso.example>; Sat, 28 Nov 2026 12:00:0{hop} +0000\r\n",
            hop + 1
        );
    }
    s += "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=acme.example; s=mail;\r\n\
          \tt=1795867200; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n\
          \th=From:To:Subject:Date:Message-ID:In-Reply-To:References;\r\n\
          \tb=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR\r\n";
    s += "From: Acme Support <support@acme.example>\r\nTo: Jane Doe <jane@contoso.example>\r\n\
          Cc: billing@acme.example\r\nSubject: Re: Your invoice for November\r\n\
          Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n\
          Message-ID: <5f1d6c2e9b8a4d3c@mail.acme.example>\r\n\
          In-Reply-To: <AM0PR07MB1234567890ABCDEF@AM0PR07MB1234.eurprd07.prod.outlook.com>\r\n";
    s += "References:";
    for i in 0..10 {
        s += &format!(" <thread.{i}.1764331200@mail.acme.example>\r\n");
    }
    s +=
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary=\"=_mixed_7f3a\"\r\n\r\n";
    s += "This is a multi-part message in MIME format.\r\n\r\n--=_mixed_7f3a\r\n";
    s += "Content-Type: multipart/alternative; boundary=\"=_alt_7f3a\"\r\n\r\n--=_alt_7f3a\r\n";
    s += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
    let text = "Hello Jane, thank you for your message. Your invoice for November is attached=\r\n\
                 and the amount will be taken on the first working day of the month. =C3=9C=\r\n";
    s += &text.repeat(30);
    s += "\r\n--=_alt_7f3a\r\nContent-Type: text/html; charset=utf-8\r\n\
          Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    let html = "<p>Hello Jane, thank you for your message.</p><p><img src=3D\"cid:logo.7f3a@a=\r\n\
                cme.example\" alt=3D\"Acme\"></p><p>Your invoice for November is attached.</p>=\r\n";
    s += &html.repeat(40);
    s += "\r\n--=_alt_7f3a--\r\n\r\n--=_mixed_7f3a\r\n";
    s += "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\
          Content-ID: <logo.7f3a@acme.example>\r\nContent-Disposition: inline; filename=\"logo.png\"\r\n\r\n";
    let b64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg\r\n";
    s += &b64.repeat(260);
    s += "--=_mixed_7f3a\r\nContent-Type: application/pdf; name=\"invoice-2026-11.pdf\"\r\n\
          Content-Transfer-Encoding: base64\r\n\
          Content-Disposition: attachment; filename=\"invoice-2026-11.pdf\"\r\n\r\n";
    let pdf = "JVBERi0xLjcKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZURlY29k\r\n";
    s += &pdf.repeat(200);
    s + "--=_mixed_7f3a--\r\n"
}

fn bench(c: &mut Criterion) {
    let msg = realistic();
    let mut g = c.benchmark_group("lint_realistic");
    g.throughput(Throughput::Bytes(msg.len() as u64));
    g.bench_function("multipart_50k", |b| {
        b.iter(|| lint(black_box(msg.as_bytes())))
    });
    g.finish();

    for (label, size) in [("1MB", MB), ("10MB", 10 * MB)] {
        let mut g = c.benchmark_group(format!("lint_hostile_{label}"));
        g.sample_size(10);
        for (name, shape) in SHAPES {
            let raw = shape(size);
            g.throughput(Throughput::Bytes(raw.len() as u64));
            g.bench_with_input(BenchmarkId::from_parameter(name), &raw, |b, raw| {
                b.iter(|| lint(black_box(raw.as_bytes())))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);

fn main() {
    if let Some(dir) = std::env::var_os("LINT_WRITE_SHAPES") {
        let dir = std::path::PathBuf::from(dir);
        let mb: usize = std::env::var("LINT_SHAPES_MB").map_or(10, |v| v.parse().unwrap());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("realistic.eml"), realistic()).unwrap();
        for (name, shape) in SHAPES {
            std::fs::write(dir.join(format!("{name}.eml")), shape(mb * MB)).unwrap();
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
