//! Routing: which gateways, in which order, for one charge. A tenant's [`RoutingTable`]
//! (primary + ordered fallbacks, stored and cached by [`Routing`]) and the pure planner [`plan`]
//! that turns it into the list of gateways to try. Not here: the circuit breaker (the
//! orchestrator asks it about each planned gateway at call time) and calling gateways.
//!
//! Decisions:
//! - Only the table's gateways are tried (primary, then fallbacks in order). A gateway that is
//!   built but not in the table is never used unless a charge pins it: an operator who leaves a
//!   gateway out of the table means it.
//! - A pinned gateway (`"gateway": "efi"` on a charge) is the only one tried, whether or not it
//!   is in the table; if it cannot take the charge, [`NoRoute`] says why.
//! - A table's [`Strategy`] orders the gateways that can take a charge: `ordered` (the table's
//!   order) or `cheapest` (the fee schedule's estimate for the charge, cheapest first; ties and
//!   gateways the schedule has no estimate for keep the table's order, the latter after all the
//!   others). See [`order_by_strategy`].
//! - The planner does not consult breakers: their state changes between planning and calling,
//!   so the orchestrator asks the breaker of each planned gateway just before it calls it.

mod service;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::gateway::Capabilities;
use crate::gateway::registry::Gateways;
use crate::model::{Currency, FeeSchedule, GatewayId, Money, PaymentMethod};

pub use service::{Change, Current, MAX_AGE, Routing, RoutingDefaults, RoutingError};

/// How the gateways that can take a charge are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The table's order: primary, then the fallbacks.
    #[default]
    Ordered,
    /// Cheapest estimated fee first (`[fees]`), the table's order breaking ties.
    Cheapest,
}

impl Strategy {
    pub const ALL: [Strategy; 2] = [Strategy::Ordered, Strategy::Cheapest];

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Ordered => "ordered",
            Strategy::Cheapest => "cheapest",
        }
    }

    fn is_ordered(&self) -> bool {
        *self == Strategy::Ordered
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A routing strategy payorch does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown routing strategy `{0}`: use ordered or cheapest")]
pub struct UnknownStrategy(pub String);

impl std::str::FromStr for Strategy {
    type Err = UnknownStrategy;
    fn from_str(s: &str) -> Result<Self, UnknownStrategy> {
        Strategy::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStrategy(s.to_string()))
    }
}

/// A tenant's primary gateway, ordered fallbacks and [`Strategy`]. Always valid: no gateway
/// twice, the primary not among the fallbacks (also when read back from the store). Stored
/// without `strategy` when it is `ordered`, so a binary older than strategies reads it; a
/// stored table without one is `ordered`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawTable")]
pub struct RoutingTable {
    primary: GatewayId,
    fallbacks: Vec<GatewayId>,
    #[serde(default, skip_serializing_if = "Strategy::is_ordered")]
    strategy: Strategy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    primary: GatewayId,
    #[serde(default)]
    fallbacks: Vec<GatewayId>,
    #[serde(default)]
    strategy: Strategy,
}

impl TryFrom<RawTable> for RoutingTable {
    type Error = TableError;
    fn try_from(raw: RawTable) -> Result<Self, TableError> {
        Ok(RoutingTable::new(raw.primary, raw.fallbacks)?.with_strategy(raw.strategy))
    }
}

/// Why a routing table is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("{gateway} is listed twice among the fallbacks")]
    DuplicateFallback { gateway: GatewayId },
    #[error("{gateway} is the primary and cannot also be a fallback")]
    PrimaryAmongFallbacks { gateway: GatewayId },
}

impl RoutingTable {
    pub fn new(primary: GatewayId, fallbacks: Vec<GatewayId>) -> Result<Self, TableError> {
        if fallbacks.contains(&primary) {
            return Err(TableError::PrimaryAmongFallbacks { gateway: primary });
        }
        for (i, g) in fallbacks.iter().enumerate() {
            if fallbacks[..i].contains(g) {
                return Err(TableError::DuplicateFallback { gateway: *g });
            }
        }
        Ok(RoutingTable {
            primary,
            fallbacks,
            strategy: Strategy::Ordered,
        })
    }

