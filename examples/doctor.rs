//! Why did Office 365 refuse this message? Checks `.eml` files (or standard input) and prints
//! each finding with its code, line, MIME part (`part 1.2`, as IMAP numbers parts; none for
//! the message's own header), why it matters and how to fix it; with `--repair`, also the
//! identifier headers as letterhead would write them, the message's and each part's. Exits 1
//! when any finding is an error.
//!
//! ```text
//! cargo run --example doctor -- tests/corpus/lettre-idn-in-reply-to.eml
//! cargo run --example doctor -- --repair < message.eml
//! ```

use std::io::Read;

use letterhead::lint::{lint, Severity};

fn main() {
    let mut repair = false;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--repair" => repair = true,
            "-h" | "--help" => {
                println!("usage: doctor [--repair] [FILE.eml ...]   (no FILE, or -, reads stdin)");
                return;
            }
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        files.push("-".to_owned());
    }
    let mut errors = 0;
    for file in &files {
        let raw = if file == "-" {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map(|_| buf)
        } else {
            std::fs::read(file)
        };
        let raw = match raw {
            Ok(raw) => raw,
            Err(e) => {
                eprintln!("{file}: {e}");
                std::process::exit(2);
            }
        };
        let report = lint(&raw);
        let name = if file == "-" {
            "<stdin>"
        } else {
            file.as_str()
        };
        if report.findings().is_empty() {
            println!("{name}: no findings");
        }
        for f in report.findings() {
            println!("{name}:{f}");
            println!("    why: {}", f.code.why());
            println!("    fix: {}", f.code.fix());
            if f.severity == Severity::Error {
                errors += 1;
            }
        }
        if repair && !report.repaired().is_empty() {
            println!("{name}: repaired identifier headers:");
            for header in report.repaired() {
                print_header(header);
            }
        }
        if repair {
            let mut last = None;
            for (part, header) in report.repaired_parts() {
                if last != Some(part) {
                    println!("{name}: repaired identifier headers of part {part}:");
                    last = Some(part);
                }
                print_header(header);
            }
        }
    }
    if errors > 0 {
        println!("{errors} error(s)");
        std::process::exit(1);
    }
}

/// A repaired header, one line of it a line, indented.
fn print_header(header: &str) {
    for line in header.split("\r\n") {
        println!("    {line}");
    }
}
