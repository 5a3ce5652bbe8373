//! A loop to profile under callgrind: builds and formats one message `PROFILE_ITERS` times.
//!
//! ```text
//! PROFILE_ITERS=2000 PROFILE_MSG=transactional PROFILE_CASE=letterhead \
//!     valgrind --tool=callgrind target/release/deps/profile_target-<hash>
//! ```
//!
//! `PROFILE_MSG` is a group name of `build_format` (`transactional`, `reply_20_refs`,
//! `multipart_inline_image`), `PROFILE_CASE` a case name (`lettre`, `letterhead`,
//! `lettre_generated_id`, `lettre_given_id`, `letterhead_given_id`). `PROFILE_MSG=references:N`
//! with `PROFILE_CASE` `parse`, `write_text` or `write_header` runs the policy alone on a
//! References of N ids (the linearity check). Without `PROFILE_ITERS`, as under `cargo bench`,
//! it does nothing. See BENCHMARKS.md.

mod common;

use std::hint::black_box;

use common::{Case, Inputs, Kind};

fn main() {
    let Some(iters) = std::env::var("PROFILE_ITERS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        println!("profile_target: set PROFILE_ITERS (and PROFILE_MSG, PROFILE_CASE) to run");
        return;
    };
    let msg = std::env::var("PROFILE_MSG").unwrap_or_else(|_| "transactional".into());
    let case = std::env::var("PROFILE_CASE").unwrap_or_else(|_| "letterhead".into());
    if let Some(n) = msg.strip_prefix("references:") {
        let n: usize = n.parse().expect("PROFILE_MSG=references:N");
        policy_loop(iters, n, &case);
        return;
    }
    let kind = Kind::from_name(&msg).unwrap_or_else(|| panic!("unknown PROFILE_MSG {msg:?}"));
    let case = Case::from_name(&case).unwrap_or_else(|| panic!("unknown PROFILE_CASE {case:?}"));
    let inp = Inputs::new();
    let mut total = 0usize;
    for _ in 0..iters {
        total += black_box(case.build_format(black_box(kind), black_box(&inp))).len();
    }
    println!(
        "{} {}: {iters} messages, {total} bytes",
        kind.name(),
        case.name()
    );
}

/// The policy alone on a References of `n` ids.
fn policy_loop(iters: usize, n: usize, case: &str) {
    use letterhead::{
        message::header::HeaderName,
        policy::{write_header, write_text},
        IdentifierPolicy, MsgIds,
    };
    let policy = IdentifierPolicy::new();
    let name = HeaderName::new_from_ascii_str("References");
    let raw = common::references(n);
    for _ in 0..iters {
        match case {
            "parse" => drop(black_box(MsgIds::parse(black_box(&raw)))),
            "write_text" => drop(black_box(write_text(&policy, &name, black_box(&raw)))),
            "write_header" => drop(black_box(write_header(&policy, &name, black_box(&raw)))),
            other => panic!("unknown PROFILE_CASE {other:?} for references:N"),
        }
    }
    println!("references:{n} {case}: {iters} rounds, {} bytes", raw.len());
}