    /// This table with `strategy`.
    pub fn with_strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    pub fn primary(&self) -> GatewayId {
        self.primary
    }

    pub fn fallbacks(&self) -> &[GatewayId] {
        &self.fallbacks
    }

    /// Primary first, then the fallbacks in order.
    pub fn order(&self) -> impl Iterator<Item = GatewayId> + '_ {
        std::iter::once(self.primary).chain(self.fallbacks.iter().copied())
    }

    /// Where `gateway` stands in this table.
    pub fn role(&self, gateway: GatewayId) -> Role {
        if gateway == self.primary {
            return Role::Primary;
        }
        match self.fallbacks.iter().position(|g| *g == gateway) {
            Some(i) => Role::Fallback(i + 1),
            None => Role::NotRouted,
        }
    }

    /// `gateway` becomes the primary; the old primary becomes the first fallback (it was good
    /// enough to be first a moment ago), and `gateway` leaves the fallbacks. The rest keep
    /// their order.
    pub fn switched_to(&self, gateway: GatewayId) -> RoutingTable {
        if gateway == self.primary {
            return self.clone();
        }
        let fallbacks = std::iter::once(self.primary)
            .chain(self.fallbacks.iter().copied().filter(|g| *g != gateway))
            .collect();
        RoutingTable {
            primary: gateway,
            fallbacks,
            strategy: self.strategy,
        }
    }
}

impl fmt::Display for RoutingTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "primary {}", self.primary)?;
        if self.fallbacks.is_empty() {
            f.write_str(", no fallbacks")?;
        } else {
            let list: Vec<&str> = self.fallbacks.iter().map(|g| g.as_str()).collect();
            write!(f, ", fallbacks {}", list.join(", "))?;
        }
        match self.strategy {
            Strategy::Ordered => Ok(()),
            Strategy::Cheapest => f.write_str(", cheapest first"),
        }
    }
}

/// A gateway's place in a routing table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Primary,
    /// 1-based position among the fallbacks.
    Fallback(usize),
    NotRouted,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Primary => f.write_str("primary"),
            Role::Fallback(n) => write!(f, "fallback {n}"),
            Role::NotRouted => f.write_str("not routed"),
        }
    }
}

/// What the planner knows of each gateway: built, with what it can take, or left out and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    available: Vec<(GatewayId, Capabilities)>,
    unavailable: Vec<(GatewayId, String)>,
}

impl Candidates {
    /// The registry's view: built adapters and their capabilities, and why the others are not.
    pub fn from_gateways(gateways: &Gateways) -> Self {
        Candidates {
            available: gateways
                .available
                .iter()
                .map(|(id, g)| (*id, g.capabilities()))
                .collect(),
            unavailable: gateways
                .unavailable
                .iter()
                .map(|(id, why)| (*id, why.clone()))
                .collect(),
        }
    }

    pub fn available(mut self, id: GatewayId, capabilities: Capabilities) -> Self {
        self.available.push((id, capabilities));
        self
    }

    pub fn unavailable(mut self, id: GatewayId, reason: impl Into<String>) -> Self {
        self.unavailable.push((id, reason.into()));
        self
    }

    fn capabilities(&self, id: GatewayId) -> Result<&Capabilities, Exclusion> {
        if let Some((_, caps)) = self.available.iter().find(|(g, _)| *g == id) {
            return Ok(caps);
        }
        let detail = self
            .unavailable
            .iter()
            .find(|(g, _)| *g == id)
            .map_or_else(|| "not configured".to_string(), |(_, why)| why.clone());
        Err(Exclusion::Unavailable { detail })
    }
}

/// Why one gateway was left out of a charge's plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Exclusion {
    /// Not built: disabled, missing credentials, a bad certificate.
    Unavailable { detail: String },
    /// It does not take this payment method.
    MethodNotSupported { method: PaymentMethod },
    /// It takes the method, but not in this currency.
    CurrencyNotSupported { currency: Currency },
    /// A card charge carries no token for this gateway.
    NoCardToken,
}

