//! Arbitrary text through every msg-id parser, in both modes.
//!
//! `MsgId::parse_in`, `MsgIds::parse_in` and `ContentId::parse_in` in `Mode::Strict` and
//! `Mode::Compatible`, each for ASCII and SMTPUTF8 mail; `parse` and `parse_smtputf8` are
//! checked to be `parse_in(.., Mode::Strict, false / true)`.
//!
//! Never a panic; every accepted id can be written as it is (re-parses to itself in its own
//! mode and in the widest one, passes `policy::verify` on a line of its own; no control
//! character, no `=?`, no `<` or `>` inside, whitespace only inside a quoted id-left, at most
//! 997 octets); a strict id is `<left@right>` with both parts, `is_rfc5322()` is exactly
//! "strict mode takes it as written"; the parsers agree with each other: what ASCII mode
//! accepts SMTPUTF8 mode accepts unchanged, what Strict accepts Compatible accepts
//! identically, one id = a one-id list, every msg-id is a Content-ID. See FUZZING.md.
#![no_main]

use letterhead::{
    msgid::{Mode, MsgIdStr},
    policy::verify,
    ContentId, Error, MsgId, MsgIds,
};
use libfuzzer_sys::fuzz_target;

const MODES: [Mode; 2] = [Mode::Strict, Mode::Compatible];

/// What one (mode, smtputf8) pair of parsers made of the input.
struct Parsed {
    mode: Mode,
    smtputf8: bool,
    one: Result<MsgId, Error>,
    list: Result<MsgIds, Error>,
    cid: Result<ContentId, Error>,
}

fuzz_target!(|data: &[u8]| {
    // Invalid UTF-8 becomes U+FFFD, so byte-level mutations still reach the parser.
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();

    let mut all = Vec::with_capacity(4);
    for mode in MODES {
        for smtputf8 in [false, true] {
            all.push(Parsed {
                mode,
                smtputf8,
                one: MsgId::parse_in(s, mode, smtputf8),
                list: MsgIds::parse_in(s, mode, smtputf8),
                cid: ContentId::parse_in(s, mode, smtputf8),
            });
        }
    }
    let get = |mode: Mode, smtputf8: bool| {
        all.iter()
            .find(|p| p.mode == mode && p.smtputf8 == smtputf8)
            .unwrap()
    };

    // The strict shorthands are parse_in in Mode::Strict.
    let strict = get(Mode::Strict, false);
    let strict_utf8 = get(Mode::Strict, true);
    same(s, "MsgId::parse", &MsgId::parse(s), &strict.one);
    same(
        s,
        "MsgId::parse_smtputf8",
        &MsgId::parse_smtputf8(s),
        &strict_utf8.one,
    );
    same(s, "MsgIds::parse", &MsgIds::parse(s), &strict.list);
    same(
        s,
        "MsgIds::parse_smtputf8",
        &MsgIds::parse_smtputf8(s),
        &strict_utf8.list,
    );
    same(s, "ContentId::parse", &ContentId::parse(s), &strict.cid);
    same(
        s,
        "ContentId::parse_smtputf8",
        &ContentId::parse_smtputf8(s),
        &strict_utf8.cid,
    );

    for p in &all {
        let ctx = format!("{s:?} ({:?}, smtputf8 {})", p.mode, p.smtputf8);
        match &p.one {
            Ok(id) => check_id(&ctx, id, p.mode, p.smtputf8),
            Err(e) => check_error(&ctx, e, "msg-id: "),
        }
        match &p.list {
            Ok(ids) => check_ids(&ctx, ids, p.mode, p.smtputf8),
            Err(e) => check_error(&ctx, e, "msg-id: "),
        }
        match &p.cid {
            Ok(c) => check_content_id(&ctx, c, p.mode, p.smtputf8),
            Err(e) => check_error(&ctx, e, "Content-ID: "),
        }

        // Within one mode the parsers agree.
        if let Ok(id) = &p.one {
            let ids = p
                .list
                .as_ref()
                .unwrap_or_else(|e| panic!("{ctx}: MsgId accepted {id:?}, MsgIds refused: {e}"));
            assert!(
                ids.len() == 1 && ids.first() == id,
                "{ctx}: one {id:?} vs list {ids:?}"
            );
            // Every msg-id is a Content-ID, written the same.
            match &p.cid {
                Ok(c) => {
                    assert_eq!(c.as_str(), id.as_str(), "{ctx}: ContentId vs MsgId");
                    assert_eq!(c.as_msg_id(), id, "{ctx}: ContentId::as_msg_id");
                }
                Err(e) => panic!("{ctx}: MsgId accepted {id:?}, ContentId refused: {e}"),
            }
        }
        if let Ok(ids) = &p.list {
            // (A one-id list may still be two ids before repeats are dropped, which a
            // single-id header refuses.)
            if ids.len() > 1 {
                assert!(p.one.is_err(), "{ctx}: {} ids read as one", ids.len());
            }
        }
    }

    for mode in MODES {
        // What ASCII mode accepts, SMTPUTF8 mode accepts unchanged.
        let (ascii, utf8) = (get(mode, false), get(mode, true));
        let ctx = format!("{s:?} ({mode:?})");
        subset(&ctx, "MsgId, ASCII vs SMTPUTF8", &ascii.one, &utf8.one);
        subset(&ctx, "MsgIds, ASCII vs SMTPUTF8", &ascii.list, &utf8.list);
        subset(&ctx, "ContentId, ASCII vs SMTPUTF8", &ascii.cid, &utf8.cid);
    }
    for smtputf8 in [false, true] {
        // What Strict accepts, Compatible accepts identically.
        let (st, co) = (get(Mode::Strict, smtputf8), get(Mode::Compatible, smtputf8));
        let ctx = format!("{s:?} (smtputf8 {smtputf8})");
        subset(&ctx, "MsgId, Strict vs Compatible", &st.one, &co.one);
        subset(&ctx, "MsgIds, Strict vs Compatible", &st.list, &co.list);
        subset(&ctx, "ContentId, Strict vs Compatible", &st.cid, &co.cid);
        if let Ok(id) = &st.one {
            assert!(
                id.is_rfc5322(),
                "{ctx}: strict-accepted {id:?} is not is_rfc5322()"
            );
        }
        if let Ok(ids) = &st.list {
            for id in ids {
                assert!(
                    id.is_rfc5322(),
                    "{ctx}: strict-accepted {id:?} is not is_rfc5322()"
                );
            }
        }
    }
});

