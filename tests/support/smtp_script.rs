//! A scriptable, misbehaving SMTP server on 127.0.0.1 for the transport tests: a script per
//! connection says what the server does at each point of the session (reply, stall, drip a
//! reply one byte at a time, reset the connection). Plain std threads, so the same server
//! serves the Tokio, async-std and blocking tests.
//!
//! A message counts as delivered when the server took it: its reply to the final dot was a
//! 2xx, or it stalled or reset the connection after reading the final dot (the server queued
//! the message but the reply never came: RFC 1047's duplicate window).
#![allow(dead_code)]

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read, Write},
    net::{Shutdown, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    thread,
    time::Duration,
};

/// A point of the session where the script acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Point {
    Greeting,
    Ehlo,
    /// The STARTTLS command (the server speaks no TLS: after a 220 it reads the handshake
    /// as if it were a command line, which stalls it).
    StartTls,
    Auth,
    Mail,
    Rcpt,
    Data,
    /// After the final dot.
    DataEnd,
    Rset,
    Noop,
    Quit,
}

/// What the server does at a point.
#[derive(Debug, Clone)]
pub enum Act {
    /// Sends this reply (CRLFs added to each line).
    Reply(String),
    /// Says nothing more, ever (holds the connection until the client closes it).
    Stall,
    /// Sends this reply one byte per `interval`.
    Drip(String, Duration),
    /// Resets the connection (RST).
    Reset,
    /// Closes the connection (FIN) without a reply.
    Close,
    /// Sends this reply, then says nothing more (e.g. 220 to STARTTLS and no handshake).
    ReplyThenStall(String),
}

/// `Act::Reply` of a one- or multi-line reply: `reply("451 4.3.0 try later")`.
pub fn reply(text: &str) -> Act {
    Act::Reply(text.to_owned())
}

/// What the server does on one connection: the defaults of a well-behaved server, with the
/// points given overridden.
#[derive(Debug, Clone, Default)]
pub struct Script {
    acts: HashMap<Point, Act>,
    once: HashMap<Point, Vec<Act>>,
}

impl Script {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn at(mut self, point: Point, act: Act) -> Self {
        self.acts.insert(point, act);
        self
    }

    /// `act` the next time the session reaches `point` (queued behind earlier `once`s), then
    /// what `at` or the default says.
    pub fn once(mut self, point: Point, act: Act) -> Self {
        self.once.entry(point).or_default().push(act);
        self
    }

    fn act(&mut self, point: Point) -> Act {
        if let Some(queue) = self.once.get_mut(&point) {
            if !queue.is_empty() {
                return queue.remove(0);
            }
        }
        if let Some(a) = self.acts.get(&point) {
            return a.clone();
        }
        reply(match point {
            Point::Greeting => "220 script.test ESMTP",
            Point::Ehlo => "250-script.test\n250-8BITMIME\n250-SMTPUTF8\n250 AUTH PLAIN LOGIN",
            Point::Auth => "235 2.7.0 Authentication successful",
            Point::StartTls => "220 2.0.0 Ready to start TLS",
            Point::Mail | Point::Rcpt | Point::Rset | Point::Noop => "250 2.0.0 Ok",
            Point::Data => "354 End data with <CR><LF>.<CR><LF>",
            Point::DataEnd => "250 2.0.0 Ok: queued",
            Point::Quit => "221 2.0.0 Bye",
        })
    }
}

/// One connection as the server saw it.
#[derive(Debug, Clone, Default)]
pub struct Session {
    /// Every command line, without CRLF (message content excluded).
    pub commands: Vec<String>,
    /// Every byte the client sent.
    pub wire: Vec<u8>,
}

#[derive(Default)]
struct State {
    scripts: Vec<Script>,
    next: usize,
    fallback: Script,
    sessions: Vec<Arc<Mutex<Session>>>,
    delivered: Vec<Vec<u8>>,
}

