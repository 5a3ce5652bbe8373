//! Threading a reply from a parent's raw headers: `reply::Parent::from_headers`, as an IMAP
//! client hands them over (folded, commented, RFC 2047 encoded by lettre 0.11).
//!
//! Input: `[limit, flags, message_id 0xFF references 0xFF in_reply_to]`; flags bit 0 passes
//! References, bit 1 In-Reply-To. Never a panic; an accepted parent's References for a reply
//! ends with the parent's Message-ID, starts with the root, holds at most the limit, no
//! repeats, only ids that re-parse; a reply built from it has exactly those headers. An error
//! is one line naming the header (`parent Message-ID: ...`). See FUZZING.md.
#![no_main]

use letterhead::{
    reply::{Parent, ThreadLimit},
    Error, Message, MsgId, MsgIds,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (limit, flags) = (data[0] as usize, data[1]);
    let fields: Vec<String> = data[2..]
        .split(|&b| b == 0xFF)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let field = |i: usize| fields.get(i).map(String::as_str).unwrap_or("");
    let message_id = field(0);
    let references = (flags & 1 != 0).then(|| field(1));
    let in_reply_to = (flags & 2 != 0).then(|| field(2));

    let parent = match Parent::from_headers(message_id, references, in_reply_to) {
        Ok(p) => p,
        Err(e) => {
            let shown = e.to_string();
            assert!(
                !shown.contains(['\r', '\n']),
                "error holds a line break: {shown:?}"
            );
            assert!(
                ["Message-ID: ", "References: ", "In-Reply-To: "]
                    .iter()
                    .any(|h| shown.trim_start_matches("parent ").starts_with(h)),
                "error names no header: {shown:?}"
            );
            assert!(
                matches!(e, Error::InvalidId { .. } | Error::Policy { .. }),
                "unexpected error {e:?}"
            );
            return;
        }
    };
    let mid = parent.message_id();
    assert_eq!(
        MsgId::parse(mid.as_str()).ok().as_ref(),
        Some(mid),
        "{mid:?} does not re-parse"
    );
    assert!(
        mid.as_str().is_ascii() && !mid.as_str().contains("=?"),
        "{mid:?}"
    );
    // A plain (not encoded) Message-ID is read exactly as MsgId::parse reads it.
    if !message_id.contains("=?") {
        assert_eq!(
            MsgId::parse(message_id).ok().as_ref(),
            Some(mid),
            "{message_id:?}"
        );
    }

    let limit = ThreadLimit::new(limit);
    assert!(limit.max_ids() >= 2);
    let refs = parent.references(limit);
    let all = parent.references(ThreadLimit::new(usize::MAX));
    assert!(
        refs.len() >= 1 && refs.len() <= limit.max_ids(),
        "{} ids, limit {limit:?}",
        refs.len()
    );
    assert_eq!(refs.last(), mid, "References does not end with the parent");
    assert_eq!(refs.first(), all.first(), "the root is not kept");
    // The kept ids are the root and the most recent ones, in order.
    let n = refs.len();
    if n > 1 {
        assert_eq!(
            &refs.as_slice()[1..],
            &all.as_slice()[all.len() - (n - 1)..],
            "not the most recent"
        );
    }
    for (i, id) in refs.iter().enumerate() {
        assert!(!refs.as_slice()[..i].contains(id), "repeat {id:?}");
        assert_eq!(
            MsgId::parse(id.as_str()).ok().as_ref(),
            Some(id),
            "{id:?} does not re-parse"
        );
    }
    // Without References, In-Reply-To is used only when it holds exactly one id.
    if references.is_none() {
        let single = in_reply_to
            .filter(|v| !v.contains("=?"))
            .and_then(|v| MsgIds::parse(v).ok())
            .filter(|ids| ids.len() == 1 && ids.first() != mid);
        if in_reply_to.is_some_and(|v| !v.contains("=?")) {
            assert_eq!(
                all.len(),
                1 + single.iter().count(),
                "In-Reply-To use: {all:?}"
            );
        }
    }

    // A reply built from it carries exactly these ids.
    let reply = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .in_reply_to(mid.to_string())
        .references(refs.to_string())
        .body(String::from("re"));
    match reply {
        Ok(m) => {
            let h = m.headers();
            assert_eq!(h.get_raw("In-Reply-To"), Some(mid.as_str()));
            let written = h.get_raw("References").expect("no References");
            assert_eq!(
                MsgIds::parse(written).ok().as_ref(),
                Some(&refs),
                "References changed"
            );
        }
        Err(e) => panic!("a reply to {mid:?} with References {refs} cannot be built: {e}"),
    }
});
