//! `PAYORCH_FAILPOINTS` in a real (debug) binary: the process aborts at the named crash point
//! like `kill -9`, leaving the write-ahead record that `payorch reconcile` then finishes from;
//! and a misspelt point is refused instead of silently never firing.

use crate::common;

use common::Env;
use common::PIX_CHARGE as PIX;

#[test]
fn a_process_aborted_at_a_crash_point_is_finished_by_the_reconciler() {
    let env = Env::new();
    env.run(&["init"]).ok();
    let sandbox = env.start_sandbox();
    let out = env
        .cmd()
        .args(PIX)
        .args(["--sandbox", &sandbox.url, "--idempotency-key", "fp-1"])
        .env("PAYORCH_FAILPOINTS", "charge.attempt_recorded")
        .output()
        .expect("run payorch");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it should have aborted: {stderr}");
    assert!(
        stderr.contains("crash point `charge.attempt_recorded`"),
        "{stderr}"
    );

    // The pending charge names the call it was about to make.
    let listed = env.run(&["charge", "list", "-o", "json"]).json();
    let charge = &listed["data"][0];
    assert_eq!(charge["status"], "pending", "{listed}");
    assert_eq!(charge["attempts"][0]["outcome"], "in_flight", "{listed}");
    assert!(charge["attempts"][0]["idempotency_key"].is_string());

    // Once its holder counts as dead, the reconciler asks the gateway (nothing was sent) and
    // finishes the charge.
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let r = env
        .cmd()
        .args(["reconcile", "--sandbox", &sandbox.url, "-o", "json"])
        .env("PAYORCH_IDEMPOTENCY_LEASE", "1s")
        .env("PAYORCH_RECOVERY_LOOKUP_GRACE", "0s")
        .output()
        .expect("run payorch reconcile");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let got = env
        .run(&[
            "charge",
            "get",
            charge["id"].as_str().unwrap(),
            "-o",
            "json",
        ])
        .json();
    assert_eq!(got["status"], "failed", "{got}");
}

#[test]
fn a_misspelt_crash_point_is_refused() {
    let env = Env::new();
    env.run(&["init"]).ok();
    let out = env
        .cmd()
        .args(PIX)
        .env("PAYORCH_FAILPOINTS", "charge.atempt_recorded")
        .output()
        .expect("run payorch");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("unknown crash point"), "{stderr}");
}