/// The shorthand and `parse_in` give the same result.
fn same<T: PartialEq + std::fmt::Debug>(
    s: &str,
    what: &str,
    a: &Result<T, Error>,
    b: &Result<T, Error>,
) {
    match (a, b) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{s:?}: {what} differs from parse_in"),
        (Err(a), Err(b)) => assert_eq!(
            a.to_string(),
            b.to_string(),
            "{s:?}: {what} fails otherwise than parse_in"
        ),
        _ => panic!("{s:?}: {what} gives {a:?}, parse_in {b:?}"),
    }
}

/// What the narrower parser accepts, the wider accepts and reads the same.
fn subset<T: PartialEq + std::fmt::Debug>(
    ctx: &str,
    what: &str,
    narrow: &Result<T, Error>,
    wide: &Result<T, Error>,
) {
    if let Ok(n) = narrow {
        match wide {
            Ok(w) => assert_eq!(n, w, "{ctx}: {what}: read differently"),
            Err(e) => {
                panic!("{ctx}: {what}: {n:?} accepted by the first, refused by the second: {e}")
            }
        }
    }
}

/// Whitespace in `text` only as a space inside a quoted string (a quoted id-left of
/// compatible mode), every quoted string closed; a `"` inside a `[...]` literal is no quote.
fn whitespace_only_quoted(ctx: &str, text: &str) {
    let (mut quoted, mut literal) = (false, false);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if literal {
            assert!(
                !c.is_whitespace(),
                "{ctx} -> {text:?}: whitespace {c:?} in a literal"
            );
            literal = c != ']';
            continue;
        }
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                let next = chars.next();
                assert!(
                    next.is_some_and(|n| !n.is_whitespace() || n == ' '),
                    "{ctx} -> {text:?}: quoted-pair of {next:?}"
                );
            }
            '[' if !quoted => literal = true,
            ' ' if quoted => {}
            c if c.is_whitespace() => panic!("{ctx} -> {text:?}: whitespace {c:?}"),
            _ => {}
        }
    }
    assert!(!quoted, "{ctx} -> {text:?}: unclosed quoted string");
}

