//! Fault injection: the per-gateway mode, decided per request by a middleware, for every
//! request or only those in the mode's [`RequestScope`].

use super::*;

#[derive(Debug)]
pub(super) struct Fault(Mutex<FaultState>);

#[derive(Debug)]
pub(super) struct FaultState {
    pub(super) mode: FaultMode,
    /// The requests the mode applies to (`None`: all).
    pub(super) only: Option<RequestScope>,
    /// Requests in scope seen since the mode was set (for flaky mode).
    pub(super) seen: u64,
}

impl Default for Fault {
    fn default() -> Self {
        Fault(Mutex::new(FaultState {
            mode: FaultMode::Up,
            only: None,
            seen: 0,
        }))
    }
}

pub(super) enum Action {
    Pass,
    Delay(Duration),
    /// Process now, answer after the delay.
    Hold(Duration),
    Fail(u16, &'static str),
}

impl Fault {
    pub(super) fn mode(&self) -> FaultMode {
        lock(&self.0).mode.clone()
    }

    /// The requests the mode applies to (`None`: all).
    pub(super) fn only(&self) -> Option<RequestScope> {
        lock(&self.0).only.clone()
    }

    /// Sets the mode, for every request (`only: None`) or those in scope.
    pub(super) fn set(&self, mode: FaultMode, only: Option<RequestScope>) {
        *lock(&self.0) = FaultState {
            mode,
            only,
            seen: 0,
        };
    }

    /// What to do with the next request, `method path` (the gateway's own path). Synchronous:
    /// the lock never spans an await.
    pub(super) fn decide(&self, method: &str, path: &str) -> Action {
        let mut state = lock(&self.0);
        if state.only.as_ref().is_some_and(|s| !s.covers(method, path)) {
            return Action::Pass;
        }
        match state.mode {
            FaultMode::Up => Action::Pass,
            FaultMode::Slow { latency_ms } => Action::Delay(Duration::from_millis(latency_ms)),
            FaultMode::Lost { latency_ms } => Action::Hold(Duration::from_millis(latency_ms)),
            FaultMode::Down { status: Some(s) } => Action::Fail(s, "down"),
            // Only reached on the shared port (or by a request racing the close): it cannot
            // refuse connections for one gateway, so it answers 503.
            FaultMode::Down { status: None } => Action::Fail(503, "down"),
            FaultMode::Flaky { error_rate, status } => {
                state.seen += 1;
                let n = state.seen as f64;
                if (n * error_rate).floor() > ((n - 1.0) * error_rate).floor() {
                    Action::Fail(status, "flaky")
                } else {
                    Action::Pass
                }
            }
        }
    }
}

pub(super) async fn inject(
    State(fault): State<Arc<Fault>>,
    request: Request,
    next: Next,
) -> Response {
    let action = fault.decide(request.method().as_str(), request.uri().path());
    match action {
        Action::Pass => next.run(request).await,
        Action::Delay(latency) | Action::Hold(latency) => {
            // Like a real gateway, a slow request is processed even when the client gives up
            // waiting: a timeout after sending must be able to leave a charge behind (the
            // ambiguous case rule 4 is about). So read the body now and finish in a task of
            // its own, which a dropped connection does not cancel. `Delay` processes it after
            // the wait, `Hold` before (the answer is what is late).
            let (parts, body) = request.into_parts();
            let bytes = match axum::body::to_bytes(body, 1 << 20).await {
                Ok(b) => b,
                Err(_) => return StatusCode::BAD_REQUEST.into_response(),
            };
            let request = Request::from_parts(parts, axum::body::Body::from(bytes));
            let hold = matches!(action, Action::Hold(_));
            let task = tokio::spawn(async move {
                if hold {
                    let response = next.run(request).await;
                    tokio::time::sleep(latency).await;
                    response
                } else {
                    tokio::time::sleep(latency).await;
                    next.run(request).await
                }
            });
            task.await
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Action::Fail(status, why) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let body = serde_json::json!({
                "error": format!("payorch sandbox: this gateway is {why} (status {status})")
            });
            (code, [("x-payorch-sandbox-fault", why)], axum::Json(body)).into_response()
        }
    }
}
