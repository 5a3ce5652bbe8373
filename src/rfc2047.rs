//! Decoding RFC 2047 encoded-words, for reading identifier headers that other software (lettre
//! 0.11 among them) wrote encoded. letterhead never writes them in identifier headers; it
//! writes them only for text too long for a line ([`encode`]).

/// `text` as UTF-8 B encoded-words (RFC 2047 section 4.1), one to a line, the first line
/// already holding `used` octets (`Name: `): every line within 78 octets where the name
/// allows, each word within RFC 2047's 75 characters, and no character split across two
/// words (section 5, rule 3). Decodes to exactly `text`: the folds between adjacent
/// encoded-words are not part of it (section 6.2).
pub(crate) fn encode(text: &str, used: usize) -> String {
    const PREFIX: &str = "=?utf-8?b?";
    const SUFFIX: &str = "?=";
    // Octets of text a word may carry: its base64 (4 characters for 3 octets) fits both the
    // line (78) and the encoded-word (75) limits.
    let room = |used: usize| {
        let chars = 78usize
            .saturating_sub(used + PREFIX.len() + SUFFIX.len())
            .min(75 - 12);
        (chars / 4 * 3).max(3)
    };
    let mut out = String::with_capacity(text.len() * 2);
    let (mut rest, mut used) = (text, used);
    loop {
        let mut take = room(used).min(rest.len());
        while !rest.is_char_boundary(take) {
            take -= 1;
        }
        if take == 0 {
            // One character longer than a word's room (at most 4 octets): carry it whole.
            take = rest.chars().next().map_or(0, char::len_utf8);
        }
        out.push_str(PREFIX);
        base64_encode(&rest.as_bytes()[..take], &mut out);
        out.push_str(SUFFIX);
        rest = &rest[take..];
        if rest.is_empty() {
            return out;
        }
        out.push_str("\r\n ");
        used = 1;
    }
}

fn base64_encode(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63])
            } else {
                '='
            });
        }
    }
}

/// Whether `s` holds something shaped like an encoded-word.
pub(crate) fn has_encoded_word(s: &str) -> bool {
    find_word(s, 0).is_some()
}

/// Decodes every encoded-word in `s`; whitespace between two adjacent encoded-words is
/// dropped (RFC 2047 section 6.2), all other text is kept.
///
/// Supports the B and Q encodings and the charsets UTF-8, US-ASCII and ISO-8859-1; anything
/// else is an error saying what could not be decoded.
pub(crate) fn decode(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    // Bytes of consecutive encoded-words, decoded together so a character split across two
    // words survives.
    let mut pending: Vec<u8> = Vec::new();
    let mut pending_charset = Charset::Utf8;
    while let Some(w) = find_word(s, pos) {
        let between = &s[pos..w.start];
        let adjacent = !pending.is_empty() && between.chars().all(char::is_whitespace);
        if !adjacent {
            flush(&mut out, &mut pending, pending_charset)?;
            out.push_str(between);
        }
        let charset = Charset::from_label(w.charset)?;
        if charset != pending_charset {
            flush(&mut out, &mut pending, pending_charset)?;
            pending_charset = charset;
        }
        match w.encoding {
            'B' | 'b' => base64(w.text, &mut pending)?,
            _ => q(w.text, &mut pending)?,
        }
        pos = w.end;
    }
    flush(&mut out, &mut pending, pending_charset)?;
    out.push_str(&s[pos..]);
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Latin1,
}

impl Charset {
    fn from_label(label: &str) -> Result<Self, String> {
        // RFC 2231 adds an optional "*language" suffix.
        let label = label.split('*').next().unwrap_or(label);
        match label.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" | "us-ascii" => Ok(Charset::Utf8),
            "iso-8859-1" | "latin1" => Ok(Charset::Latin1),
            other => Err(format!(
                "encoded-word in charset {other:?}, which is not supported"
            )),
        }
    }
}

