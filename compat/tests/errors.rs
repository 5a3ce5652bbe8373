//! lettre::error::Error: variants by name, Display, From<io::Error>, std Error.

use letterhead_compat::emails;
use lettre::error::Error;

#[test]
fn missing_from() {
    let err = emails::missing_from().unwrap_err();
    assert!(matches!(err, Error::MissingFrom), "{err:?}");
    assert_eq!(emails::describe(&err), "missing-from");
    assert_eq!(err.to_string(), "missing source address, invalid envelope");
}

#[test]
fn missing_to() {
    let err = emails::missing_to().unwrap_err();
    assert!(matches!(err, Error::MissingTo), "{err:?}");
    assert_eq!(
        err.to_string(),
        "missing destination address, invalid envelope"
    );
    // Envelope::new with no recipients fails the same way. It returns lettre's own error
    // type, which converts into `lettre::error::Error` (the identity conversion on lettre).
    let err = Error::from(
        lettre::address::Envelope::new(Some("a@b.c".parse().unwrap()), vec![]).unwrap_err(),
    );
    assert!(matches!(err, Error::MissingTo), "{err:?}");
}

#[test]
fn too_many_from_unless_sender() {
    let err = emails::too_many_from().unwrap_err();
    assert!(matches!(err, Error::TooManyFrom), "{err:?}");
    assert_eq!(err.to_string(), "there can only be one source address");
    let ok = emails::two_from_with_sender().unwrap();
    assert_eq!(ok.envelope().from().unwrap().to_string(), "one@example.com");
}

#[test]
fn io_error_converts_with_question_mark() {
    let err = emails::body_from_file(std::path::Path::new("/definitely/not/here.txt")).unwrap_err();
    match &err {
        Error::Io(io) => assert_eq!(io.kind(), std::io::ErrorKind::NotFound),
        other => panic!("expected Io, got {other:?}"),
    }
    assert_eq!(emails::describe(&err), "io");
    let from: Error = std::io::Error::other("boom").into();
    assert_eq!(from.to_string(), "boom");
}

#[test]
fn every_variant_constructs_and_displays() {
    let all = [
        (Error::MissingFrom, "missing-from"),
        (Error::MissingTo, "missing-to"),
        (Error::TooManyFrom, "too-many-from"),
        (Error::EmailMissingAt, "email-missing-at"),
        (Error::EmailMissingLocalPart, "email-missing-local-part"),
        (Error::EmailMissingDomain, "email-missing-domain"),
        (Error::CannotParseFilename, "cannot-parse-filename"),
        (Error::Io(std::io::Error::other("x")), "io"),
        (Error::NonAsciiChars, "non-ascii-chars"),
    ];
    for (err, name) in &all {
        assert_eq!(emails::describe(err), *name);
        assert!(!err.to_string().is_empty());
    }
    assert_eq!(
        Error::EmailMissingAt.to_string(),
        "missing @ in email address"
    );
    assert_eq!(Error::NonAsciiChars.to_string(), "contains non-ASCII chars");
}

#[test]
fn is_a_std_error_and_boxes() {
    fn boxed() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        emails::missing_from()?;
        Ok(())
    }
    let e = boxed().unwrap_err();
    assert!(e.downcast_ref::<Error>().is_some());
    fn anyhow_like() -> Result<lettre::Message, Box<dyn std::error::Error>> {
        Ok(emails::simple("s", "b")?)
    }
    assert!(anyhow_like().is_ok());
}