/// Checks what holds for every id as written, msg-id or Content-ID.
fn check_written(ctx: &str, text: &str, smtputf8: bool) {
    assert!(
        text.len() > 2 && text.starts_with('<') && text.ends_with('>'),
        "{ctx} -> {text:?}: not <...>"
    );
    assert!(
        text.len() <= MsgId::MAX_LEN,
        "{ctx} -> {text:?}: {} octets",
        text.len()
    );
    let inner = &text[1..text.len() - 1];
    assert!(
        !inner.contains(['<', '>']),
        "{ctx} -> {text:?}: '<' or '>' inside the brackets"
    );
    assert!(!text.contains("=?"), "{ctx} -> {text:?}: holds =?");
    assert!(
        !text.chars().any(|c| c.is_control() || c == '\u{feff}'),
        "{ctx} -> {text:?}: control character"
    );
    whitespace_only_quoted(ctx, text);
    if !smtputf8 {
        assert!(
            text.is_ascii(),
            "{ctx} -> {text:?}: non-ASCII outside SMTPUTF8"
        );
    }
    // Writable as it is: alone on a continuation line, the way the policy writes the longest.
    if let Err(e) = verify("Message-ID", &format!("\r\n {text}"), smtputf8) {
        panic!("{ctx} -> {text:?}: accepted, but verify refuses it: {e}");
    }
}

fn check_id(ctx: &str, id: &MsgIdStr, mode: Mode, smtputf8: bool) {
    let text = id.as_str();
    check_written(ctx, text, smtputf8);
    assert_eq!(id.len(), text.len());
    assert_eq!(id.to_string(), text);
    assert_eq!(String::from(id.to_owned()), text);
    let (left, right) = (id.left(), id.right());
    let with_at = format!("<{left}@{right}>");
    assert!(
        text == with_at || (right.is_empty() && text == format!("<{left}>")),
        "{ctx} -> {text:?}: parts {left:?} {right:?}"
    );
    // id-right starts after the last '@' outside a `[...]` literal (compatible mode takes
    // `<a@b@x>` with id-left `a@b`, and a literal such as `[IPv6:1@2]` as it is).
    let mut literal = false;
    for c in right.chars() {
        match c {
            '[' => literal = true,
            ']' => literal = false,
            '@' => assert!(literal, "{ctx} -> {text:?}: '@' in id-right {right:?}"),
            _ => {}
        }
    }
    assert!(right.is_ascii(), "{ctx} -> {text:?}: non-ASCII id-right");
    if mode == Mode::Strict {
        assert!(
            !left.is_empty() && !right.is_empty() && text == with_at,
            "{ctx} -> {text:?}: strict id without both parts"
        );
        // RFC 5322 3.6.4 (RFC 6532 in SMTPUTF8 mode), checked here on its own: id-left a
        // dot-atom-text, id-right a dot-atom-text or a literal of letters, digits and `.:-_`.
        assert!(is_dot_atom_text(left), "{ctx} -> {text:?}: strict id-left");
        let literal = right
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .is_some_and(|r| {
                r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '_'))
            });
        assert!(
            literal || is_dot_atom_text(right),
            "{ctx} -> {text:?}: strict id-right"
        );
    }
    // Written form re-parses to the same id: in its own mode, and in the widest rules
    // (Compatible, SMTPUTF8), as Message::message_id reads a written one.
    for (m, u) in [(mode, smtputf8), (Mode::Compatible, true)] {
        match MsgId::parse_in(text, m, u) {
            Ok(again) => assert_eq!(
                &again, id,
                "{ctx} -> {text:?}: re-parse ({m:?}, {u}) differs"
            ),
            Err(e) => panic!("{ctx} -> {text:?} does not re-parse ({m:?}, {u}): {e}"),
        }
    }
    // is_rfc5322: exactly what Strict takes as written.
    let strict = MsgId::parse_in(text, Mode::Strict, true);
    assert_eq!(
        id.is_rfc5322(),
        strict.as_ref().is_ok_and(|again| again == id),
        "{ctx} -> {text:?}: is_rfc5322() vs strict re-parse {strict:?}"
    );
}

