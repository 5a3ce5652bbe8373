//! Runs the lettre examples that need no server (they only write files or
//! print). `cargo test` builds every example before running tests; this test
//! finds the binaries next to its own executable (target/<profile>/examples/).
//! If run alone without the examples built (`cargo test --test run_examples`),
//! it fails and says so.

use std::path::PathBuf;
use std::process::Command;

use letterhead_compat::scratch::{eml_files, fresh_dir};

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/run_examples-<hash>
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "example binary {} not built; run plain `cargo test` (which builds examples) or `cargo build --examples` first",
        path.display()
    );
    path
}

fn run_html_example(name: &str) -> String {
    let dir = fresh_dir(name);
    let out = Command::new(example(name))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{name} failed: {out:?}");
    let files = eml_files(&dir);
    assert_eq!(
        files.len(),
        1,
        "{name} should write exactly one .eml into its cwd"
    );
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        eml.contains("From: NoBody <nobody@domain.tld>\r\n"),
        "{eml}"
    );
    assert!(eml.contains("To: Hei <hei@domain.tld>\r\n"), "{eml}");
    assert!(eml.contains("Subject: Hello from Lettre!\r\n"), "{eml}");
    assert!(
        eml.contains("Content-Type: multipart/alternative;"),
        "{eml}"
    );
    assert!(
        eml.contains("Hello from Lettre! A mailer library for Rust"),
        "{eml}"
    );
    eml
}

#[test]
fn basic_html_example_writes_an_eml() {
    let eml = run_html_example("basic_html");
    assert!(
        eml.contains("Content-Type: text/html; charset=utf-8\r\n"),
        "{eml}"
    );
    assert!(eml.contains("<!DOCTYPE html>"), "{eml}");
}

#[test]
fn maud_html_example_writes_an_eml() {
    let eml = run_html_example("maud_html");
    assert!(
        eml.contains("Content-Type: text/html; charset=utf-8\r\n"),
        "{eml}"
    );
    assert!(eml.contains("Dear Hei,"), "{eml}");
}

#[test]
fn autoconfigure_without_host_prints_usage() {
    let out = Command::new(example("autoconfigure")).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Please provide the SMTP host"), "{stdout}");
}
