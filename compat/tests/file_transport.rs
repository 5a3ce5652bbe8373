//! FileTransport / AsyncFileTransport write `<id>.eml` files we can read back.

use letterhead_compat::deliver::{deliver, deliver_sync};
use letterhead_compat::emails::{self, AppError};
use letterhead_compat::scratch::{eml_files, fresh_dir};
use lettre::{
    AsyncFileTransport, AsyncTransport, FileTransport, Message, Tokio1Executor, Transport,
};
use tokio1_crate as tokio;

#[test]
fn file_transport_writes_eml_named_by_returned_id() {
    let dir = fresh_dir("file");
    let mailer = FileTransport::new(&dir);
    let email = emails::simple("Saved to disk", "Be happy!").unwrap();
    let id: String = mailer.send(&email).unwrap();

    let path = dir.join(format!("{id}.eml"));
    assert!(
        path.is_file(),
        "{} missing; dir has {:?}",
        path.display(),
        eml_files(&dir)
    );
    let content = std::fs::read_to_string(&path).unwrap();
    assert!(content.contains("Subject: Saved to disk\r\n"), "{content}");
    assert!(
        content.contains("To: Hei <hei@domain.tld>\r\n"),
        "{content}"
    );
    assert_eq!(content.as_bytes(), &email.formatted()[..]);
    assert_eq!(eml_files(&dir).len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn file_transport_generic_and_clone() {
    let dir = fresh_dir("file-generic");
    let mailer = FileTransport::new(dir.clone());
    let clone = mailer.clone();
    deliver_sync(&mailer, &emails::simple("one", "x").unwrap()).unwrap();
    deliver_sync(&clone, &emails::simple("two", "x").unwrap()).unwrap();
    let files = eml_files(&dir);
    assert_eq!(files.len(), 2);
    let mut subjects: Vec<String> = files
        .iter()
        .map(|f| {
            let c = std::fs::read_to_string(f).unwrap();
            c.lines()
                .find(|l| l.starts_with("Subject: "))
                .unwrap()
                .to_owned()
        })
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["Subject: one", "Subject: two"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn file_transport_error_when_dir_missing() {
    let dir = fresh_dir("file-missing").join("does-not-exist");
    let mailer = FileTransport::new(&dir);
    let err: lettre::transport::file::Error =
        mailer.send(&emails::simple("s", "b").unwrap()).unwrap_err();
    assert!(!err.to_string().is_empty());
    let app: AppError = err.into();
    assert!(matches!(app, AppError::File(_)));
}

#[tokio::test]
async fn async_file_transport_writes_eml() {
    let dir = fresh_dir("async-file");
    let mailer = AsyncFileTransport::<Tokio1Executor>::new(&dir);
    let email: Message = emails::simple("Async saved", "Be happy with async!").unwrap();
    let expected = email.formatted();
    let id = mailer.send(email).await.unwrap();
    let content = tokio::fs::read(dir.join(format!("{id}.eml")))
        .await
        .unwrap();
    assert_eq!(content, expected);
    let text = String::from_utf8(content).unwrap();
    assert!(text.contains("Subject: Async saved\r\n"));

    let clone = mailer.clone();
    let id2 = deliver(&clone, emails::simple("Async two", "x").unwrap())
        .await
        .unwrap();
    assert_ne!(id, id2);
    assert_eq!(eml_files(&dir).len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn kept_bcc_is_visible_in_saved_eml() {
    let dir = fresh_dir("file-bcc");
    let id = FileTransport::new(&dir)
        .send(&emails::with_kept_bcc().unwrap())
        .unwrap();
    let content = std::fs::read_to_string(dir.join(format!("{id}.eml"))).unwrap();
    assert!(content.contains("Bcc: hidden@example.com\r\n"), "{content}");
    std::fs::remove_dir_all(&dir).unwrap();
}
