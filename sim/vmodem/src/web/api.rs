//! The dashboard's HTTP API. Every modem is `/api/modems/N/…` (N from 1):
//! `status` and `activity` (GET, JSON), `events` (GET, server-sent
//! events: the event log's records), `fault` (POST, one fault in the
//! scenario vocabulary, as `vmodem ctl fault` takes it).

use super::assets;
use super::guard::Guard;
use crate::control::{ControlMsg, Request, Watcher};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use vmodem_core::fault::Fault;

/// Event streams open at once, over every modem: each holds a watcher's
/// queue (`control::watch::WATCH_QUEUE` records) in the modem's loop.
pub const MAX_STREAMS: usize = 16;

/// A fault is a few dozen bytes.
const MAX_BODY: usize = 16 * 1024;

/// How long a modem's loop may take to answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct App {
    guard: Arc<Guard>,
    modems: Arc<[mpsc::Sender<ControlMsg>]>,
    streams: Arc<Semaphore>,
}

impl App {
    pub fn new(guard: Guard, modems: Vec<mpsc::Sender<ControlMsg>>) -> App {
        App {
            guard: Arc::new(guard),
            modems: modems.into(),
            streams: Arc::new(Semaphore::new(MAX_STREAMS)),
        }
    }

    fn modem(&self, n: u32) -> Result<&mpsc::Sender<ControlMsg>, Response> {
        n.checked_sub(1)
            .and_then(|i| self.modems.get(i as usize))
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, &format!("no modem {n}")))
    }
}

pub fn router(app: App) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/assets/{name}", get(asset))
        .route("/api/fleet", get(fleet))
        .route("/api/modems/{n}/status", get(status))
        .route("/api/modems/{n}/activity", get(activity))
        .route("/api/modems/{n}/events", get(events))
        .route("/api/modems/{n}/fault", post(fault))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

fn refuse(code: StatusCode, msg: &str) -> Response {
    (code, axum::Json(json!({"ok": false, "error": msg}))).into_response()
}

type Params = Query<HashMap<String, String>>;

fn read(app: &App, headers: &HeaderMap, q: &Params) -> Result<(), Response> {
    app.guard
        .read(headers, q.get("token").map(String::as_str))
        .map_err(|e| refuse(StatusCode::FORBIDDEN, &e))
}

async fn index() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], Html(assets::INDEX))
}

async fn asset(Path(name): Path<String>) -> Response {
    match assets::find(&name) {
        Some((kind, bytes)) => ([(header::CONTENT_TYPE, kind)], bytes).into_response(),
        None => refuse(StatusCode::NOT_FOUND, "no such asset"),
    }
}

async fn fleet(State(app): State<App>, headers: HeaderMap, q: Params) -> Response {
    if let Err(r) = read(&app, &headers, &q) {
        return r;
    }
    axum::Json(json!({"modems": app.modems.len()})).into_response()
}

/// One request through the modem's control path, its JSON reply back.
async fn call(
    tx: &mpsc::Sender<ControlMsg>,
    msg: impl FnOnce(oneshot::Sender<String>) -> ControlMsg,
) -> Response {
    let (otx, orx) = oneshot::channel();
    let asked = tokio::time::timeout(ANSWER_WITHIN, async {
        tx.send(msg(otx)).await.ok()?;
        orx.await.ok()
    })
    .await;
    match asked {
        Ok(Some(text)) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Ok(None) => refuse(StatusCode::SERVICE_UNAVAILABLE, "the modem has stopped"),
        Err(_) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the modem did not answer in time",
        ),
    }
}

/// A read-only question to modem `n`, once the read guard lets it through.
async fn ask(
    app: &App,
    n: u32,
    headers: &HeaderMap,
    q: &Params,
    msg: impl FnOnce(oneshot::Sender<String>) -> ControlMsg,
) -> Response {
    if let Err(r) = read(app, headers, q) {
        return r;
    }
    match app.modem(n) {
        Ok(tx) => call(tx, msg).await,
        Err(r) => r,
    }
}

async fn status(
    State(app): State<App>,
    Path(n): Path<u32>,
    headers: HeaderMap,
    q: Params,
) -> Response {
    ask(&app, n, &headers, &q, |o| {
        ControlMsg::Call(Request::Status, o)
    })
    .await
}

async fn activity(
    State(app): State<App>,
    Path(n): Path<u32>,
    headers: HeaderMap,
    q: Params,
) -> Response {
    ask(&app, n, &headers, &q, ControlMsg::Activity).await
}

async fn fault(
    State(app): State<App>,
    Path(n): Path<u32>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(e) = app.guard.write(&headers) {
        return refuse(StatusCode::FORBIDDEN, &e);
    }
    // JSON only: a cross-site form cannot send this type without asking.
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json_body {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/json",
        );
    }
    let tx = match app.modem(n) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    let f: Fault = match serde_json::from_str::<Value>(&body)
        .map_err(|e| e.to_string())
        .and_then(|v| serde_json::from_value(v).map_err(|e| format!("not a fault: {e}")))
    {
        Ok(f) => f,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &e),
    };
    if let Err(e) = vmodem_core::scenario::file::check_fault(&f) {
        return refuse(StatusCode::BAD_REQUEST, &e);
    }
    call(tx, |o| ControlMsg::Call(Request::Inject { fault: f }, o)).await
}

async fn events(
    State(app): State<App>,
    Path(n): Path<u32>,
    headers: HeaderMap,
    q: Params,
) -> Response {
    if let Err(r) = read(&app, &headers, &q) {
        return r;
    }
    let tx = match app.modem(n) {
        Ok(tx) => tx,
        Err(r) => return r,
    };
    let Ok(permit) = app.streams.clone().try_acquire_owned() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("{MAX_STREAMS} event streams open already"),
        );
    };
    let (watcher, rx) = Watcher::channel();
    if tx.send(ControlMsg::WatchRecent(watcher)).await.is_err() {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "the modem has stopped");
    }
    Sse::new(Records {
        rx,
        _permit: permit,
    })
    .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
    .into_response()
}

/// A watcher's records as server-sent events. The watcher's queue is the
/// bound: a browser that reads slowly gets a `lagged` record in place of
/// what it missed.
struct Records {
    rx: mpsc::Receiver<String>,
    _permit: OwnedSemaphorePermit,
}

impl futures_core::Stream for Records {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx
            .poll_recv(cx)
            .map(|r| r.map(|line| Ok(Event::default().data(line))))
    }
}
