//! `payorch events list|show|resend` with the real binary: a Pix charge created with
//! `payorch charge create --sandbox` leaves its `charge.requires_action` event in the log,
//! which the commands list, print and queue again; bad input exits 2, an unknown id 3.

use crate::common;

use payorch::clock::{Clock, SystemClock};
use payorch::store::DeliveryQueue;
use payorch::store::sqlite::SqliteStore;
use serde_json::Value;

/// A running `payorch sandbox`, killed on drop.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_list_show_and_resend_a_charges_event() {
    let env = common::Env::new();
    let sandbox = env.start_sandbox();
    let url = sandbox.url.clone();

    let charge = env
        .run(&[&common::PIX_CHARGE[..], &["--sandbox", &url, "-o", "json"]].concat())
        .json();
    let charge_id = charge["id"].as_str().expect("a charge id").to_string();

    // The listing shows the charge's event, filtered by type and by charge.
    let table = env.run(&["events", "list"]).ok();
    assert!(
        table.contains("charge.requires_action") && table.contains(&charge_id),
        "{table}"
    );
    let listed = env
        .run(&[
            "events",
            "list",
            "--type",
            "charge.requires_action",
            "--charge",
            &charge_id,
            "-o",
            "json",
        ])
        .json();
    let rows = listed["data"].as_array().expect("data").clone();
    assert_eq!(rows.len(), 1, "{listed}");
    assert_eq!(rows[0]["charge"], charge_id.as_str());
    assert_eq!(rows[0]["status"], "requires_action");
    let event_id = rows[0]["id"].as_str().expect("an event id").to_string();
    let none = env
        .run(&["events", "list", "--type", "charge.succeeded", "-o", "json"])
        .json();
    assert_eq!(none["data"].as_array().map(Vec::len), Some(0), "{none}");

    // `show` prints the event as delivered.
    let shown: Value =
        serde_json::from_str(&env.run(&["events", "show", &event_id]).ok()).expect("JSON");
    assert_eq!(shown["id"], event_id.as_str());
    assert_eq!(shown["type"], "charge.requires_action");
    assert_eq!(shown["data"]["charge"]["id"], charge_id.as_str());

    // `resend` queues the same event again, and is audited.
    let store = SqliteStore::open(&env.data_dir().join("payorch.db")).expect("store");
    let before = store
        .queue_stats(None, SystemClock.now())
        .await
        .expect("stats")
        .ready;
    env.run(&["events", "resend", &event_id]).ok();
    let after = store
        .queue_stats(None, SystemClock.now())
        .await
        .expect("stats")
        .ready;
    assert_eq!(after, before + 1, "one more message queued");
    let audit = env.run(&["audit", "list", "-o", "json"]).ok();
    assert!(
        audit.contains("events.resend") && audit.contains(&event_id),
        "{audit}"
    );

    // Bad input: 2. A well-formed id nobody has: 3.
    env.run(&["events", "list", "--type", "charge.exploded"])
        .fails(2);
    env.run(&["events", "show", "nonsense"]).fails(2);
    let unknown = "evt_01JCZZZZZZZZZZZZZZZZZZZZZZ";
    env.run(&["events", "show", unknown]).fails(3);
    env.run(&["events", "resend", unknown]).fails(3);
}
