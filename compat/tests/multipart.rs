//! MultiPart / SinglePart / Attachment trees, as in lettre's docs and examples.

use lettre::Message;
use lettre::message::header::{self, ContentDisposition, ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, MultiPart, SinglePart};

// 1x1 transparent PNG.
const PNG: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

fn text(m: &Message) -> String {
    String::from_utf8(m.formatted()).unwrap()
}

/// The boundary parameter of each `Content-Type: multipart/...` header, in order.
fn boundaries(t: &str) -> Vec<String> {
    t.match_indices("boundary=\"")
        .map(|(i, m)| {
            let rest = &t[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

fn newsletter(image_bytes: Vec<u8>) -> Result<Message, lettre::error::Error> {
    let image_body = Body::new(image_bytes);
    Message::builder()
        .from("NoBody <nobody@domain.tld>".parse().unwrap())
        .reply_to("Yuin <yuin@domain.tld>".parse().unwrap())
        .to("Hei <hei@domain.tld>".parse().unwrap())
        .subject("Happy new year")
        .multipart(
            MultiPart::mixed()
                .multipart(
                    MultiPart::alternative()
                        .singlepart(SinglePart::plain(String::from("Hello world")))
                        .multipart(
                            MultiPart::related()
                                .singlepart(SinglePart::html(String::from(
                                    "<p><b>Hello</b>, <i>world</i>! <img src=cid:123></p>",
                                )))
                                .singlepart(
                                    Attachment::new_inline(String::from("123"))
                                        .body(image_body, ContentType::parse("image/png").unwrap()),
                                ),
                        ),
                )
                .singlepart(
                    Attachment::new(String::from("example.rs"))
                        .body(String::from("fn main() {}"), "text/plain".parse().unwrap()),
                ),
        )
}

#[test]
fn mixed_alternative_related_tree() {
    let m = newsletter(PNG.to_vec()).unwrap();
    let t = text(&m);
    assert!(t.contains("MIME-Version: 1.0\r\n"), "{t}");
    assert!(t.contains("Content-Type: multipart/mixed;"), "{t}");
    assert!(t.contains("Content-Type: multipart/alternative;"), "{t}");
    assert!(t.contains("Content-Type: multipart/related;"), "{t}");
    assert!(
        t.contains("Content-Type: text/plain; charset=utf-8\r\n"),
        "{t}"
    );
    assert!(
        t.contains("Content-Type: text/html; charset=utf-8\r\n"),
        "{t}"
    );
    assert!(t.contains("Content-ID: <123>\r\n"), "{t}");
    assert!(t.contains("Content-Disposition: inline\r\n"), "{t}");
    assert!(t.contains("Content-Type: image/png\r\n"), "{t}");
    assert!(
        t.contains("Content-Disposition: attachment; filename=\"example.rs\"\r\n"),
        "{t}"
    );
    assert!(t.contains("Hello world"), "{t}");
    assert!(t.contains("<img src=cid:123>"), "{t}");
    assert!(t.contains("fn main() {}"), "{t}");
    // The PNG is base64 encoded (its first bytes: 0x89 'P' 'N' 'G' ...).
    assert!(
        t.contains("Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo"),
        "{t}"
    );

    let b = boundaries(&t);
    assert_eq!(b.len(), 3, "{t}");
    for boundary in &b {
        assert!(
            t.contains(&format!("--{boundary}\r\n")),
            "{boundary} opens: {t}"
        );
        assert!(
            t.contains(&format!("--{boundary}--")),
            "{boundary} closes: {t}"
        );
    }
    assert!(b[0] != b[1] && b[1] != b[2] && b[0] != b[2]);
}

#[test]
fn alternative_plain_html_and_attachment() {
    let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let m = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .subject("Report")
        .multipart(
            MultiPart::mixed()
                .multipart(MultiPart::alternative_plain_html(
                    String::from("plain version"),
                    String::from("<p>html version</p>"),
                ))
                .singlepart(
                    Attachment::new("report.pdf".to_owned())
                        .body(pdf, ContentType::parse("application/pdf").unwrap()),
                ),
        )
        .unwrap();
    let t = text(&m);
    assert!(t.contains("Content-Type: multipart/mixed;"), "{t}");
    assert!(t.contains("Content-Type: multipart/alternative;"), "{t}");
    assert!(t.contains("plain version"), "{t}");
    assert!(t.contains("<p>html version</p>"), "{t}");
    assert!(
        t.contains("Content-Disposition: attachment; filename=\"report.pdf\"\r\n"),
        "{t}"
    );
    assert!(t.contains("Content-Type: application/pdf\r\n"), "{t}");
    // Non-UTF-8 bytes force base64.
    let pdf_part = &t[t.find("filename=\"report.pdf\"").unwrap()..];
    assert!(
        pdf_part.contains("Content-Transfer-Encoding: base64"),
        "{pdf_part}"
    );
    assert_eq!(boundaries(&t).len(), 2);
}

#[test]
fn singlepart_builder_with_headers() {
    let m = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .singlepart(
            SinglePart::builder()
                .header(header::ContentType::TEXT_HTML)
                .header(ContentTransferEncoding::QuotedPrintable)
                .header(ContentDisposition::inline())
                .body(String::from("<h1>Grüße</h1>")),
        )
        .unwrap();
    let t = text(&m);
    assert!(
        t.contains("Content-Type: text/html; charset=utf-8\r\n"),
        "{t}"
    );
    assert!(
        t.contains("Content-Transfer-Encoding: quoted-printable\r\n"),
        "{t}"
    );
    assert!(t.contains("<h1>Gr=C3=BC=C3=9Fe</h1>"), "{t}");
    assert!(t.is_ascii());
}

#[test]
fn parts_format_on_their_own() {
    let part = SinglePart::plain(String::from("just a part"));
    let raw = String::from_utf8(part.formatted()).unwrap();
    assert!(
        raw.contains("Content-Type: text/plain; charset=utf-8\r\n"),
        "{raw}"
    );
    assert!(raw.contains("just a part"));
    let multi = MultiPart::alternative_plain_html(String::from("p"), String::from("<b>h</b>"));
    let raw = String::from_utf8(multi.formatted()).unwrap();
    assert!(raw.contains(&format!("--{}", multi.boundary())), "{raw}");
    let attachment =
        Attachment::new_inline_with_name(String::from("logo"), String::from("logo.png"))
            .body(PNG.to_vec(), "image/png".parse().unwrap());
    let raw = String::from_utf8(attachment.formatted()).unwrap();
    assert!(raw.contains("Content-ID: <logo>\r\n"), "{raw}");
    assert!(raw.contains("logo.png"), "{raw}");
}

#[test]
fn content_type_parsing() {
    assert!(ContentType::parse("image/png").is_ok());
    assert!(ContentType::parse("not a mime type").is_err());
    let ct: ContentType = "text/csv; charset=utf-8".parse().unwrap();
    let m = Message::builder()
        .from("a@example.com".parse().unwrap())
        .to("b@example.com".parse().unwrap())
        .header(ct)
        .body(String::from("a,b\n1,2\n"))
        .unwrap();
    assert!(text(&m).contains("Content-Type: text/csv; charset=utf-8\r\n"));
}