/// The server; stops accepting when dropped.
pub struct ScriptServer {
    pub port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl ScriptServer {
    /// Connection `i` follows `scripts[i]`; connections past the list follow `fallback`.
    pub fn start(scripts: Vec<Script>, fallback: Script) -> ScriptServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            scripts,
            fallback,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (state, stop) = (state.clone(), stop.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (script, session) = {
                                let mut s = state.lock().unwrap();
                                let script = s
                                    .scripts
                                    .get(s.next)
                                    .cloned()
                                    .unwrap_or_else(|| s.fallback.clone());
                                s.next += 1;
                                let session = Arc::new(Mutex::new(Session::default()));
                                s.sessions.push(session.clone());
                                (script, session)
                            };
                            let state = state.clone();
                            thread::spawn(move || {
                                let mut script = script;
                                let _ = serve(stream, &mut script, &session, &state);
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(2));
                        }
                        Err(_) => break,
                    }
                }
            });
        }
        ScriptServer { port, state, stop }
    }

    /// Every connection follows `script`.
    pub fn always(script: Script) -> ScriptServer {
        ScriptServer::start(vec![], script)
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().next
    }

    pub fn sessions(&self) -> Vec<Session> {
        let s = self.state.lock().unwrap();
        s.sessions
            .iter()
            .map(|x| x.lock().unwrap().clone())
            .collect()
    }

    /// The messages the server took, dot-unstuffed, in order.
    pub fn delivered(&self) -> Vec<Vec<u8>> {
        self.state.lock().unwrap().delivered.clone()
    }
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

enum Outcome {
    Go,
    Gone,
}

fn perform(stream: &mut TcpStream, act: &Act) -> std::io::Result<Outcome> {
    match act {
        Act::Reply(text) => {
            let mut out = String::new();
            for line in text.split('\n') {
                out.push_str(line);
                out.push_str("\r\n");
            }
            stream.write_all(out.as_bytes())?;
            Ok(Outcome::Go)
        }
        Act::Drip(text, interval) => {
            let mut out = String::new();
            for line in text.split('\n') {
                out.push_str(line);
                out.push_str("\r\n");
            }
            for b in out.as_bytes() {
                stream.write_all(&[*b])?;
                thread::sleep(*interval);
            }
            Ok(Outcome::Go)
        }
        Act::Stall => {
            // Hold the connection, reading (and dropping) whatever comes, until the client
            // closes it; at most a minute.
            stream.set_read_timeout(Some(Duration::from_secs(60)))?;
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
            Ok(Outcome::Gone)
        }
        Act::Reset => {
            reset(stream);
            Ok(Outcome::Gone)
        }
        Act::Close => {
            let _ = stream.shutdown(Shutdown::Both);
            Ok(Outcome::Gone)
        }
        Act::ReplyThenStall(text) => {
            perform(stream, &Act::Reply(text.clone()))?;
            perform(stream, &Act::Stall)
        }
    }
}

/// Closes with RST: SO_LINGER 0, then close.
fn reset(stream: &TcpStream) {
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: a valid socket and a properly sized linger struct.
        unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &linger as *const libc::linger as *const libc::c_void,
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn serve(
    stream: TcpStream,
    script: &mut Script,
    session: &Mutex<Session>,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    if let Outcome::Gone = perform(&mut out, &script.act(Point::Greeting))? {
        return Ok(());
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        {
            let mut s = session.lock().unwrap();
            s.wire.extend_from_slice(&line);
            s.commands.push(text.clone());
        }
        let upper = text.to_ascii_uppercase();
        let point = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            Point::Ehlo
        } else if upper == "STARTTLS" {
            Point::StartTls
        } else if upper.starts_with("AUTH") {
            Point::Auth
        } else if upper.starts_with("MAIL FROM:") {
            Point::Mail
        } else if upper.starts_with("RCPT TO:") {
            Point::Rcpt
        } else if upper == "DATA" {
            Point::Data
        } else if upper == "RSET" {
            Point::Rset
        } else if upper == "NOOP" {
            Point::Noop
        } else if upper == "QUIT" {
            Point::Quit
        } else {
            out.write_all(b"500 5.5.2 unknown command\r\n")?;
            continue;
        };
        let act = script.act(point);
        let go = matches!(&act, Act::Reply(t) if t.starts_with('3')) && point == Point::Data;
        if let Outcome::Gone = perform(&mut out, &act)? {
            return Ok(());
        }
        if point == Point::Quit {
            return Ok(());
        }
        if go {
            // The content, up to the final dot.
            let mut data = Vec::new();
            loop {
                line.clear();
                if reader.read_until(b'\n', &mut line)? == 0 {
                    return Ok(()); // cut before the dot: nothing taken
                }
                session.lock().unwrap().wire.extend_from_slice(&line);
                if line == b".\r\n" {
                    break;
                }
                let content = line.strip_prefix(b".").unwrap_or(&line);
                data.extend_from_slice(content);
            }
            let act = script.act(Point::DataEnd);
            let taken = match &act {
                Act::Reply(t) | Act::Drip(t, _) | Act::ReplyThenStall(t) => t.starts_with('2'),
                Act::Stall | Act::Reset | Act::Close => true,
            };
            if taken {
                state.lock().unwrap().delivered.push(data);
            }
            if let Outcome::Gone = perform(&mut out, &act)? {
                return Ok(());
            }
        }
    }
}
