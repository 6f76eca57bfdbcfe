//! The demo's shoppers and their merchant: steady generated charges (Pix and card) sent
//! through the real HTTP API the way a careful merchant sends them (one `Idempotency-Key` per
//! charge, retried with the same key on a transport error, a 409 or a 5xx), and Pix payers who
//! pay a while later through the sandbox's pay control. A seedable xorshift makes a run
//! reproducible; nothing here reads the store.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinSet;

use payorch::model::PaymentMethod;
use payorch::secret::Secret;

/// Tries per charge: the first and three retries with the same key.
const TRIES: u32 = 4;
/// The wait before the first retry; doubled after each.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// One API call's time limit.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How many charges may be in flight (payers waiting included) before the pace yields.
const MAX_IN_FLIGHT: usize = 256;

/// xorshift64*: tiny, seedable, good enough to pick amounts and cards.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Never zero (xorshift's fixed point); spread small seeds.
        Rng((seed ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A seed from the OS, for runs without `--seed`.
pub fn random_seed() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        return 0x5EED;
    }
    u64::from_le_bytes(b)
}

/// One charge to send, and what its payer will do.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub n: u64,
    pub method: PaymentMethod,
    /// The request body of `POST /v1/charges`.
    pub body: Value,
    /// A Pix payer who pays this long after the charge is created.
    pub pays_after: Option<Duration>,
}

const NAMES: [&str; 8] = [
    "Maria Silva",
    "João Santos",
    "Ana Oliveira",
    "Pedro Souza",
    "Beatriz Lima",
    "Lucas Pereira",
    "Juliana Costa",
    "Rafael Almeida",
];

/// Stripe test cards the sandbox approves.
const APPROVED: [&str; 3] = ["pm_card_visa", "pm_card_mastercard", "pm_card_br"];

/// The `n`th charge of a run: ~60 % Pix (half of their payers pay after 1–3 s), ~40 % card
/// (one in ten declined by the issuer), BRL amounts from R$ 12,00 to R$ 480,00.
pub fn plan(rng: &mut Rng, n: u64) -> Planned {
    let name = NAMES[usize::try_from(rng.below(NAMES.len() as u64)).unwrap_or(0)];
    let customer = json!({
        "name": name,
        "document": cpf(rng),
        "email": format!("cliente{n}@example.com"),
    });
    let amount = 1200 + rng.below(468) * 100 + rng.below(10) * 10;
    let metadata = json!({
        "order_id": format!("demo-{n}"),
        "remote_ip": format!("203.0.113.{}", 1 + rng.below(254)),
    });
    if rng.chance(60) {
        let pays_after = rng
            .chance(50)
            .then(|| Duration::from_millis(1000 + rng.below(2001)));
        return Planned {
            n,
            method: PaymentMethod::Pix,
            body: json!({"amount": amount, "currency": "BRL", "method": "pix",
                         "customer": customer, "description": format!("Demo order {n}"),
                         "metadata": metadata}),
            pays_after,
        };
    }
    let (stripe, asaas) = if rng.chance(10) {
        (
            "pm_card_chargeDeclined".to_string(),
            payorch::sandbox::asaas::DECLINED_CARD_TOKEN.to_string(),
        )
    } else {
        let pick = usize::try_from(rng.below(APPROVED.len() as u64)).unwrap_or(0);
        (APPROVED[pick].to_string(), format!("demo-card-token-{n}"))
    };
    Planned {
        n,
        method: PaymentMethod::Card,
        body: json!({"amount": amount, "currency": "BRL", "method": "card",
                     "customer": customer, "description": format!("Demo order {n}"),
                     "metadata": metadata,
                     "card": {"tokens": {"stripe": stripe, "asaas": asaas}}}),
        pays_after: None,
    }
}

/// A valid, random CPF, formatted `000.000.000-00`.
pub fn cpf(rng: &mut Rng) -> String {
    let mut d: Vec<u64> = (0..9).map(|_| rng.below(10)).collect();
    if d.iter().all(|x| *x == d[0]) {
        // All-equal CPFs are invalid by definition.
        d[0] = (d[0] + 1) % 10;
    }
    for len in [9u64, 10] {
        let sum: u64 = d.iter().zip((2..=len + 1).rev()).map(|(x, w)| x * w).sum();
        let r = sum * 10 % 11;
        d.push(if r == 10 { 0 } else { r });
    }
    let s: String = d.iter().map(|x| x.to_string()).collect();
    format!("{}.{}.{}-{}", &s[0..3], &s[3..6], &s[6..9], &s[9..11])
}

