//! A `fork` child must not repeat the Message-IDs its parent generates next: generated ids
//! take their random bytes from a per-thread batch, which a child inherits.
//!
//! Alone in its test binary: the child allocates, which is only sound after `fork` when no
//! other thread of the process is running.
#![cfg(unix)]

use letterhead::{Domain, MsgId};

#[test]
fn a_fork_child_does_not_repeat_its_parents_next_ids() {
    let domain = Domain::parse("example.com").unwrap();
    // Fill this thread's batch: the parent's next ids come from bytes already fetched.
    let first = MsgId::generate(&domain);
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: this binary runs one test; no other thread holds a lock the child needs.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let id = MsgId::generate(&domain);
        let b = id.as_str().as_bytes();
        // SAFETY: writes a live buffer to the pipe, then leaves without unwinding into the
        // test harness.
        unsafe {
            libc::write(fds[1], b.as_ptr().cast(), b.len());
            libc::_exit(0);
        }
    }
    // SAFETY: the write end belongs to the child now.
    unsafe { libc::close(fds[1]) };
    let parent: Vec<String> = (0..20)
        .map(|_| MsgId::generate(&domain).to_string())
        .collect();
    let mut buf = [0u8; 512];
    // SAFETY: reads into a live buffer of the given length.
    let n = unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), buf.len()) };
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let child = std::str::from_utf8(&buf[..usize::try_from(n).unwrap()]).unwrap();
    assert!(child.ends_with("@example.com>"), "{child:?}");
    assert_ne!(child, first.as_str());
    assert!(
        !parent.iter().any(|p| p == child),
        "the child repeated one of its parent's ids: {child}"
    );
}