impl Exclusion {
    /// The charge asked for something this gateway cannot do (as opposed to the gateway being
    /// out of service).
    fn is_about_the_charge(&self) -> bool {
        !matches!(self, Exclusion::Unavailable { .. })
    }
}

impl fmt::Display for Exclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exclusion::Unavailable { detail } => write!(f, "unavailable ({detail})"),
            Exclusion::MethodNotSupported { method } => write!(f, "does not take {method}"),
            Exclusion::CurrencyNotSupported { currency } => write!(f, "does not take {currency}"),
            Exclusion::NoCardToken => f.write_str("the card has no token for it"),
        }
    }
}

/// A gateway left out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Excluded {
    pub gateway: GatewayId,
    #[serde(flatten)]
    pub why: Exclusion,
}

/// No gateway can take the charge. Lists every gateway considered and why it was left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct NoRoute {
    pub method: PaymentMethod,
    pub currency: Currency,
    /// The gateway the charge pinned, if it did.
    pub pinned: Option<GatewayId>,
    /// In the order they were considered.
    pub excluded: Vec<Excluded>,
}

impl NoRoute {
    /// True when no gateway takes what the charge asks for (method, currency, a card token):
    /// the merchant's request must change (HTTP 422). False when at least one gateway was left
    /// out for being out of service, which an operator can fix (HTTP 503).
    pub fn is_charge_problem(&self) -> bool {
        self.excluded.iter().all(|e| e.why.is_about_the_charge())
    }
}

impl fmt::Display for NoRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = format!("{} charge in {}", self.method, self.currency);
        match self.pinned {
            Some(g) => write!(f, "the pinned gateway {g} cannot take this {what}: ")?,
            None => write!(f, "no gateway can take this {what}: ")?,
        }
        let parts: Vec<String> = self
            .excluded
            .iter()
            .map(|e| format!("{} {}", e.gateway, e.why))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// The gateways to try for one charge, in order: the table's primary then fallbacks (or only
/// `pinned`), keeping those that are built, take `method` in `currency`, and, for a card
/// charge, have a card token (`has_token`). Breakers are not consulted (see the module docs).
pub fn plan(
    table: &RoutingTable,
    candidates: &Candidates,
    method: PaymentMethod,
    currency: Currency,
    pinned: Option<GatewayId>,
    has_token: impl Fn(GatewayId) -> bool,
) -> Result<Vec<GatewayId>, NoRoute> {
    let considered: Vec<GatewayId> = match pinned {
        Some(g) => vec![g],
        None => table.order().collect(),
    };
    let mut planned = Vec::new();
    let mut excluded = Vec::new();
    for gateway in considered {
        let verdict = candidates.capabilities(gateway).and_then(|caps| {
            if !caps.methods.contains(&method) {
                Err(Exclusion::MethodNotSupported { method })
            } else if !caps.supports(method, currency) {
                Err(Exclusion::CurrencyNotSupported { currency })
            } else if method == PaymentMethod::Card && !has_token(gateway) {
                Err(Exclusion::NoCardToken)
            } else {
                Ok(())
            }
        });
        match verdict {
            Ok(()) => planned.push(gateway),
            Err(why) => excluded.push(Excluded { gateway, why }),
        }
    }
    if planned.is_empty() {
        return Err(NoRoute {
            method,
            currency,
            pinned,
            excluded,
        });
    }
    Ok(planned)
}

/// `planned` (the output of [`plan`]) in the order `strategy` asks for. `cheapest`: by the
/// estimated fee of a `method` charge of `money` at each gateway (`fees`), cheapest first; a
/// stable sort, so ties keep the table's order, and gateways with no estimate (no rate, or a
/// rate in another currency) come after all those with one, in the table's order. A single
/// (e.g. pinned) gateway stays as it is.
pub fn order_by_strategy(
    strategy: Strategy,
    mut planned: Vec<GatewayId>,
    fees: &FeeSchedule,
    method: PaymentMethod,
    money: Money,
) -> Vec<GatewayId> {
    if strategy == Strategy::Cheapest {
        planned.sort_by_key(|g| match fees.estimate(*g, method, money) {
            Some(fee) => (0, fee.amount),
            None => (1, 0),
        });
    }
    planned
}

