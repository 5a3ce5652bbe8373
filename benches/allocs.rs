//! Allocations per message, lettre vs letterhead, counted by a global allocator.
//!
//! Not a criterion benchmark: `cargo bench --bench allocs` prints a table (the numbers of
//! BENCHMARKS.md). Counts are exact and independent of machine load: every `alloc`,
//! `alloc_zeroed` and `realloc` call made while building, then while formatting, one message,
//! averaged over many messages after a warm-up (which fills letterhead's once-per-process
//! caches: default policy, domain lookups).

mod common;

use std::{
    alloc::{GlobalAlloc, Layout, System},
    hint::black_box,
    sync::atomic::{AtomicUsize, Ordering::Relaxed},
};

use common::{Case, Inputs, Kind};
use letterhead::{message::header::HeaderName, policy::write_text, IdentifierPolicy};

struct Counting;

static CALLS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size(), Relaxed);
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size(), Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size.saturating_sub(layout.size()), Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ROUNDS: usize = 2_000;

/// Allocation calls and bytes per round of `f`, after a warm-up.
fn per_round(mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..10 {
        f();
    }
    let (c0, b0) = (CALLS.load(Relaxed), BYTES.load(Relaxed));
    for _ in 0..ROUNDS {
        f();
    }
    let (c1, b1) = (CALLS.load(Relaxed), BYTES.load(Relaxed));
    (
        (c1 - c0) as f64 / ROUNDS as f64,
        (b1 - b0) as f64 / ROUNDS as f64,
    )
}

fn build_only(case: Case, kind: Kind, inp: &Inputs) {
    match case {
        Case::Lettre | Case::LettreGeneratedId | Case::LettreGivenId => {
            drop(black_box(common::lettre_message(case, kind, inp)))
        }
        Case::Letterhead | Case::LetterheadGivenId => {
            drop(black_box(common::letterhead_message(case, kind, inp)))
        }
    }
}

fn main() {
    let inp = Inputs::new();
    println!("allocations per message (calls to alloc/alloc_zeroed/realloc; bytes requested)");
    println!();
    println!("| message | case | build | build+format | bytes allocated | formatted size |");
    println!("|---|---|---:|---:|---:|---:|");
    for kind in Kind::ALL {
        for case in Case::ALL {
            let (build, _) = per_round(|| build_only(case, kind, &inp));
            let (total, bytes) = per_round(|| drop(black_box(case.build_format(kind, &inp))));
            let size = case.build_format(kind, &inp).len();
            println!(
                "| {} | {} | {build:.1} | {total:.1} | {bytes:.0} | {size} |",
                kind.name(),
                case.name()
            );
        }
    }

    println!();
    println!("| policy: References write_text | allocations | bytes allocated |");
    println!("|---|---:|---:|");
    let policy = IdentifierPolicy::new();
    let name = HeaderName::new_from_ascii_str("References");
    for n in [1, 5, 10, 20, 50, 100] {
        let raw = common::references(n);
        let (calls, bytes) = per_round(|| drop(black_box(write_text(&policy, &name, &raw))));
        println!("| {n} ids | {calls:.1} | {bytes:.0} |");
    }
}
