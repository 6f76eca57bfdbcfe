//! `payorch demo --headless` as a script meets it: the real binary runs the whole stack in one
//! process with an outage of the primary (by default, with nothing asked), and its JSON summary
//! shows no failed sale, the failovers, the breaker opening and closing, and every event
//! delivered. Bad flags exit 2 naming the flag. Every run gets its own TMPDIR, which must be
//! empty afterwards.

use crate::common;

use std::time::Instant;

use serde_json::Value;

/// `payorch demo ARGS…` with TMPDIR inside the test's env; returns the run and that TMPDIR.
fn demo(env: &common::Env, args: &[&str]) -> (common::Run, std::path::PathBuf) {
    let tmp = env.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = env.cmd();
    cmd.env("TMPDIR", &tmp).arg("demo").args(args);
    (common::Run(cmd.output().expect("run payorch demo")), tmp)
}

fn left_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// With no `--outage`, the headless run takes the primary down for the middle of the run
/// (4 s to 10 s of 20 s), as `cargo run --release -- demo` does without a terminal.
#[test]
fn an_outage_of_the_primary_fails_over_with_no_failed_sale_and_every_event_delivered() {
    let env = common::Env::new();
    let started = Instant::now();
    let (run, tmp) = demo(&env, &["--headless", "--duration", "20s", "-o", "json"]);
    eprintln!(
        "payorch demo --headless --duration 20s took {:?}",
        started.elapsed()
    );
    let s: Value = run.json();
    let c = &s["charges"];
    let e = &s["events"];
    assert_eq!(s["ok"], true, "{s:#}");
    assert!(c["created"].as_u64().unwrap() > 0, "{s:#}");
    assert!(c["pix"].as_u64().unwrap() > 0 && c["card"].as_u64().unwrap() > 0);
    assert_eq!(c["failed"], 0, "{s:#}");
    assert_eq!(
        c["requested"], c["created"],
        "every request got a charge: {s:#}"
    );
    assert!(s["failovers"].as_u64().unwrap() > 0, "{s:#}");
    // Efí took Pix and Asaas took cards while Stripe was down.
    assert!(s["by_gateway"]["efi"].as_u64().unwrap_or(0) > 0, "{s:#}");
    assert!(e["emitted"].as_u64().unwrap() > 0);
    assert_eq!(e["delivered"], e["emitted"], "{s:#}");
    assert_eq!(e["undelivered"], 0);
    assert_eq!(e["dlq"], 0);
    assert_eq!(e["queued"], 0);
    assert_eq!(e["bad_signatures"], 0);
    assert_eq!(e["repeated"], 0, "no news sent twice: {s:#}");
    assert!(
        e["by_type"]["charge.succeeded"].as_u64().unwrap_or(0) > 0,
        "paid Pix and approved cards: {s:#}"
    );
    // The outage as applied, and Stripe's breaker: opened during it, closed after it.
    assert_eq!(s["outages"][0]["gateway"], "stripe", "{s:#}");
    let (down, up) = (
        &s["outages"][0]["down_at_secs"],
        &s["outages"][0]["up_at_secs"],
    );
    assert!(down.as_f64().is_some_and(|t| t >= 4.0), "{s:#}");
    assert!(up.as_f64().is_some_and(|t| t >= 10.0), "{s:#}");
    let stripe: Vec<&Value> = s["breakers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["gateway"] == "stripe")
        .collect();
    let opened = stripe.iter().position(|b| b["to"] == "open");
    let closed = stripe.iter().rposition(|b| b["to"] == "closed");
    assert!(
        matches!((opened, closed), (Some(o), Some(c)) if o < c),
        "stripe's breaker opened and closed again: {s:#}"
    );
    assert!(left_in(&tmp).is_empty(), "left behind: {:?}", left_in(&tmp));
}

#[test]
fn keep_keeps_the_data_dir_and_names_it() {
    let env = common::Env::new();
    let (run, tmp) = demo(
        &env,
        &[
            "--headless",
            "--duration",
            "2s",
            "--seed",
            "7",
            "--keep",
            "--no-outage",
            "-o",
            "json",
        ],
    );
    let s: Value = run.json();
    assert_eq!(s["seed"], 7);
    assert_eq!(s["outages"], serde_json::json!([]), "--no-outage: {s:#}");
    let dir = std::path::PathBuf::from(s["data_dir"].as_str().expect("data_dir"));
    assert!(dir.starts_with(&tmp), "{dir:?} is not under TMPDIR");
    assert!(
        dir.join(payorch::config::SQLITE_FILE_NAME).exists(),
        "the store is kept: {:?}",
        left_in(&dir)
    );
}

#[test]
fn without_a_terminal_the_demo_runs_headless_instead_of_failing() {
    // `cargo run --release -- demo` from a script or CI: stdout is a pipe, so no dashboard.
    let env = common::Env::new();
    let (run, tmp) = demo(&env, &["--duration", "2s", "--seed", "11"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("not a terminal, so no dashboard"),
        "{}",
        run.stderr()
    );
    assert!(run.stdout().contains("failed        0"), "{}", run.stdout());
    // Even a first, short run shows the primary going down and coming back.
    assert!(
        run.stdout().contains("outages     stripe down "),
        "{}",
        run.stdout()
    );
    assert!(run.stderr().contains("--no-outage"), "{}", run.stderr());
    assert!(left_in(&tmp).is_empty(), "left behind: {:?}", left_in(&tmp));
}

#[test]
fn bad_flags_exit_2_naming_the_flag_and_leave_nothing() {
    let env = common::Env::new();
    for (args, flag) in [
        (&["--headless", "--outage", "nope:1s-2s"][..], "--outage"),
        (&["--headless", "--outage", "stripe:5s-3s"][..], "--outage"),
        (
            &[
                "--headless",
                "--duration",
                "10s",
                "--outage",
                "stripe:5s-12s",
            ][..],
            "--outage",
        ),
        (
            &[
                "--headless",
                "--outage",
                "stripe:1s-5s",
                "--outage",
                "stripe:4s-6s",
            ][..],
            "--outage",
        ),
        (&["--headless", "--duration", "0s"][..], "--duration"),
        (
            &["--headless", "--no-outage", "--outage", "stripe:1s-2s"][..],
            "--no-outage",
        ),
        (&["--headless", "--rate", "0"][..], "--rate"),
    ] {
        let (run, tmp) = demo(&env, args);
        let err = run.fails(2);
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(run.stdout().is_empty(), "{args:?}: {}", run.stdout());
        assert!(
            left_in(&tmp).is_empty(),
            "{args:?} left {:?}",
            left_in(&tmp)
        );
    }
}

/// The demo's own listeners (its `serve` and its merchant's receiver) hold `serve`'s connection
/// limits (issue 12, item 6): before, both were plain `axum::serve`, which took a 100 KB header
/// and waited on a `Content-Length: 999999999` that never came.
#[test]
fn the_demos_listeners_have_serves_limits() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    let env = common::Env::new();
    let tmp = env.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut child = env
        .cmd()
        .env("TMPDIR", &tmp)
        .args(["demo", "--headless", "--duration", "8s", "--no-outage"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run payorch demo");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut urls = Vec::new();
    let mut line = String::new();
    while urls.len() < 2 {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the demo ended before naming its listeners"
        );
        for what in ["api", "merchant"] {
            if let Some(url) = line
                .trim()
                .strip_prefix(&format!("payorch demo: {what} on "))
            {
                urls.push(url.to_string());
            }
        }
    }
    // Drain the rest of stderr so the demo never blocks on a full pipe.
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        rest
    });
    let answer = |url: &str, request: String| {
        let addr = url.trim_start_matches("http://");
        let addr = &addr[..addr.find('/').unwrap_or(addr.len())];
        let mut stream = TcpStream::connect(addr).unwrap();
        // Generous: a limit answers at once; without one, nothing comes for this long.
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let _ = stream.write_all(request.as_bytes());
        let mut buf = [0u8; 512];
        let n = stream.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    for url in &urls {
        let big = "a".repeat(100 * 1024);
        let status = answer(
            url,
            format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n"),
        );
        assert!(status.contains(" 431 "), "{url}: {status:?}");
        let path = if url.ends_with("/events") {
            "/events"
        } else {
            "/v1/charges"
        };
        let status = answer(
            url,
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n"
            ),
        );
        assert!(status.contains(" 413 "), "{url}: {status:?}");
    }
    let status = child.wait().unwrap();
    let rest = drain.join().unwrap();
    assert!(status.success(), "{rest}");
}