fn check_ids(ctx: &str, ids: &MsgIds, mode: Mode, smtputf8: bool) {
    assert!(ids.len() >= 1);
    assert_eq!(ids.iter().len(), ids.len());
    assert_eq!(ids.iter().count(), ids.len());
    assert_eq!(ids.iter().rev().count(), ids.len());
    assert_eq!(ids.first(), &ids[0]);
    assert_eq!(ids.last(), &ids[ids.len() - 1]);
    assert!(ids.get(ids.len()).is_none());
    for (i, id) in ids.iter().enumerate() {
        check_id(ctx, id, mode, smtputf8);
        assert_eq!(ids.get(i), Some(id));
        assert!(
            !ids.iter().take(i).any(|x| x == id),
            "{ctx}: repeat kept: {id:?}"
        );
        assert!(ids.contains(id));
    }
    let text = ids.to_string();
    match MsgIds::parse_in(&text, mode, smtputf8) {
        Ok(again) => assert_eq!(&again, ids, "{ctx} -> {text:?}: list re-parse differs"),
        Err(e) => panic!("{ctx} -> {text:?}: list does not re-parse: {e}"),
    }
    // Pushing an id the list holds changes nothing.
    let mut more = ids.clone();
    assert!(!more.push(ids.last()));
    assert_eq!(&more, ids);
    // So does joining it to itself; joined to its own reverse, it keeps its own order.
    more.extend(ids);
    assert_eq!(&more, ids);
    let mut reversed = MsgIds::from(ids.last());
    for id in ids.iter().rev().skip(1) {
        assert!(reversed.push(id), "{ctx}: {id:?} taken for a repeat");
    }
    reversed.extend(ids);
    assert!(
        reversed.iter().eq(ids.iter().rev()),
        "{ctx}: extend reorders"
    );
}

fn check_content_id(ctx: &str, c: &ContentId, mode: Mode, smtputf8: bool) {
    let text = c.as_str();
    check_written(ctx, text, smtputf8);
    let id = c.as_msg_id();
    assert_eq!(id.as_str(), text);
    let inner = &text[1..text.len() - 1];
    assert_eq!(
        c.to_string(),
        inner,
        "{ctx}: Display is the value without brackets"
    );
    if mode == Mode::Strict && inner.contains('@') {
        assert!(
            id.is_rfc5322(),
            "{ctx} -> {text:?}: strict Content-ID msg-id"
        );
    }
    if mode == Mode::Strict && !inner.contains('@') {
        // A strict token: id-left characters only.
        assert!(
            inner.chars().all(|c| c == '.' || is_atext(c)),
            "{ctx} -> {text:?}: strict token"
        );
    }
    // The written form, and Display as Attachment::new_inline writes it (`<{cid}>`), parse
    // back to it; a strict one also from its bare Display.
    let wrapped = format!("<{c}>");
    let mut forms = vec![text, wrapped.as_str()];
    if mode == Mode::Strict {
        forms.push(inner);
    }
    for again in forms {
        match ContentId::parse_in(again, mode, smtputf8) {
            Ok(back) => assert_eq!(&back, c, "{ctx} -> {again:?}: re-parse differs"),
            Err(e) => panic!("{ctx} -> {text:?}: {again:?} does not re-parse: {e}"),
        }
    }
    let url = c.url();
    assert!(url.starts_with("cid:"), "{ctx}: {url:?}");
    assert!(
        url.bytes().all(|b| b.is_ascii_graphic()),
        "{ctx}: url {url:?}"
    );
    assert!(
        !url[4..].contains(['<', '>', '"', '(', ')', '[', ']', '/', '?', '#', '\\', ' ']),
        "{ctx}: url {url:?}"
    );
    // Percent-decoded, the url is the Content-ID without brackets.
    assert_eq!(
        percent_decode(ctx, &url[4..]),
        inner.as_bytes(),
        "{ctx}: url {url:?} does not decode to {inner:?}"
    );
}

fn percent_decode(ctx: &str, s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .unwrap_or_else(|| panic!("{ctx}: url {s:?}: '%' without two hex digits"));
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// RFC 5322 atext, and any non-ASCII character (RFC 6532 extends atext with UTF-8).
fn is_atext(c: char) -> bool {
    !c.is_ascii() || c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn is_dot_atom_text(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|l| !l.is_empty() && l.chars().all(is_atext))
}

fn check_error(ctx: &str, e: &Error, prefix: &str) {
    let shown = e.to_string();
    assert!(
        !shown.contains(['\r', '\n']),
        "{ctx}: error message holds a line break: {shown:?}"
    );
    assert!(
        matches!(e, Error::InvalidId { .. }),
        "{ctx}: unexpected error variant {e:?}"
    );
    assert!(
        shown.starts_with(prefix),
        "{ctx}: error {shown:?} does not start with {prefix:?}"
    );
}
