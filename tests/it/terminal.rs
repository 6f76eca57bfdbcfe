//! The dashboard on a real (pseudo-)terminal, as a person meets it: the real binary gets a pty
//! of 80×24 as stdin, stdout and stderr, draws, takes keys, and leaves the terminal as it was
//! (the alternate screen left, the cursor shown) when it quits. Key by key behaviour is tested
//! on the app state in `tui/tests/mod.rs`; this is the terminal's edge and the demo's `x` key.
//! Linux only (openpty from libc). Every wait is for a condition, bounded generously, so a
//! loaded machine is slow, not red.
#![cfg(target_os = "linux")]

use crate::common;

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const PATIENCE: Duration = Duration::from_secs(90);

/// A child process on the slave side of a pty; everything it writes is collected.
struct OnPty {
    child: Child,
    master: std::fs::File,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl OnPty {
    fn spawn(mut cmd: std::process::Command) -> OnPty {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two fds into the out-params; the name buffer and termios
        // are optional (null); `size` outlives the call.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both fds were just opened by openpty and are owned by nobody else.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let stdio = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup the pty"));
        cmd.env("TERM", "xterm-256color")
            .stdin(stdio(&slave))
            .stdout(stdio(&slave))
            .stderr(stdio(&slave));
        let child = cmd.spawn().expect("spawn payorch on a pty");
        drop(slave);
        let master = std::fs::File::from(master);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().expect("dup the master");
        let sink = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Ends with EIO once the child and every copy of the slave are gone.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        OnPty {
            child,
            master,
            seen,
        }
    }

    /// Every byte written so far, escape sequences included.
    fn output(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    /// The screen as a terminal shows it now (ratatui writes only changed cells, so words
    /// arrive apart in the byte stream; a VT parser puts them back together).
    fn screen(&self) -> String {
        let size = |n| std::num::NonZeroU16::new(n).expect("a size");
        let mut vt = vt100::Parser::new(size(24), size(80), 0);
        vt.process(&self.seen.lock().unwrap());
        vt.screen().contents()
    }

    /// Waits until the screen shows `text`.
    fn wait_for(&mut self, text: &str) {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("payorch exited ({status}) before showing {text:?}; the screen:\n{screen}");
            }
            assert!(
                started.elapsed() < PATIENCE,
                "no {text:?} within {PATIENCE:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn press(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).expect("type");
        self.master.flush().expect("type");
    }

    /// Waits for the exit and returns the code.
    fn exit_code(&mut self) -> i32 {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code().unwrap_or(-1);
            }
            if started.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("still running after {PATIENCE:?}:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for OnPty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Keep the fd alive until the child is gone (it is the child's terminal).
        let _ = self.master.as_raw_fd();
    }
}

const ENTER_ALTERNATE: &str = "\x1b[?1049h";
const LEAVE_ALTERNATE: &str = "\x1b[?1049l";
const SHOW_CURSOR: &str = "\x1b[?25h";

#[test]
fn the_dashboard_draws_takes_a_confirmed_key_and_gives_the_terminal_back() {
    let env = common::Env::new();
    env.run(&["init"]).ok();
    let mut cmd = env.cmd();
    cmd.args(["dashboard", "--refresh", "200ms"]);
    let mut tty = OnPty::spawn(cmd);
    tty.wait_for("Gateways (fleet-wide)");
    // `o` on the selected (first) gateway asks first; `y` forces stripe's breaker open.
    tty.press("o");
    tty.wait_for("y / Enter: do it");
    tty.press("y");
    tty.wait_for("forced open");
    tty.press("q");
    assert_eq!(tty.exit_code(), 0, "{}", tty.output());
    let out = tty.output();
    let left = out
        .rfind(LEAVE_ALTERNATE)
        .expect("the alternate screen is left");
    assert!(left > out.rfind(ENTER_ALTERNATE).unwrap(), "{out}");
    assert!(
        out[left..].contains(SHOW_CURSOR),
        "the cursor is shown again: {:?}",
        &out[left..]
    );

    // Through the store, as the CLI sees it: forced open, and audited with the dashboard's reason.
    let status: Value = env.run(&["breaker", "status", "-o", "json"]).json();
    let stripe = status
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["gateway"] == "stripe")
        .unwrap();
    assert_eq!(stripe["state"], "forced_open", "{status:#}");
    let audit: Value = env.run(&["audit", "list", "-o", "json"]).json();
    let open = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "breaker.open")
        .unwrap_or_else(|| panic!("no breaker.open in {audit:#}"));
    assert_eq!(open["target"], "stripe");
    assert!(
        open["reason"].as_str().unwrap().contains("dashboard"),
        "{open:#}"
    );
}

#[test]
fn the_interactive_demo_takes_the_primary_down_with_x_and_sums_up_on_q() {
    let env = common::Env::new();
    let tmp = env.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = env.cmd();
    cmd.env("TMPDIR", &tmp).args(["demo", "--seed", "5"]);
    let mut tty = OnPty::spawn(cmd);
    tty.wait_for("DEMO");
    tty.wait_for("requires_action");
    tty.press("x");
    tty.wait_for("stripe is down at");
    tty.wait_for("stripe DOWN");
    tty.press("x");
    tty.wait_for("stripe is back up at");
    tty.press("q");
    let code = tty.exit_code();
    let out = tty.output();
    assert_eq!(code, 0, "{out}");
    // The summary is printed on the normal screen, once the dashboard has given it back.
    let left = out
        .rfind(LEAVE_ALTERNATE)
        .expect("the screen is given back");
    let summary = &out[left..];
    assert!(summary.contains("outages     stripe down"), "{summary}");
    assert!(summary.contains("failed        0"), "{summary}");
    assert!(
        std::fs::read_dir(&tmp).unwrap().next().is_none(),
        "the demo's data dir is removed"
    );
}