/// What became of one charge request, as the merchant saw it.
#[derive(Clone, Debug, Default)]
pub struct Sent {
    pub n: u64,
    pub pix: bool,
    /// The charge id, when the API answered with a charge.
    pub charge: Option<String>,
    /// The last HTTP status (none: no answer at all).
    pub http_status: Option<u16>,
    /// Why there is no charge (the API's error message or the transport error).
    pub error: Option<String>,
    pub tries: u32,
    /// The charge's status in the answer.
    pub status: Option<String>,
    pub gateway: Option<String>,
    /// The answer's attempts show another gateway before the one that took it.
    pub failover: bool,
    /// The payer paid it through the sandbox.
    pub paid: bool,
    /// Seconds from the demo's start to the first try, and to its answer (retries replay
    /// that answer under the same key, or wait for it).
    pub sent_at_secs: f64,
    pub answered_at_secs: f64,
}

/// Where to send charges and payments.
#[derive(Clone)]
pub struct TrafficSettings {
    /// The demo's start, which `Sent`'s times count from.
    pub started: std::time::Instant,
    /// `http://127.0.0.1:PORT` of the merchant API.
    pub api_url: String,
    pub api_key: Secret,
    /// `http://127.0.0.1:PORT` of the sandbox (its `/_sandbox` control API).
    pub sandbox_url: String,
    /// Charges per second.
    pub rate: f64,
    pub seed: u64,
}

struct Shared {
    http: reqwest::Client,
    settings: TrafficSettings,
    sent: Mutex<Vec<Sent>>,
    in_flight: Mutex<JoinSet<()>>,
}

/// Running traffic; [`Traffic::stop`] ends it.
pub struct Traffic {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    pacer: tokio::task::JoinHandle<()>,
}

impl Traffic {
    pub fn start(settings: TrafficSettings) -> anyhow::Result<Traffic> {
        payorch::gateway::http::install_crypto_provider();
        let http = reqwest::Client::builder().timeout(CALL_TIMEOUT).build()?;
        let shared = Arc::new(Shared {
            http,
            settings,
            sent: Mutex::new(Vec::new()),
            in_flight: Mutex::new(JoinSet::new()),
        });
        let (stop, stopped) = watch::channel(false);
        let pacer = tokio::spawn(pace(shared.clone(), stopped));
        Ok(Traffic {
            shared,
            stop,
            pacer,
        })
    }

    /// Every answered request so far (a payer may still be about to pay).
    pub fn sent(&self) -> Vec<Sent> {
        self.shared
            .sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops sending new charges, lets the ones in flight (and their payers) finish within
    /// `bound`, abandons the rest, and returns every request's fate.
    pub async fn stop(mut self, bound: Duration) -> Vec<Sent> {
        let _ = self.stop.send(true);
        let _ = (&mut self.pacer).await;
        let mut set = std::mem::take(
            &mut *self
                .shared
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let drained =
            tokio::time::timeout(bound, async { while set.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(
                left = set.len(),
                "demo traffic: abandoning requests still in flight"
            );
            set.shutdown().await;
        }
        self.sent()
    }
}

async fn pace(shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let rate = shared.settings.rate.max(0.01);
    let mut rng = Rng::new(shared.settings.seed);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0u64;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => return,
        }
        if *stopped.borrow() {
            return;
        }
        let mut set = shared
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while set.try_join_next().is_some() {}
        if set.len() >= MAX_IN_FLIGHT {
            continue;
        }
        n += 1;
        let planned = plan(&mut rng, n);
        let task_shared = shared.clone();
        set.spawn(async move { send(&task_shared, planned).await });
    }
}

/// One charge, as a careful merchant sends it, recorded once answered; then (maybe) its
/// payer paying.
async fn send(shared: &Shared, planned: Planned) {
    let s = &shared.settings;
    let key = format!("demo-{:016x}-{}", s.seed, planned.n);
    let body = planned.body.to_string();
    let mut sent = Sent {
        n: planned.n,
        pix: planned.method == PaymentMethod::Pix,
        sent_at_secs: s.started.elapsed().as_secs_f64(),
        ..Sent::default()
    };
    let mut answer = Value::Null;
    for attempt in 0..TRIES {
        if attempt > 0 {
            tokio::time::sleep(FIRST_BACKOFF * 2u32.pow(attempt - 1)).await;
        }
        sent.tries = attempt + 1;
        let response = shared
            .http
            .post(format!("{}/v1/charges", s.api_url))
            .bearer_auth(s.api_key.expose())
            .header("Idempotency-Key", &key)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        if attempt == 0 {
            sent.answered_at_secs = s.started.elapsed().as_secs_f64();
        }
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                sent.http_status = None;
                sent.error = Some(format!("no answer: {e}"));
                continue;
            }
        };
        let status = response.status().as_u16();
        sent.http_status = Some(status);
        answer = response
            .bytes()
            .await
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        if status == 409 || status >= 500 {
            sent.error = Some(error_text(status, &answer));
            continue;
        }
        break;
    }
    if sent.http_status.is_some_and(|s| (200..300).contains(&s)) {
        sent.error = None;
        sent.charge = answer["id"].as_str().map(str::to_string);
        sent.status = answer["status"].as_str().map(str::to_string);
        sent.gateway = answer["gateway"].as_str().map(str::to_string);
        sent.failover = answer["attempts"].as_array().is_some_and(|attempts| {
            attempts
                .iter()
                .any(|a| a["gateway"].as_str() != sent.gateway.as_deref())
        });
    } else if sent.error.is_none() {
        sent.error = Some(error_text(sent.http_status.unwrap_or(0), &answer));
    }
    let payer = match (
        planned.pays_after,
        sent.status.as_deref(),
        sent.gateway.clone(),
        answer["gateway_reference"].as_str(),
    ) {
        (Some(after), Some("requires_action"), Some(gateway), Some(reference)) => {
            Some((after, gateway, reference.to_string()))
        }
        _ => None,
    };
    let index = {
        let mut all = shared.sent.lock().unwrap_or_else(PoisonError::into_inner);
        all.push(sent);
        all.len() - 1
    };
    if let Some((after, gateway, reference)) = payer {
        tokio::time::sleep(after).await;
        let paid = pay(shared, &gateway, &reference).await;
        if let Some(s) = shared
            .sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(index)
        {
            s.paid = paid;
        }
    }
}