fn flush(out: &mut String, pending: &mut Vec<u8>, charset: Charset) -> Result<(), String> {
    if pending.is_empty() {
        return Ok(());
    }
    match charset {
        Charset::Utf8 => out
            .push_str(std::str::from_utf8(pending).map_err(|_| "encoded-word is not valid UTF-8")?),
        Charset::Latin1 => out.extend(pending.iter().map(|&b| b as char)),
    }
    pending.clear();
    Ok(())
}

struct Word<'a> {
    start: usize,
    end: usize,
    charset: &'a str,
    encoding: char,
    text: &'a str,
}

/// The next `=?charset?B|Q?text?=` at or after `from`.
fn find_word(s: &str, from: usize) -> Option<Word<'_>> {
    let mut at = from;
    while let Some(i) = s[at..].find("=?") {
        let start = at + i;
        let rest = &s[start + 2..];
        let parsed = (|| {
            let (charset, rest) = rest.split_once('?')?;
            let mut chars = rest.chars();
            let encoding = chars.next()?;
            if !matches!(encoding, 'B' | 'b' | 'Q' | 'q') || chars.next()? != '?' {
                return None;
            }
            let text_start = charset.len() + 3;
            // Encoded text holds no '?': the first one must start the closing "?=", which
            // keeps the scan linear however many "=?" the input holds.
            let text_len = rest[2..].find('?')?;
            if !rest[2 + text_len..].starts_with("?=") {
                return None;
            }
            let text = &rest[2..2 + text_len];
            let valid = |c: char| c.is_ascii_graphic() && c != '?';
            if charset.is_empty() || !charset.chars().all(valid) || !text.chars().all(valid) {
                return None;
            }
            Some((charset, encoding, text, text_start + text_len + 2))
        })();
        if let Some((charset, encoding, text, len)) = parsed {
            return Some(Word {
                start,
                end: start + 2 + len,
                charset,
                encoding,
                text,
            });
        }
        at = start + 2;
    }
    None
}

fn base64(text: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return Err(format!("invalid base64 character {:?}", c as char)),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(())
}

fn q(text: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = text
                    .get(i + 1..i + 3)
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("invalid =XX escape in a Q encoded-word")?;
                out.push(hex);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_lettre_writes() {
        // lettre 0.11 for `In-Reply-To: <CAF9a7kq3@mx.büro.example>`.
        assert_eq!(
            decode("=?utf-8?b?PENBRjlhN2txM0BteC5iw7xyby5leGFtcGxlPg==?=").unwrap(),
            "<CAF9a7kq3@mx.büro.example>"
        );
        // Split over two words and a fold, a character cut in half.
        let full = "<ab@büro.example>".as_bytes();
        let (a, b) = full.split_at(6);
        let enc = |x: &[u8]| x.iter().map(|c| format!("={c:02X}")).collect::<String>();
        let s = format!("=?UTF-8?Q?{}?=\r\n =?UTF-8?Q?{}?=", enc(a), enc(b));
        assert_eq!(decode(&s).unwrap(), "<ab@büro.example>");
    }

    #[test]
    fn keeps_plain_text_and_rejects_what_it_cannot_read() {
        assert_eq!(decode("<a@b> =?us-ascii?q?x_y?= z").unwrap(), "<a@b> x y z");
        assert_eq!(decode("=?iso-8859-1?q?b=FCro?=").unwrap(), "büro");
        assert_eq!(decode("no words =? here").unwrap(), "no words =? here");
        assert!(decode("=?koi8-r?b?AAAA?=").is_err());
        assert!(decode("=?utf-8?q?=ZZ?=").is_err());
        assert!(decode("=?utf-8?q?=+F?=").is_err());
        // Many "=?" that never close are kept as text (the scan is linear; see BENCHMARKS.md).
        let many = "=?a?B?x".repeat(1000);
        assert_eq!(decode(&many).unwrap(), many);
        assert!(decode("=?utf-8?b?/w==?=").is_err());
        assert!(has_encoded_word("x =?utf-8?b?QQ==?="));
        assert!(!has_encoded_word("<=?@b>"));
    }
}
