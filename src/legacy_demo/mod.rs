//! The legacy ECGridOS emulator of `serve --sandbox --legacy sandbox`: a
//! small ASMX-like SOAP service on a loopback port that plays the legacy
//! side of a migration demo, with no account.
//!
//! It answers from its own shapes, written here from the original WSDL,
//! not with the gateway's writers or operations: a shadow comparison
//! between the two sides then compares two independent implementations,
//! which is what it is for. It knows the sandbox's accounts (the same
//! login works on both sides) and answers `Login`, `Logout`, `WhoAmI`,
//! `NowUTC`, `Version` and `CarbonCopyList` (an empty in-box); any other
//! operation gets a `soap:Client` fault saying it is not emulated.

mod answers;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::sandbox::Account;

/// Largest request the emulator reads.
const MAX_REQUEST: usize = 1024 * 1024;

/// The emulator's state: who may log in, and the live legacy sessions.
struct Emulator {
    accounts: Vec<Account>,
    /// Legacy SessionID → login name.
    sessions: Mutex<HashMap<String, String>>,
    /// Counts `WhoAmI` calls (ECGridOS's SessionEventID grows per call).
    events: std::sync::atomic::AtomicI64,
}

/// A running emulator.
pub struct LegacyDemoHandle {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl LegacyDemoHandle {
    /// `http://ADDR` of the emulator.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving.
    pub fn shutdown(self) {
        self.task.abort();
    }
}

/// Starts the emulator on `listener` for `accounts`.
pub async fn start(
    listener: TcpListener,
    accounts: Vec<Account>,
) -> std::io::Result<LegacyDemoHandle> {
    let addr = listener.local_addr()?;
    let emulator = Arc::new(Emulator {
        accounts,
        sessions: Mutex::new(HashMap::new()),
        events: std::sync::atomic::AtomicI64::new(0),
    });
    let app = axum::Router::new()
        .fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let emulator = emulator.clone();
            async move { emulator.answer(&uri, &headers, &body) }
        })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST));
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "legacy emulator stopped");
        }
    });
    Ok(LegacyDemoHandle { addr, task })
}

impl Emulator {
    fn answer(&self, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Response {
        let request = answers::Request::read(uri, headers, body);
        let Some(request) = request else {
            return answers::fault(false, "Client", "The request is not a SOAP envelope.");
        };
        match request.operation.as_str() {
            "Login" => self.login(&request),
            "Logout" => {
                let id = request.param("SessionID").unwrap_or_default();
                let ended = self.sessions_lock().remove(&id).is_some();
                request.result(
                    "Logout",
                    &answers::element("LogoutResult", if ended { "1" } else { "0" }),
                )
            }
            "NowUTC" => request.result(
                "NowUTC",
                &answers::element("NowUTCResult", &answers::now_utc()),
            ),
            "Version" => request.result(
                "Version",
                &answers::element("VersionResult", "ECGridOS v4.1 (sandbox legacy emulator)"),
            ),
            "WhoAmI" | "CarbonCopyList" => match self.caller(&request) {
                Some((account, session)) => {
                    if request.operation == "WhoAmI" {
                        let event = 1 + self
                            .events
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        request.result("WhoAmI", &answers::session_info(&account, &session, event))
                    } else {
                        request.result("CarbonCopyList", "<CarbonCopyListResult />")
                    }
                }
                None => request.fault("Client", "Session Expired or Invalid."),
            },
            other => request.fault(
                "Client",
                &format!("{other} is not emulated by the sandbox's legacy ECGridOS emulator."),
            ),
        }
    }

    fn sessions_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn login(&self, request: &answers::Request) -> Response {
        let name = request.param("LoginName").unwrap_or_default();
        let password = request.param("Password").unwrap_or_default();
        let Some(_) = self
            .accounts
            .iter()
            .find(|a| a.login == name && a.password == password)
        else {
            return request.fault("Client", "Invalid Login Name or Password.");
        };
        let id = answers::new_session_id();
        let mut sessions = self.sessions_lock();
        // Bounded: the demo keeps at most this many legacy sessions.
        if sessions.len() >= 10_000 {
            sessions.clear();
        }
        sessions.insert(id.clone(), name);
        request.result("Login", &answers::element("LoginResult", &id))
    }

    /// The account and SessionID behind the request's SessionID (a legacy
    /// session, or an account's API key, which ECGridOS also accepts).
    fn caller(&self, request: &answers::Request) -> Option<(Account, String)> {
        let id = request.param("SessionID")?;
        if let Some(account) = self.accounts.iter().find(|a| a.api_key == id) {
            return Some((account.clone(), id));
        }
        let login = self.sessions_lock().get(&id)?.clone();
        let account = self.accounts.iter().find(|a| a.login == login)?;
        Some((account.clone(), id))
    }
}
