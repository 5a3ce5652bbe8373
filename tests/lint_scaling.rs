//! The lint's memory on hostile input, counted by this test binary's allocator: for each
//! shape at 1x and 10x, the peak of live heap while `lint` runs and what its report keeps must
//! stay within a constant times the input (plus a fixed allowance for the bounded report), so
//! memory grows linearly, never with the product of two sizes. No clock is read; the counts
//! are the same in debug and release builds. (The work, counted by `lint` itself, is checked
//! in `src/lint.rs`'s unit tests.)

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
};

use letterhead::lint::{lint, Report};

/// Counts the live heap of the current thread and its peak; each test runs `lint` on its own
/// thread, so tests running in parallel do not see each other's allocations.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is passed to `System` unchanged; the counters are plain thread-locals
// without destructors, so counting never allocates or re-enters the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The report for `raw`, the peak of live heap while it was made and what it keeps, both
/// over what was live before.
fn measured(raw: &[u8]) -> (Report, usize, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let report = lint(raw);
    let peak = PEAK.with(Cell::get) - base;
    let kept = LIVE.with(Cell::get) - base;
    (report, peak.max(0) as usize, kept.max(0) as usize)
}

/// What a report may keep whatever the input: at most 18 codes x 101 findings, each a bounded
/// excerpt, and 100 repaired part headers.
const REPORT: usize = 2 << 20;

/// Runs `shape` at 1x and 10x: the peak while linting stays within `per_octet` times the
/// input plus [`REPORT`], what the report keeps within the input plus [`REPORT`], each
/// finding holds a bounded excerpt, and there are at least `min_findings` of them.
fn assert_linear_memory(
    name: &str,
    per_octet: usize,
    min_findings: usize,
    shape: impl Fn(usize) -> String,
) {
    for scale in [1, 10] {
        let raw = shape(scale);
        let (report, peak, kept) = measured(raw.as_bytes());
        eprintln!(
            "{name} x{scale}: {} octets, peak {peak} ({:.2} a octet), report keeps {kept}, {} findings",
            raw.len(),
            peak as f64 / raw.len() as f64,
            report.findings().len()
        );
        let bound = per_octet * raw.len() + REPORT;
        assert!(
            peak <= bound,
            "{name} x{scale}: peak {peak} octets of heap for {} octets of input (bound {bound})",
            raw.len()
        );
        assert!(
            kept <= raw.len() + REPORT,
            "{name} x{scale}: the report keeps {kept} octets for {} octets of input",
            raw.len()
        );
        // Each finding holds an excerpt, never a whole name or value.
        let findings = report.findings();
        let held: usize = findings
            .iter()
            .map(|f| {
                f.header.as_ref().map_or(0, String::capacity)
                    + f.detail.capacity()
                    + f.part.as_ref().map_or(0, String::capacity)
            })
            .sum();
        assert!(
            held <= 1_200 * findings.len(),
            "{name} x{scale}: {} findings hold {held} octets",
            findings.len()
        );
        assert!(
            findings.len() >= min_findings,
            "{name} x{scale}: {} findings, expected at least {min_findings}",
            findings.len()
        );
    }
}

const TOP: &str = "From: a@example.com\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n";

/// A field name of 5k x `scale` octets, then 5k x `scale` continuation lines ending in `end`.
fn long_name(scale: usize, end: &str) -> String {
    let n = 5_000 * scale;
    format!(
        "From: a@example.com\r\n{}:{}\r\n\r\n",
        "N".repeat(n),
        format!(" x{end}").repeat(n)
    )
}

#[test]
fn a_long_name_with_many_bare_lf_continuations() {
    // Each line's finding once held its own copy of the name: 800 MB for 98 KB.
    assert_linear_memory("long name, LF", 1, 100, |s| long_name(s, "\n"));
}

#[test]
fn a_long_name_with_many_crlf_continuations() {
    assert_linear_memory("long name, CRLF", 1, 3, |s| long_name(s, "\r\n"));
}

#[test]
fn repeated_identifier_headers() {
    assert_linear_memory("repeated ids", 1, 100, |scale| {
        let n = 2_000 * scale;
        let mut s = "X-Field: value\r\n".repeat(n);
        for h in [
            "Message-ID",
            "In-Reply-To",
            "References",
            "Resent-Message-ID",
            "Original-Message-ID",
            "Content-ID",
        ] {
            s += &format!("{h}: <a@example.com>\r\n").repeat(n / 6);
        }
        s + "\r\n"
    });
}

#[test]
fn many_parts_with_findings() {
    assert_linear_memory("many parts", 1, 400, |scale| {
        let mut s = format!("{TOP}Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n");
        s += "Content-Type: multipart/related; boundary=\"i i\"\r\n\r\n";
        let long = "z".repeat(1_000);
        for _ in 0..1_000 * scale {
            s += &format!(
                "--i i\r\nContent-ID: =?utf-8?q?=3Ca=40b=3E?=\r\nContent-ID: <b@c>\r\nX: \r\r\n\r\n{long}\r\n"
            );
        }
        s + "--i i--\r\n--o--\r\n"
    });
}

#[test]
fn many_findings_of_each_code() {
    assert_linear_memory("many findings", 1, 300, |scale| {
        let n = 3_000 * scale;
        let mut s = String::from(TOP);
        s += &"X-\u{fc}: a\rb\r\n".repeat(n);
        s += "\r\n";
        s + &format!("{}\r\n", "w".repeat(999)).repeat(n / 10)
    });
}

#[test]
fn a_huge_identifier_header() {
    // An identifier header is parsed and written whole: a few copies of it are live at once.
    assert_linear_memory("huge References", 12, 3, |scale| {
        let mut s = format!("{TOP}References:");
        for i in 0..2_000 * scale {
            s += &format!(" <{i}.{}@host-{i}.example>\r\n", "p".repeat(i % 50));
        }
        s + &format!(
            "In-Reply-To: {}\r\n\r\n",
            "<x@y> a@b ".repeat(1_000 * scale)
        )
    });
}
