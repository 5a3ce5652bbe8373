//! An independent parser, Python's `email` package with `policy.default`, reads back the same
//! ids that letterhead wrote.

use std::{path::PathBuf, process::Command};

use letterhead::{message::header, Message};

const HEROKU_ID: &str = "<154810422972.4.16142961424846318784@aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com>";

/// (file index, header name, value as Python reads it, Python's defects)
type Read = Vec<(usize, String, String, String)>;

fn read_with_python(messages: &[&Message]) -> Read {
    let dir = std::env::temp_dir().join(format!("letterhead-pyread-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<PathBuf> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let p = dir.join(format!("{i}.eml"));
            std::fs::write(&p, m.formatted()).unwrap();
            p
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/read_ids.py");
    let out = Command::new("python3")
        .arg(script)
        .args(&paths)
        .output()
        .expect("python3 is needed for this test; scripts/test installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "{l:?}");
            (f[0].parse().unwrap(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect()
}

fn get<'a>(read: &'a Read, index: usize, name: &str) -> &'a str {
    &read
        .iter()
        .find(|(i, n, ..)| *i == index && n == name)
        .unwrap_or_else(|| panic!("{name} missing from message {index}: {read:?}"))
        .2
}
#[test]
fn python_email_reads_the_same_ids() {
    let refs: Vec<String> = (0..30)
        .map(|i| format!("<{i:02}.{}@mail.example.com>", "r".repeat(68)))
        .collect();
    let huge = format!("<{}@example.com>", "m".repeat(980));
    let long_first = format!("<{}@example.com>", "o".repeat(60));

    let heroku = Message::builder()
        .from("app@example.com".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .message_id(Some(HEROKU_ID.to_owned()))
        .in_reply_to("<parent@büro.example>".to_owned())
        .references(refs.join(" "))
        .body(String::from("hi"))
        .unwrap();
    let moved = Message::builder()
        .from("app@example.com".parse().unwrap())
        .to("user@example.org".parse().unwrap())
        .message_id(Some(huge.clone()))
        .raw_header(header::HeaderValue::new(
            header::HeaderName::new_from_ascii_str("Original-Message-ID"),
            long_first.clone(),
        ))
        .body(String::from("hi"))
        .unwrap();

    let read = read_with_python(&[&heroku, &moved]);
    assert_eq!(get(&read, 0, "Message-ID"), HEROKU_ID);
    assert_eq!(get(&read, 0, "In-Reply-To"), "<parent@xn--bro-hoa.example>");
    assert_eq!(get(&read, 0, "References"), refs.join(" "));
    // Written as `Message-ID: \r\n <...>`: the id could not fit the first line.
    assert!(String::from_utf8(moved.formatted())
        .unwrap()
        .contains(&format!("Message-ID: \r\n {huge}\r\n")));
    // Python keeps the fold's space in the string, as it does for Outlook's own
    // `Message-ID:\r\n <...>`; the id it holds is the same, with no defect.
    assert_eq!(get(&read, 1, "Message-ID").trim_start(), huge);
    assert_eq!(get(&read, 1, "Original-Message-ID"), long_first);
    assert_eq!(read.len(), 5, "{read:?}");
    for (i, name, _, defects) in &read {
        assert!(defects.is_empty(), "message {i}, {name}: {defects}");
    }
}
