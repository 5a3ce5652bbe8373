//! A scripted SMTP server on 127.0.0.1 (std threads, no TLS), so the SMTP
//! transports can be driven end to end without any real server or network.
//!
//! It accepts everything except recipients whose address starts with
//! `reject`, which get `550 5.1.1`.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One completed mail transaction (MAIL, RCPT..., DATA).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transaction {
    pub ehlo: Option<String>,
    pub auth: Option<String>,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The DATA payload, dot-unstuffed, without the final `.` line.
    pub data: String,
}

pub struct FakeSmtp {
    pub port: u16,
    transactions: Arc<Mutex<Vec<Transaction>>>,
    connections: Arc<Mutex<usize>>,
    stop: Arc<AtomicBool>,
}

impl FakeSmtp {
    pub fn start() -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let transactions = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let transactions = transactions.clone();
            let connections = connections.clone();
            let stop = stop.clone();
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            *connections.lock().unwrap() += 1;
                            let transactions = transactions.clone();
                            thread::spawn(move || {
                                let _ = serve(stream, &transactions);
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
            });
        }
        FakeSmtp {
            port,
            transactions,
            connections,
            stop,
        }
    }

    pub fn transactions(&self) -> Vec<Transaction> {
        self.transactions.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(stream: TcpStream, transactions: &Mutex<Vec<Transaction>>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut current = Transaction::default();
    let mut ehlo = None;
    let mut auth = None;

    out.write_all(b"220 fake.smtp.test ESMTP ready\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end_matches(['\r', '\n']).to_owned();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            ehlo = Some(cmd[4..].trim().to_owned());
            out.write_all(
                b"250-fake.smtp.test\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 SMTPUTF8\r\n",
            )?;
        } else if upper.starts_with("HELO") {
            ehlo = Some(cmd[4..].trim().to_owned());
            out.write_all(b"250 fake.smtp.test\r\n")?;
        } else if upper.starts_with("AUTH PLAIN") {
            auth = Some(cmd[10..].trim().to_owned());
            out.write_all(b"235 2.7.0 Authentication successful\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            current = Transaction {
                ehlo: ehlo.clone(),
                auth: auth.clone(),
                mail_from: angle(&cmd[10..]),
                ..Transaction::default()
            };
            out.write_all(b"250 2.1.0 Ok\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = angle(&cmd[8..]);
            if rcpt.starts_with("reject") {
                out.write_all(b"550 5.1.1 No such user here\r\n")?;
            } else {
                current.rcpt_to.push(rcpt);
                out.write_all(b"250 2.1.5 Ok\r\n")?;
            }
        } else if upper == "DATA" {
            out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                let l = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(l);
            }
            current.data = data;
            transactions
                .lock()
                .unwrap()
                .push(std::mem::take(&mut current));
            out.write_all(b"250 2.0.0 Ok: queued as FAKE42\r\n")?;
        } else if upper == "QUIT" {
            out.write_all(b"221 2.0.0 Bye\r\n")?;
            return Ok(());
        } else if upper == "RSET" {
            current = Transaction::default();
            out.write_all(b"250 2.0.0 Ok\r\n")?;
        } else {
            // NOOP and anything else.
            out.write_all(b"250 2.0.0 Ok\r\n")?;
        }
    }
}

/// `<addr> PARAMS` -> `addr`
fn angle(s: &str) -> String {
    let s = s.trim();
    match (s.find('<'), s.find('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].to_owned(),
        _ => s.split_whitespace().next().unwrap_or("").to_owned(),
    }
}
