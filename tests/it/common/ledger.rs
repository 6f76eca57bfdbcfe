//! The money invariants across processes, for crash tests and the soak: what every gateway's
//! fake holds (`GET /_sandbox/charges`, each gateway's own JSON, read with the adapters' own
//! status mappings) against what payorch's store says, and the events payorch logged. Both
//! judge with these functions, so "charged twice" and "left pending" mean one thing everywhere.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use payorch::gateway::{asaas, efi, stripe};
use payorch::id::{ChargeId, EventId};
use payorch::model::{Charge, ChargeStatus, Event, EventType, GatewayId, TenantId};
use payorch::store::sqlite::SqliteStore;
use payorch::store::{ChargeQuery, EventQuery, Page, Store};
use serde_json::Value;

/// One charge a gateway's fake holds, in payorch's vocabulary.
#[derive(Clone, Debug)]
pub struct Held {
    pub gateway: GatewayId,
    /// The gateway's id: `pi_…`, `pay_…`, a txid.
    pub reference: String,
    /// The payorch charge it was made for, from the tag each adapter sets: Stripe's
    /// `metadata.payorch_charge_id`, Asaas's `externalReference`, Efí's txid (derived from the
    /// charge id). `None`: no payorch charge made it.
    pub charge: Option<String>,
    /// The gateway's status mapped as payorch's adapter maps it (refunds are not looked at: these
    /// tests make none).
    pub status: ChargeStatus,
}

impl Held {
    /// Money moved: a captured card, a paid Pix or boleto.
    pub fn captured(&self) -> bool {
        self.status.is_paid()
    }
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.gateway, self.reference, self.status)
    }
}

/// Everything the sandbox's fakes hold. `known` are payorch's charges, to map Efí txids back.
pub async fn held(http: &reqwest::Client, sandbox_url: &str, known: &[Charge]) -> Vec<Held> {
    let body = http
        .get(format!("{sandbox_url}/_sandbox/charges"))
        .send()
        .await
        .expect("the sandbox answers")
        .bytes()
        .await
        .expect("the fakes' charges");
    let all: BTreeMap<String, Vec<Value>> =
        serde_json::from_slice(&body).expect("the fakes' charges as JSON");
    let txids: HashMap<String, String> = known
        .iter()
        .map(|c| (efi::wire::txid_for(&c.id), c.id.to_string()))
        .collect();
    let text = |v: &Value| v.as_str().map(str::to_string);
    let mut out = Vec::new();
    for (gateway, charges) in all {
        let gateway: GatewayId = gateway.parse().expect("a gateway id");
        for c in charges {
            let (reference, charge, status) = match gateway {
                GatewayId::Stripe => (
                    text(&c["id"]),
                    text(&c["metadata"][stripe::CHARGE_ID_METADATA]),
                    stripe::charge_status(
                        c["status"].as_str().unwrap_or_default(),
                        !c["last_payment_error"].is_null(),
                        stripe::RefundState::None,
                    ),
                ),
                GatewayId::Asaas => (
                    text(&c["id"]),
                    text(&c["externalReference"]),
                    asaas::charge_status(
                        c["status"].as_str().unwrap_or_default(),
                        c["deleted"].as_bool().unwrap_or(false),
                        0,
                        0,
                    ),
                ),
                GatewayId::Efi => {
                    let txid = text(&c["txid"]);
                    let charge = txid.as_ref().and_then(|t| txids.get(t).cloned());
                    let status = efi::wire::charge_status(c["status"].as_str().unwrap_or_default());
                    (txid, charge, status)
                }
            };
            out.push(Held {
                gateway,
                reference: reference.unwrap_or_else(|| panic!("{gateway} charge without id: {c}")),
                charge,
                status,
            });
        }
    }
    out
}

