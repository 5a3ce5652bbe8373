//! Internationalised domain names as A-labels (IDNA, UTS 46), without mapping.
//!
//! UTS 46 maps or ignores some code points before it converts: a zero-width space or a soft
//! hyphen vanishes, a fullwidth full stop becomes a dot, fullwidth letters become ASCII ones.
//! Taken silently, that would write an id or a domain other than the one given. Here a
//! domain becomes A-labels only when nothing but that conversion changes it (ASCII letters
//! aside, whose case DNS ignores); otherwise it is an error naming the code point.

use crate::error::Reason;

/// `domain` (non-ASCII) as A-labels.
///
/// # Errors
///
/// [`Reason::InvalidChar`] for an ASCII character a host name cannot hold,
/// [`Reason::IdnaChanges`] for a code point UTS 46 would map, remove or normalise, and
/// [`Reason::Idna`] when IDNA refuses the domain.
pub(crate) fn to_a_labels(domain: &str) -> Result<String, Reason> {
    if let Some(c) = domain
        .chars()
        .find(|&c| c.is_ascii() && !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
    {
        return Err(Reason::InvalidChar(c));
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| changed(domain))?;
    if ascii.is_empty() || ascii.split('.').any(str::is_empty) {
        return Err(changed(domain));
    }
    let (back, result) = idna::domain_to_unicode(&ascii);
    if result.is_err()
        || !back
            .chars()
            .eq(domain.chars().map(|c| c.to_ascii_lowercase()))
    {
        return Err(changed(domain));
    }
    Ok(ascii)
}

/// Why `domain` does not convert as given: the first code point that UTS 46 changes on its
/// own, else [`Reason::Idna`].
fn changed(domain: &str) -> Reason {
    let mut buf = [0u8; 4];
    for c in domain.chars().filter(|c| !c.is_ascii()) {
        let one = c.encode_utf8(&mut buf);
        let kept = idna::domain_to_ascii_strict(one)
            .ok()
            .map(|a| idna::domain_to_unicode(&a).0);
        if kept.as_deref() != Some(&*one) {
            return Reason::IdnaChanges(c);
        }
    }
    Reason::Idna
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_what_needs_no_mapping() {
        assert_eq!(to_a_labels("büro.example").unwrap(), "xn--bro-hoa.example");
        assert_eq!(to_a_labels("Büro.Example").unwrap(), "xn--bro-hoa.example");
        assert_eq!(
            to_a_labels("例え.テスト").unwrap(),
            "xn--r8jz45g.xn--zckzah"
        );
        assert_eq!(
            to_a_labels("straße.example").unwrap(),
            "xn--strae-oqa.example"
        );
    }

    #[test]
    fn names_the_code_point_that_would_change() {
        for (domain, c) in [
            ("exa\u{200b}mple.cöm", '\u{200b}'),  // zero-width space: removed
            ("bü\u{ad}ro.example", '\u{ad}'),     // soft hyphen: removed
            ("bü\u{2060}ro.example", '\u{2060}'), // word joiner: removed
            ("büro\u{ff0e}example", '\u{ff0e}'),  // fullwidth full stop: mapped to '.'
            ("ｂüro.example", 'ｂ'),              // fullwidth letter: mapped to ASCII
            ("BÜRO.example", 'Ü'),                // mapped to lower case
            ("bu\u{308}ro.example", '\u{308}'),   // not NFC
        ] {
            assert_eq!(
                to_a_labels(domain),
                Err(Reason::IdnaChanges(c)),
                "{domain:?}"
            );
        }
        assert_eq!(to_a_labels("bü_ro.example"), Err(Reason::InvalidChar('_')));
        assert_eq!(to_a_labels("bü..example"), Err(Reason::Idna));
    }
}
