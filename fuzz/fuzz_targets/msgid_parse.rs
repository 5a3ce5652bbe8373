//! Arbitrary text through every msg-id parser.
//!
//! Never a panic; every accepted id is valid as written (re-parses to itself, no whitespace,
//! control character or `=?`, at most 997 octets, `<left@right>`), and the four msg-id parsers
//! and `ContentId::parse` agree with each other. See FUZZING.md.
#![no_main]

use letterhead::{ContentId, MsgId, MsgIds};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Invalid UTF-8 becomes U+FFFD, so byte-level mutations still reach the parser.
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();

    let one = MsgId::parse(s);
    let one_utf8 = MsgId::parse_smtputf8(s);
    let list = MsgIds::parse(s);
    let list_utf8 = MsgIds::parse_smtputf8(s);

    for (smtputf8, r) in [(false, &one), (true, &one_utf8)] {
        match r {
            Ok(id) => check_id(s, id, smtputf8),
            Err(e) => check_error(s, e),
        }
    }
    for (smtputf8, r) in [(false, &list), (true, &list_utf8)] {
        match r {
            Ok(ids) => check_ids(s, ids, smtputf8),
            Err(e) => check_error(s, e),
        }
    }

    let cid = ContentId::parse(s);
    match &cid {
        Ok(c) => check_content_id(s, c),
        Err(e) => check_error(s, e),
    }
    if let Ok(id) = &one {
        // Every msg-id is a Content-ID.
        match &cid {
            Ok(c) => assert_eq!(c.as_str(), id.as_str(), "{s:?}: ContentId vs MsgId"),
            Err(e) => panic!("{s:?}: MsgId::parse accepted, ContentId::parse refused: {e}"),
        }
    }

    // The parsers agree with each other.
    if let Ok(id) = &one {
        // What ASCII mode accepts, SMTPUTF8 mode accepts unchanged.
        assert_eq!(
            one_utf8.as_ref().ok(),
            Some(id),
            "{s:?}: parse vs parse_smtputf8"
        );
        let ids = list
            .as_ref()
            .expect("MsgId::parse accepted, MsgIds::parse refused");
        assert_eq!(
            ids.as_slice(),
            std::slice::from_ref(id),
            "{s:?}: one vs list"
        );
    }
    if let Ok(id) = &one_utf8 {
        let ids = list_utf8
            .as_ref()
            .expect("MsgId::parse_smtputf8 accepted, MsgIds::parse_smtputf8 refused");
        assert_eq!(
            ids.as_slice(),
            std::slice::from_ref(id),
            "{s:?}: one vs list (utf8)"
        );
    }
    if let Ok(ids) = &list {
        assert_eq!(
            list_utf8.as_ref().ok(),
            Some(ids),
            "{s:?}: list vs list (utf8)"
        );
        if ids.len() == 1 {
            assert_eq!(
                one.as_ref().ok(),
                Some(ids.first()),
                "{s:?}: single-id list"
            );
        }
    }
    if let Ok(ids) = &list_utf8 {
        if ids.len() == 1 {
            assert_eq!(
                one_utf8.as_ref().ok(),
                Some(ids.first()),
                "{s:?}: single-id list (utf8)"
            );
        }
    }
});