fn error_text(status: u16, answer: &Value) -> String {
    match answer["error"]["message"].as_str() {
        Some(m) => format!("{status}: {m}"),
        None => format!("{status}"),
    }
}

/// The payer pays: the sandbox marks the charge paid and sends its gateway's webhook.
async fn pay(shared: &Shared, gateway: &str, reference: &str) -> bool {
    let url = format!(
        "{}/_sandbox/{gateway}/charges/{reference}/pay",
        shared.settings.sandbox_url
    );
    match shared.http.post(url).send().await {
        Ok(r) if r.status().is_success() => true,
        Ok(r) => {
            tracing::warn!(%gateway, %reference, status = %r.status(), "demo payer: the sandbox refused the payment");
            false
        }
        Err(e) => {
            tracing::warn!(%gateway, %reference, error = %e, "demo payer: the sandbox did not answer");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_the_same_traffic() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let first: Vec<Planned> = (1..=50).map(|n| plan(&mut a, n)).collect();
        let again: Vec<Planned> = (1..=50).map(|n| plan(&mut b, n)).collect();
        assert_eq!(first, again);
        let mut c = Rng::new(8);
        let other: Vec<Planned> = (1..=50).map(|n| plan(&mut c, n)).collect();
        assert_ne!(first, other);
    }

    #[test]
    fn the_mix_is_mostly_pix_with_some_payers_and_some_declines() {
        let mut rng = Rng::new(42);
        let all: Vec<Planned> = (1..=1000).map(|n| plan(&mut rng, n)).collect();
        let pix = all
            .iter()
            .filter(|p| p.method == PaymentMethod::Pix)
            .count();
        assert!((500..700).contains(&pix), "{pix} Pix of 1000");
        let paying = all.iter().filter(|p| p.pays_after.is_some()).count();
        assert!(paying > pix / 3 && paying < pix * 2 / 3, "{paying} payers");
        let declining = all
            .iter()
            .filter(|p| p.body["card"]["tokens"]["stripe"] == "pm_card_chargeDeclined")
            .count();
        assert!(declining > 10 && declining < 80, "{declining} declines");
        for p in &all {
            let amount = p.body["amount"].as_i64().unwrap();
            assert!((1200..=48_000).contains(&amount), "{amount}");
            let after = p.pays_after.unwrap_or(Duration::from_secs(1));
            assert!(after >= Duration::from_secs(1) && after <= Duration::from_secs(3));
        }
    }

    #[test]
    fn generated_cpfs_are_valid() {
        let mut rng = Rng::new(1);
        for _ in 0..200 {
            let c = cpf(&mut rng);
            payorch::model::Document::parse(&c, payorch::model::Currency::Brl)
                .unwrap_or_else(|e| panic!("{c}: {e}"));
        }
    }
}