/// Every item of a listing, page after page: `page(cursor)` fetches the page after `cursor`.
async fn all_pages<T, F, Fut>(mut page: F) -> Vec<T>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Page<T>>,
{
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let p = page(cursor).await;
        out.extend(p.items);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

/// Every charge of the `default` tenant in the SQLite store at `db`, newest first.
pub async fn payorch_charges(db: &Path) -> Vec<Charge> {
    let store = SqliteStore::open(db).expect("open payorch's store");
    charges_in(&store).await
}

/// Every charge of the `default` tenant in `store` (any backend), newest first.
pub async fn charges_in(store: &dyn Store) -> Vec<Charge> {
    let tenant = TenantId::default_tenant();
    all_pages(|cursor| {
        let query = ChargeQuery {
            limit: 1000,
            starting_after: cursor.map(|c| ChargeId::parse(&c).expect("a cursor")),
            ..Default::default()
        };
        let tenant = &tenant;
        async move { store.list_charges(tenant, &query).await.expect("charges") }
    })
    .await
}

/// Every event of the `default` tenant in the SQLite store's event log, newest first.
pub async fn payorch_events(db: &Path) -> Vec<Event> {
    let store = SqliteStore::open(db).expect("open payorch's store");
    events_in(&store).await
}

/// Every event of the `default` tenant in `store`'s event log (any backend), newest first.
pub async fn events_in(store: &dyn Store) -> Vec<Event> {
    let tenant = TenantId::default_tenant();
    all_pages(|cursor| {
        let query = EventQuery {
            limit: 1000,
            starting_after: cursor.map(|c| EventId::parse(&c).expect("a cursor")),
            ..Default::default()
        };
        let tenant = &tenant;
        async move { store.list_events(tenant, &query).await.expect("events") }
    })
    .await
}

/// Not decided yet: `pending`, `processing` or `unknown`. After recovery has run, none may be.
pub fn unsettled(charges: &[Charge]) -> Vec<&Charge> {
    charges
        .iter()
        .filter(|c| {
            matches!(
                c.status(),
                ChargeStatus::Pending | ChargeStatus::Processing | ChargeStatus::Unknown
            )
        })
        .collect()
}

/// One charge for a message: id, status, where.
pub fn describe(c: &Charge) -> String {
    format!(
        "{} {} at {} {} (attempts: {})",
        c.id,
        c.status(),
        c.gateway.map(|g| g.as_str()).unwrap_or("-"),
        c.gateway_reference.as_deref().unwrap_or("-"),
        c.attempts
            .iter()
            .map(|a| format!("{} {}", a.gateway, a.outcome.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The money invariants, one line per violation: [`double_captures`], [`stray_captures`] and
/// [`state_mismatches`].
pub fn money_violations(charges: &[Charge], held: &[Held]) -> Vec<String> {
    let mut out = double_captures(held);
    out.extend(stray_captures(charges, held));
    out.extend(state_mismatches(charges, held));
    out
}

/// Payorch charge ids captured more than once, across all gateways.
pub fn double_captures(held: &[Held]) -> Vec<String> {
    let mut captures: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for h in held.iter().filter(|h| h.captured()) {
        if let Some(id) = &h.charge {
            captures.entry(id).or_default().push(h.to_string());
        }
    }
    captures
        .into_iter()
        .filter(|(_, hs)| hs.len() > 1)
        .map(|(id, hs)| format!("charge {id} captured {} times: {}", hs.len(), hs.join(", ")))
        .collect()
}

/// Captures that do not belong to a charge payorch reports paid at that gateway and reference.
pub fn stray_captures(charges: &[Charge], held: &[Held]) -> Vec<String> {
    let by_id: HashMap<String, &Charge> = charges.iter().map(|c| (c.id.to_string(), c)).collect();
    let mut out = Vec::new();
    for h in held.iter().filter(|h| h.captured()) {
        let Some(id) = &h.charge else {
            out.push(format!("{h}: a capture no payorch charge made"));
            continue;
        };
        match by_id.get(id) {
            None => out.push(format!(
                "{h}: captured for {id}, which payorch does not have"
            )),
            Some(c)
                if c.status().is_paid()
                    && c.gateway == Some(h.gateway)
                    && c.gateway_reference.as_deref() == Some(h.reference.as_str()) => {}
            Some(c) => out.push(format!(
                "{h}: captured for {id}, but payorch has {}",
                describe(c)
            )),
        }
    }
    out
}

/// Charges whose state is not the gateway's: paid without a reference, or a gateway reference
/// that the gateway does not hold or holds in another status.
pub fn state_mismatches(charges: &[Charge], held: &[Held]) -> Vec<String> {
    let mut out = Vec::new();
    for c in charges {
        let (Some(g), Some(reference)) = (c.gateway, c.gateway_reference.as_deref()) else {
            if c.status().is_paid() {
                out.push(format!("{}: paid with no gateway reference", describe(c)));
            }
            continue;
        };
        match held
            .iter()
            .find(|h| h.gateway == g && h.reference == reference)
        {
            Some(h) if h.status != c.status() => {
                out.push(format!("{}: the gateway says {}", describe(c), h.status))
            }
            Some(_) => {}
            None => out.push(format!("{}: the gateway holds no such charge", describe(c))),
        }
    }
    out
}

/// The events a charge's creation ends with: succeeded, failed or canceled.
fn is_final_event(kind: EventType) -> bool {
    matches!(
        kind,
        EventType::ChargeSucceeded | EventType::ChargeFailed | EventType::ChargeCanceled
    )
}

/// Every charge that ended (succeeded, failed, canceled) has exactly one final event in the
/// event log, and it is the event of its status. One line per violation.
pub fn event_violations(charges: &[Charge], events: &[Event]) -> Vec<String> {
    let mut finals: HashMap<&ChargeId, Vec<EventType>> = HashMap::new();
    for e in events.iter().filter(|e| is_final_event(e.kind)) {
        finals.entry(&e.data.charge.id).or_default().push(e.kind);
    }
    let mut out = Vec::new();
    for c in charges {
        let want = EventType::for_status(c.status());
        if !is_final_event(want) {
            continue;
        }
        let got = finals.get(&c.id).cloned().unwrap_or_default();
        if got != [want] {
            let got: Vec<&str> = got.iter().map(|k| k.as_str()).collect();
            out.push(format!(
                "{}: final events {got:?}, want exactly [{want}]",
                describe(c)
            ));
        }
    }
    out
}