#[cfg(test)]
mod tests {
    use super::*;
    use GatewayId::{Asaas, Efi, Stripe};

    /// The three real adapters (never called), so the planner sees the capabilities they
    /// declare.
    fn all_available() -> Candidates {
        use crate::gateway::Gateway;
        use crate::gateway::settings::GatewaysConfig;
        use crate::gateway::{asaas, efi, stripe};
        use crate::secret::Secret;
        use std::sync::Arc;

        let mut config = GatewaysConfig::default();
        config.efi.base_url = "http://127.0.0.1:9".into();
        config.efi.pix_key = Some("pix@example.com".into());
        let built: [Arc<dyn Gateway>; 3] = [
            Arc::new(
                stripe::StripeGateway::new(
                    &config.stripe,
                    stripe::StripeCredentials {
                        secret_key: Secret::new("sk_test_routing"),
                        webhook_secret: None,
                    },
                )
                .unwrap(),
            ),
            Arc::new(
                efi::EfiGateway::new(
                    &config.efi,
                    efi::EfiCredentials {
                        client_id: Secret::new("Client_Id_routing"),
                        client_secret: Secret::new("Client_Secret_routing"),
                        webhook_hmac: None,
                    },
                )
                .unwrap(),
            ),
            Arc::new(
                asaas::AsaasGateway::new(
                    &config.asaas,
                    asaas::AsaasCredentials {
                        api_key: Secret::new("$aact_routing"),
                        webhook_token: None,
                    },
                )
                .unwrap(),
            ),
        ];
        let gateways = Gateways {
            available: built.into_iter().map(|g| (g.id(), g)).collect(),
            unavailable: Default::default(),
        };
        Candidates::from_gateways(&gateways)
    }

    fn efi() -> Capabilities {
        Capabilities {
            methods: vec![PaymentMethod::Pix],
            currencies: vec![Currency::Brl],
            partial_refunds: true,
            method_currencies: Vec::new(),
            refund_resend_is_idempotent: true,
            create_resend_is_idempotent: true,
            fee_on_read: false,
        }
    }

    fn table(primary: GatewayId, fallbacks: &[GatewayId]) -> RoutingTable {
        RoutingTable::new(primary, fallbacks.to_vec()).unwrap()
    }

    fn any_token(_: GatewayId) -> bool {
        true
    }

    #[test]
    fn tables_refuse_duplicates_and_a_primary_among_fallbacks() {
        assert_eq!(
            RoutingTable::new(Stripe, vec![Efi, Efi]),
            Err(TableError::DuplicateFallback { gateway: Efi })
        );
        assert_eq!(
            RoutingTable::new(Stripe, vec![Efi, Stripe]),
            Err(TableError::PrimaryAmongFallbacks { gateway: Stripe })
        );
        let t = RoutingTable::new(Efi, vec![]).unwrap();
        assert_eq!(t.order().collect::<Vec<_>>(), [Efi]);
        assert_eq!(t.to_string(), "primary efi, no fallbacks");
    }

