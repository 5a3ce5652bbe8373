//! Threading a reply from a parent's raw headers: `reply::Parent::from_headers`, as an IMAP
//! client hands them over (folded, commented, RFC 2047 encoded by lettre 0.11).
//!
//! Input: `[limit, flags, message_id 0xFF references 0xFF in_reply_to]`; flags bit 0 passes
//! References, bit 1 In-Reply-To. A parent's ids are read in `Mode::Compatible` (ASCII), so
//! the oracle reads them that way too.
//!
//! Never a panic; the parent's Message-ID is what `MsgId::parse_in(.., Compatible, false)`
//! makes of a plain value; an accepted parent's References for a reply ends with the parent's
//! Message-ID, starts with the root, holds at most the limit, no repeats, only ids that
//! re-parse; a reply built from it (with `in_reply_to`/`references`, and with `replying_to`)
//! has exactly those headers, and reads back through `Parent::from_message` as that thread
//! plus its own Message-ID; a reply under `IdentifierPolicy::strict()` builds exactly when
//! every id is `is_rfc5322()`. An error is one line naming the header
//! (`parent Message-ID: ...`). See FUZZING.md.
#![no_main]

use std::sync::Arc;

use letterhead::{
    msgid::Mode,
    msgid::MsgIdStr,
    reply::{Parent, ThreadLimit},
    Error, IdentifierPolicy, Message, MsgId, MsgIds,
};
use libfuzzer_sys::fuzz_target;

/// How a parent's ids are read.
fn parse_one(s: &str) -> Option<MsgId> {
    MsgId::parse_in(s, Mode::Compatible, false).ok()
}

fn parse_list(s: &str) -> Option<MsgIds> {
    MsgIds::parse_in(s, Mode::Compatible, false).ok()
}

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
        parse_one(mid.as_str()).as_deref(),
        Some(mid),
        "{mid:?} does not re-parse"
    );
    assert!(
        mid.as_str().is_ascii() && !mid.as_str().contains("=?"),
        "{mid:?}"
    );
    // A plain (not encoded) Message-ID is read exactly as compatible mode reads it.
    if !message_id.contains("=?") {
        assert_eq!(
            parse_one(message_id).as_deref(),
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
        assert!(
            refs.iter().skip(1).eq(all.iter().skip(all.len() - (n - 1))),
            "not the most recent: {refs:?} of {all:?}"
        );
    }
    // Every id of the whole thread reads back from its written form, not only the kept ones
    // (`replying_to` keeps up to 20).
    for id in &all {
        assert_eq!(
            parse_one(id.as_str()).as_deref(),
            Some(id),
            "{id:?} does not re-parse"
        );
    }
    for (i, id) in refs.iter().enumerate() {
        assert!(!refs.iter().take(i).any(|x| x == id), "repeat {id:?}");
        assert_eq!(
            parse_one(id.as_str()).as_deref(),
            Some(id),
            "{id:?} does not re-parse"
        );
    }
    // Without References, In-Reply-To is used only when it holds exactly one id.
    if references.is_none() {
        let single = in_reply_to
            .filter(|v| !v.contains("=?"))
            .and_then(parse_list)
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
    let builder = || {
        Message::builder()
            .from("a@example.com".parse().unwrap())
            .to("b@example.com".parse().unwrap())
    };
    let reply = builder()
        .in_reply_to(mid.to_string())
        .references(refs.to_string())
        .body(String::from("re"));
    let m = match reply {
        Ok(m) => m,
        Err(e) => panic!("a reply to {mid:?} with References {refs} cannot be built: {e}"),
    };
    let h = m.headers();
    assert_eq!(h.get_raw("In-Reply-To"), Some(mid.as_str()));
    let written = h.get_raw("References").expect("no References");
    assert_eq!(
        parse_list(written).as_ref(),
        Some(&refs),
        "References changed"
    );
    // Read back as a parent: this thread, then the reply's own Message-ID.
    match Parent::from_message(&m) {
        Ok(back) => {
            let own = m.message_id().expect("a built reply has a Message-ID");
            assert_eq!(back.message_id(), &*own);
            let thread = back.references(ThreadLimit::new(usize::MAX));
            let mut want: Vec<&MsgIdStr> = refs.iter().collect();
            want.push(&own);
            assert_eq!(thread.iter().collect::<Vec<_>>(), want, "thread read back");
        }
        Err(e) => panic!("the reply to {mid:?} does not read back as a parent: {e}"),
    }

    // replying_to: the same headers, trimmed to the default limit.
    let default_refs = parent.references(ThreadLimit::default());
    match builder().replying_to(&parent).body(String::from("re")) {
        Ok(m) => {
            let h = m.headers();
            assert_eq!(h.get_raw("In-Reply-To"), Some(mid.as_str()));
            let written = h.get_raw("References").expect("no References");
            assert_eq!(
                parse_list(written).as_ref(),
                Some(&default_refs),
                "replying_to: References"
            );
        }
        Err(e) => panic!("replying_to {mid:?} cannot be built: {e}"),
    }

    // Under a strict policy the reply builds exactly when every id is an RFC 5322 msg-id.
    let conforming = mid.is_rfc5322() && refs.iter().all(MsgIdStr::is_rfc5322);
    let strict = builder()
        .policy(Arc::new(IdentifierPolicy::strict()))
        .in_reply_to(mid.to_string())
        .references(refs.to_string())
        .body(String::from("re"));
    match strict {
        Ok(m) => {
            assert!(
                conforming,
                "strict policy built a reply with non-RFC 5322 ids {refs}"
            );
            let h = m.headers();
            assert_eq!(h.get_raw("In-Reply-To"), Some(mid.as_str()));
            assert_eq!(
                h.get_raw("References")
                    .and_then(|w| MsgIds::parse(w).ok())
                    .as_ref(),
                Some(&refs),
                "strict: References changed"
            );
        }
        Err(e) => {
            assert!(
                !conforming,
                "strict policy refused RFC 5322 ids {refs}: {e}"
            );
            let shown = e.to_string();
            assert!(
                shown.starts_with("In-Reply-To: ") || shown.starts_with("References: "),
                "strict refusal names no header: {shown:?}"
            );
        }
    }
});
