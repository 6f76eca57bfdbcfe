//! Fault injection: the per-gateway mode, decided per request by a middleware.

use super::*;

#[derive(Debug)]
pub(super) struct Fault(Mutex<FaultState>);

#[derive(Debug)]
pub(super) struct FaultState {
    pub(super) mode: FaultMode,
    /// Requests seen since the mode was set (for flaky mode).
    pub(super) seen: u64,
}

impl Default for Fault {
    fn default() -> Self {
        Fault(Mutex::new(FaultState {
            mode: FaultMode::Up,
            seen: 0,
        }))
    }
}

pub(super) enum Action {
    Pass,
    Delay(Duration),
    Fail(u16, &'static str),
}

impl Fault {
    pub(super) fn mode(&self) -> FaultMode {
        lock(&self.0).mode.clone()
    }

    pub(super) fn set(&self, mode: FaultMode) {
        *lock(&self.0) = FaultState { mode, seen: 0 };
    }

    /// What to do with the next request. Synchronous: the lock never spans an await.
    pub(super) fn decide(&self) -> Action {
        let mut state = lock(&self.0);
        match state.mode {
            FaultMode::Up => Action::Pass,
            FaultMode::Slow { latency_ms } => Action::Delay(Duration::from_millis(latency_ms)),
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
    match fault.decide() {
        Action::Pass => next.run(request).await,
        Action::Delay(latency) => {
            // Like a real gateway, a slow request is processed even when the client gives up
            // waiting: a timeout after sending must be able to leave a charge behind (the
            // ambiguous case rule 4 is about). So read the body now and finish in a task of
            // its own, which a dropped connection does not cancel.
            let (parts, body) = request.into_parts();
            let bytes = match axum::body::to_bytes(body, 1 << 20).await {
                Ok(b) => b,
                Err(_) => return StatusCode::BAD_REQUEST.into_response(),
            };
            let request = Request::from_parts(parts, axum::body::Body::from(bytes));
            let task = tokio::spawn(async move {
                tokio::time::sleep(latency).await;
                next.run(request).await
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