    #[test]
    fn a_stored_table_is_validated_when_read() {
        let ok: RoutingTable =
            serde_json::from_str(r#"{"primary":"efi","fallbacks":["stripe"]}"#).unwrap();
        assert_eq!(ok, table(Efi, &[Stripe]));
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            serde_json::json!({"primary": "efi", "fallbacks": ["stripe"]})
        );
        let dup = serde_json::from_str::<RoutingTable>(
            r#"{"primary":"efi","fallbacks":["stripe","stripe"]}"#,
        )
        .unwrap_err();
        assert!(dup.to_string().contains("listed twice"), "{dup}");
        assert!(serde_json::from_str::<RoutingTable>(r#"{"primary":"paypal"}"#).is_err());
        assert!(serde_json::from_str::<RoutingTable>(r#"{"primary":"efi","extra":1}"#).is_err());
    }

    #[test]
    fn roles_and_switching() {
        let t = table(Stripe, &[Efi, Asaas]);
        assert_eq!(t.role(Stripe), Role::Primary);
        assert_eq!(t.role(Asaas), Role::Fallback(2));
        assert_eq!(table(Stripe, &[Efi]).role(Asaas), Role::NotRouted);
        assert_eq!(t.switched_to(Efi), table(Efi, &[Stripe, Asaas]));
        assert_eq!(t.switched_to(Asaas), table(Asaas, &[Stripe, Efi]));
        assert_eq!(t.switched_to(Stripe), t);
        // A gateway outside the table can become primary; the old primary heads the fallbacks.
        assert_eq!(
            table(Stripe, &[Efi]).switched_to(Asaas),
            table(Asaas, &[Stripe, Efi])
        );
        assert_eq!(Role::Fallback(1).to_string(), "fallback 1");
    }

    #[test]
    fn order_is_the_tables_order() {
        let c = all_available();
        let pix =
            |t: &RoutingTable| plan(t, &c, PaymentMethod::Pix, Currency::Brl, None, any_token);
        assert_eq!(
            pix(&table(Stripe, &[Efi, Asaas])).unwrap(),
            [Stripe, Efi, Asaas]
        );
        assert_eq!(
            pix(&table(Asaas, &[Stripe, Efi])).unwrap(),
            [Asaas, Stripe, Efi]
        );
        // Only the table's gateways: efi takes Pix, but it is not routed.
        assert_eq!(pix(&table(Asaas, &[Stripe])).unwrap(), [Asaas, Stripe]);
    }

    #[test]
    fn method_and_currency_filter_with_the_adapters_capabilities() {
        let c = all_available();
        let t = table(Efi, &[Stripe, Asaas]);
        let go = |m, cur| plan(&t, &c, m, cur, None, any_token);
        assert_eq!(go(PaymentMethod::Boleto, Currency::Brl).unwrap(), [Asaas]);
        assert_eq!(
            go(PaymentMethod::Card, Currency::Brl).unwrap(),
            [Stripe, Asaas]
        );
        assert_eq!(go(PaymentMethod::Card, Currency::Usd).unwrap(), [Stripe]);
        // Stripe takes USD cards, but its Pix is BRL only: nobody can take a USD Pix.
        let err = go(PaymentMethod::Pix, Currency::Usd).unwrap_err();
        assert!(err.is_charge_problem());
        assert!(err.excluded.contains(&Excluded {
            gateway: Stripe,
            why: Exclusion::CurrencyNotSupported {
                currency: Currency::Usd
            }
        }));

        let err = go(PaymentMethod::Boleto, Currency::Usd).unwrap_err();
        assert_eq!(
            err.excluded,
            [
                Excluded {
                    gateway: Efi,
                    why: Exclusion::MethodNotSupported {
                        method: PaymentMethod::Boleto
                    }
                },
                Excluded {
                    gateway: Stripe,
                    why: Exclusion::MethodNotSupported {
                        method: PaymentMethod::Boleto
                    }
                },
                Excluded {
                    gateway: Asaas,
                    why: Exclusion::CurrencyNotSupported {
                        currency: Currency::Usd
                    }
                },
            ]
        );
        assert!(err.is_charge_problem());
        assert_eq!(
            err.to_string(),
            "no gateway can take this boleto charge in USD: efi does not take boleto; \
             stripe does not take boleto; asaas does not take USD"
        );
    }

    #[test]
    fn a_card_charge_goes_only_where_it_has_a_token() {
        let c = all_available();
        let t = table(Stripe, &[Efi, Asaas]);
        let only_asaas = |g: GatewayId| g == Asaas;
        assert_eq!(
            plan(&t, &c, PaymentMethod::Card, Currency::Brl, None, only_asaas).unwrap(),
            [Asaas]
        );
        let err = plan(&t, &c, PaymentMethod::Card, Currency::Brl, None, |_| false).unwrap_err();
        assert_eq!(err.excluded[0].why, Exclusion::NoCardToken);
        assert!(err.is_charge_problem());
        // Tokens do not matter for Pix.
        assert_eq!(
            plan(&t, &c, PaymentMethod::Pix, Currency::Brl, None, |_| false).unwrap(),
            [Stripe, Efi, Asaas]
        );
    }

    #[test]
    fn unavailable_gateways_are_skipped_with_the_registrys_reason() {
        let c = Candidates::default()
            .unavailable(Stripe, "stripe secret_key is not set")
            .available(Efi, efi());
        let t = table(Stripe, &[Efi, Asaas]);
        assert_eq!(
            plan(&t, &c, PaymentMethod::Pix, Currency::Brl, None, any_token).unwrap(),
            [Efi]
        );
        let err = plan(&t, &c, PaymentMethod::Card, Currency::Brl, None, any_token).unwrap_err();
        assert!(!err.is_charge_problem(), "an operator can fix this: 503");
        let text = err.to_string();
        assert!(
            text.contains("stripe unavailable (stripe secret_key is not set)"),
            "{text}"
        );
        assert!(
            text.contains("asaas unavailable (not configured)"),
            "{text}"
        );
        assert!(text.contains("efi does not take card"), "{text}");
    }

    #[test]
    fn a_pin_means_only_that_gateway_in_or_out_of_the_table() {
        let c = all_available();
        let t = table(Stripe, &[Efi]);
        let pin = |g, m| plan(&t, &c, m, Currency::Brl, Some(g), any_token);
        assert_eq!(pin(Efi, PaymentMethod::Pix).unwrap(), [Efi]);
        assert_eq!(pin(Asaas, PaymentMethod::Boleto).unwrap(), [Asaas]);
        let err = pin(Efi, PaymentMethod::Card).unwrap_err();
        assert_eq!(err.pinned, Some(Efi));
        assert_eq!(
            err.to_string(),
            "the pinned gateway efi cannot take this card charge in BRL: efi does not take card"
        );
        let no_token = plan(
            &t,
            &c,
            PaymentMethod::Card,
            Currency::Brl,
            Some(Stripe),
            |g| g == Asaas,
        )
        .unwrap_err();
        assert_eq!(no_token.excluded.len(), 1);
        assert_eq!(no_token.excluded[0].why, Exclusion::NoCardToken);
    }

    fn brl(minor: i64) -> Money {
        Money::from_minor(minor, Currency::Brl).unwrap()
    }

    fn rate(percent: &str, fixed: u32, currency: Currency) -> crate::model::FeeRate {
        crate::model::FeeRate {
            percent: percent.parse().unwrap(),
            fixed,
            currency,
        }
    }

    /// Card: stripe 3.99 % + 0.39, asaas 2.99 % + 0.49, efi none. Pix: stripe and efi 1.19 %.
    fn schedule() -> FeeSchedule {
        use std::collections::BTreeMap;
        let mut s = FeeSchedule::default();
        s.0.insert(
            Stripe,
            BTreeMap::from([
                (PaymentMethod::Card, rate("3.99", 39, Currency::Brl)),
                (PaymentMethod::Pix, rate("1.19", 0, Currency::Brl)),
            ]),
        );
        s.0.insert(
            Asaas,
            BTreeMap::from([(PaymentMethod::Card, rate("2.99", 49, Currency::Brl))]),
        );
        s.0.insert(
            Efi,
            BTreeMap::from([(PaymentMethod::Pix, rate("1.19", 0, Currency::Brl))]),
        );
        s
    }

    #[test]
    fn cheapest_orders_by_the_estimate_ties_and_unknowns_keep_the_tables_order() {
        let c = all_available();
        let fees = schedule();
        let go = |t: &RoutingTable, m, money: Money, pinned| {
            let planned = plan(t, &c, m, money.currency(), pinned, any_token).unwrap();
            order_by_strategy(t.strategy(), planned, &fees, m, money)
        };
        let cheapest = |p, f: &[GatewayId]| table(p, f).with_strategy(Strategy::Cheapest);
        // Card R$ 100,00: asaas 299 + 49 = 348 < stripe 399 + 39 = 438; efi takes no card
        // (capabilities filter first, whatever the fees).
        let t = cheapest(Stripe, &[Efi, Asaas]);
        assert_eq!(
            go(&t, PaymentMethod::Card, brl(10_000), None),
            [Asaas, Stripe]
        );
        // The same table `ordered`: the table's order, fees ignored.
        let ordered = table(Stripe, &[Efi, Asaas]);
        assert_eq!(
            go(&ordered, PaymentMethod::Card, brl(10_000), None),
            [Stripe, Asaas]
        );
        // Pix: stripe and efi tie at 119 (the table's order), asaas has no Pix rate: last.
        assert_eq!(
            go(
                &cheapest(Asaas, &[Efi, Stripe]),
                PaymentMethod::Pix,
                brl(10_000),
                None
            ),
            [Efi, Stripe, Asaas]
        );
        assert_eq!(
            go(&t, PaymentMethod::Pix, brl(10_000), None),
            [Stripe, Efi, Asaas]
        );
        // A rate in another currency estimates nothing: a USD card goes where it can.
        let usd = Money::from_minor(10_000, Currency::Usd).unwrap();
        assert_eq!(go(&t, PaymentMethod::Card, usd, None), [Stripe]);
        // A pin stays the only gateway, even a dearer one.
        assert_eq!(
            go(&t, PaymentMethod::Card, brl(10_000), Some(Stripe)),
            [Stripe]
        );
        // Rounding edge: R$ 0,01 card: stripe 0 + 39 = 39 < asaas 0 + 49 = 49.
        assert_eq!(go(&t, PaymentMethod::Card, brl(1), None), [Stripe, Asaas]);
        // No estimate for anyone: the table's order.
        assert_eq!(
            order_by_strategy(
                Strategy::Cheapest,
                vec![Efi, Stripe, Asaas],
                &FeeSchedule::default(),
                PaymentMethod::Pix,
                brl(100)
            ),
            [Efi, Stripe, Asaas]
        );
    }

    #[test]
    fn a_strategy_is_stored_only_when_not_the_default() {
        let t = table(Efi, &[Stripe]);
        // Written with the default: exactly what a binary older than strategies reads.
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            serde_json::json!({"primary": "efi", "fallbacks": ["stripe"]})
        );
        let c = t.clone().with_strategy(Strategy::Cheapest);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"primary": "efi", "fallbacks": ["stripe"], "strategy": "cheapest"})
        );
        assert_eq!(serde_json::from_value::<RoutingTable>(v).unwrap(), c);
        assert_eq!(
            c.to_string(),
            "primary efi, fallbacks stripe, cheapest first"
        );
        // Switching keeps the strategy.
        assert_eq!(c.switched_to(Stripe).strategy(), Strategy::Cheapest);
        assert!(
            serde_json::from_str::<RoutingTable>(r#"{"primary":"efi","strategy":"random"}"#)
                .is_err()
        );
        assert_eq!("cheapest".parse::<Strategy>().unwrap(), Strategy::Cheapest);
        assert_eq!(
            "fastest".parse::<Strategy>().unwrap_err().to_string(),
            "unknown routing strategy `fastest`: use ordered or cheapest"
        );
    }

    #[test]
    fn no_route_serializes_for_an_api_error() {
        let c = Candidates::default().unavailable(Efi, "disabled");
        let err = plan(
            &table(Efi, &[]),
            &c,
            PaymentMethod::Pix,
            Currency::Brl,
            None,
            any_token,
        )
        .unwrap_err();
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({"method": "pix", "currency": "BRL", "pinned": null,
                "excluded": [{"gateway": "efi", "reason": "unavailable", "detail": "disabled"}]})
        );
    }
}