fn check_id(input: &str, id: &MsgId, smtputf8: bool) {
    let text = id.as_str();
    assert!(
        text.len() <= MsgId::MAX_LEN,
        "{input:?} -> {text:?}: {} octets",
        text.len()
    );
    assert_eq!(id.len(), text.len());
    assert_eq!(
        text,
        format!("<{}@{}>", id.left(), id.right()),
        "{input:?}: parts"
    );
    assert!(
        !id.left().is_empty() && !id.right().is_empty(),
        "{input:?} -> {text:?}"
    );
    assert!(
        !id.left().contains('@') && !id.right().contains('@'),
        "{input:?} -> {text:?}"
    );
    assert!(!text.contains("=?"), "{input:?} -> {text:?}: holds =?");
    assert!(
        !text.chars().any(|c| c.is_whitespace() || c.is_control()),
        "{input:?} -> {text:?}: whitespace or control character"
    );
    assert!(
        id.right().is_ascii(),
        "{input:?} -> {text:?}: non-ASCII id-right"
    );
    if !smtputf8 {
        assert!(
            text.is_ascii(),
            "{input:?} -> {text:?}: non-ASCII outside SMTPUTF8"
        );
    }
    assert_eq!(id.to_string(), text);
    // Written form re-parses to the same id, in both modes (SMTPUTF8 is a superset).
    let again = if smtputf8 {
        MsgId::parse_smtputf8(text)
    } else {
        MsgId::parse(text)
    };
    match again {
        Ok(again) => assert_eq!(&again, id, "{input:?} -> {text:?}: re-parse differs"),
        Err(e) => panic!("{input:?} -> {text:?} does not re-parse: {e}"),
    }
    match MsgId::parse_smtputf8(text) {
        Ok(again) => assert_eq!(&again, id, "{input:?} -> {text:?}: smtputf8 re-parse"),
        Err(e) => panic!("{input:?} -> {text:?} does not re-parse in SMTPUTF8 mode: {e}"),
    }
}

fn check_ids(input: &str, ids: &MsgIds, smtputf8: bool) {
    assert!(ids.len() >= 1);
    assert_eq!(ids.len(), ids.as_slice().len());
    assert_eq!(ids.iter().count(), ids.len());
    assert_eq!(ids.first(), &ids.as_slice()[0]);
    assert_eq!(ids.last(), &ids.as_slice()[ids.len() - 1]);
    for (i, id) in ids.iter().enumerate() {
        check_id(input, id, smtputf8);
        assert!(
            !ids.as_slice()[..i].contains(id),
            "{input:?}: repeat kept: {id:?}"
        );
    }
    let text = ids.to_string();
    let again = if smtputf8 {
        MsgIds::parse_smtputf8(&text)
    } else {
        MsgIds::parse(&text)
    };
    match again {
        Ok(again) => assert_eq!(&again, ids, "{input:?} -> {text:?}: list re-parse differs"),
        Err(e) => panic!("{input:?} -> {text:?}: list does not re-parse: {e}"),
    }
}

fn check_content_id(input: &str, c: &ContentId) {
    let text = c.as_str();
    assert!(
        text.starts_with('<') && text.ends_with('>') && text.len() > 2,
        "{input:?} -> {text:?}"
    );
    assert!(
        text.len() <= MsgId::MAX_LEN,
        "{input:?} -> {text:?}: {} octets",
        text.len()
    );
    assert!(
        text.is_ascii(),
        "{input:?} -> {text:?}: non-ASCII Content-ID"
    );
    assert!(!text.contains("=?"), "{input:?} -> {text:?}: holds =?");
    assert!(
        !text.chars().any(|c| c.is_whitespace() || c.is_control()),
        "{input:?} -> {text:?}: whitespace or control character"
    );
    let inner = &text[1..text.len() - 1];
    assert_eq!(
        c.to_string(),
        inner,
        "{input:?}: Display is the value without brackets"
    );
    assert!(
        !inner.contains(['<', '>']) || inner.contains('@'),
        "{input:?} -> {text:?}"
    );
    // Written form and Display (what Attachment::new_inline takes) both parse back to it.
    for again in [text, inner] {
        match ContentId::parse(again) {
            Ok(back) => assert_eq!(&back, c, "{input:?} -> {again:?}: re-parse differs"),
            Err(e) => panic!("{input:?} -> {text:?}: {again:?} does not re-parse: {e}"),
        }
    }
    let url = c.url();
    assert!(url.starts_with("cid:"), "{input:?}: {url:?}");
    assert!(
        url.bytes().all(|b| b.is_ascii_graphic()),
        "{input:?}: url {url:?}"
    );
    assert!(
        !url[4..].contains(['<', '>', '"', '(', ')', '[', ']', '/', '?', '#']),
        "{input:?}: url {url:?}"
    );
}

fn check_error(input: &str, e: &letterhead::Error) {
    let shown = e.to_string();
    assert!(
        !shown.contains(['\r', '\n']),
        "{input:?}: error message holds a line break: {shown:?}"
    );
    assert!(
        matches!(e, letterhead::Error::InvalidId { .. }),
        "{input:?}: unexpected error variant {e:?}"
    );
}
