//! Authentication (API key or opaque bearer token) and the auth/users
//! endpoints.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::envelope::{fmt_time, ok, ok_with_message, time_json, ApiError, JsonFields};
use super::state::{lock, Shared};
use super::Account;

/// Most live sessions kept; the oldest is evicted beyond this.
const MAX_SESSIONS: usize = 10_000;

struct Session {
    account: usize,
    expires: Instant,
    expires_at: OffsetDateTime,
}

/// Bearer tokens in memory.
#[derive(Default)]
pub(crate) struct Sessions {
    tokens: HashMap<String, Session>,
}

impl Sessions {
    fn purge(&mut self, grace: Duration) {
        let now = Instant::now();
        self.tokens
            .retain(|_, s| refreshable(s.expires, grace, now));
        if self.tokens.len() >= MAX_SESSIONS {
            if let Some(oldest) = self
                .tokens
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
            {
                self.tokens.remove(&oldest);
            }
        }
    }
}

/// True while a token that expires at `expires` may still be refreshed.
fn refreshable(expires: Instant, grace: Duration, now: Instant) -> bool {
    expires.checked_add(grace).map_or(true, |t| t > now)
}

/// Who is calling.
pub(crate) struct Caller {
    /// Index into `Shared::accounts`.
    pub idx: usize,
    pub account: Arc<Account>,
    /// The bearer token, when authenticated by one.
    pub token: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
}

/// 128 random bits as 32 hex characters.
fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| ApiError::internal(format!("cannot generate a token: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn ttl_as_time(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

impl Shared {
    /// Authenticates a request by `X-API-Key` (checked first) or
    /// `Authorization: Bearer`.
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        if let Some(key) = headers.get("x-api-key") {
            let key = key.to_str().unwrap_or("").trim();
            return self
                .accounts
                .iter()
                .enumerate()
                .find(|(_, a)| !key.is_empty() && a.api_key == key)
                .map(|(idx, a)| Caller {
                    idx,
                    account: a.clone(),
                    token: None,
                    expires_at: None,
                })
                .ok_or_else(|| ApiError::invalid_api_key("the X-API-Key is not valid"));
        }
        let Some(auth) = headers.get(axum::http::header::AUTHORIZATION) else {
            return Err(ApiError::invalid_api_key(
                "authentication required: send X-API-Key or Authorization: Bearer <token>",
            ));
        };
        let auth = auth.to_str().unwrap_or("").trim();
        let token = match auth.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
            _ => {
                return Err(ApiError::invalid_session(
                    "the Authorization header must be 'Bearer <token>'",
                ))
            }
        };
        let sessions = lock(&self.sessions);
        match sessions.tokens.get(token) {
            Some(s) if s.expires > Instant::now() => Ok(Caller {
                idx: s.account,
                account: self.accounts[s.account].clone(),
                token: Some(token.to_string()),
                expires_at: Some(s.expires_at),
            }),
            Some(_) => Err(ApiError::invalid_session(
                "the session token has expired; refresh it or log in again",
            )),
            None => Err(ApiError::invalid_session(
                "the session token is unknown or was logged out",
            )),
        }
    }

    fn issue_token(&self, account: usize) -> Result<Value, ApiError> {
        let token = new_token()?;
        let ttl = self.config.token_ttl;
        let expires_at = OffsetDateTime::now_utc().saturating_add(ttl_as_time(ttl));
        let expires = super::delivery::later(ttl);
        let mut sessions = lock(&self.sessions);
        sessions.purge(self.config.refresh_grace);
        sessions.tokens.insert(
            token.clone(),
            Session {
                account,
                expires,
                expires_at,
            },
        );
        Ok(json!({
            "token": token,
            "expiresAt": fmt_time(expires_at),
            "userId": self.accounts[account].user_id,
        }))
    }
}

/// `GET /v2/auth/version`.
pub(crate) async fn version() -> Response {
    ok(json!({ "version": "2.6" }))
}

/// `POST /v2/auth/login {login, password}`.
pub(crate) async fn login(
    State(s): State<Arc<Shared>>,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let login = f.req_str("login")?;
    let password = f.opt_str("password")?.unwrap_or_default();
    if password.is_empty() {
        return Err(ApiError::invalid_parameter("field `password` is required"));
    }
    let idx = s
        .accounts
        .iter()
        .position(|a| a.login.eq_ignore_ascii_case(login.trim()) && a.password == password)
        .ok_or_else(|| {
            tracing::info!("login refused: wrong login or password");
            ApiError::invalid_credentials()
        })?;
    let data = s.issue_token(idx)?;
    lock(&s.last_login).insert(idx, OffsetDateTime::now_utc());
    tracing::info!(user_id = s.accounts[idx].user_id, "login succeeded");
    Ok(ok(data))
}

/// `POST /v2/auth/logout`: invalidates the bearer token (API-key callers just
/// get success).
pub(crate) async fn logout(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let caller = s.authenticate(&headers)?;
    if let Some(token) = caller.token {
        lock(&s.sessions).tokens.remove(&token);
    }
    tracing::info!(user_id = caller.account.user_id, "logout");
    Ok(ok_with_message(Value::Null, "Session terminated."))
}

/// `POST /v2/auth/refresh {token}`: the token in the body is the credential
/// (it may be expired up to the refresh grace); no other auth header needed.
pub(crate) async fn refresh(
    State(s): State<Arc<Shared>>,
    JsonFields(f): JsonFields,
) -> Result<Response, ApiError> {
    let token = f.req_str("token")?;
    let account = {
        let mut sessions = lock(&s.sessions);
        let now = Instant::now();
        match sessions.tokens.get(token.trim()) {
            Some(sess) if refreshable(sess.expires, s.config.refresh_grace, now) => {
                let account = sess.account;
                sessions.tokens.remove(token.trim());
                account
            }
            Some(_) => {
                return Err(ApiError::invalid_session(
                    "the token expired longer ago than the refresh grace; log in again",
                ))
            }
            None => {
                return Err(ApiError::invalid_session(
                    "the token is unknown or was logged out",
                ))
            }
        }
    };
    let data = s.issue_token(account)?;
    tracing::info!(user_id = s.accounts[account].user_id, "token refreshed");
    Ok(ok(data))
}

/// `POST /v2/auth/session`: who am I, and until when.
pub(crate) async fn session(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = s.authenticate(&headers)?;
    let a = &c.account;
    Ok(ok(json!({
        "userId": a.user_id,
        "login": a.login,
        "networkId": a.network_id,
        "mailboxId": a.mailbox_id,
        "authLevel": a.auth_level,
        "expiresAt": time_json(c.expires_at),
    })))
}

/// `GET /v2/users/me`.
pub(crate) async fn me(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let c = s.authenticate(&headers)?;
    let a = &c.account;
    let last_login = lock(&s.last_login).get(&c.idx).copied();
    Ok(ok(json!({
        "userId": a.user_id,
        "login": a.login,
        "email": a.email,
        "firstName": a.first_name,
        "lastName": a.last_name,
        "networkId": a.network_id,
        "mailboxId": a.mailbox_id,
        "authLevel": a.auth_level,
        "status": "Active",
        "created": fmt_time(s.started),
        "company": a.company,
        "phone": a.phone,
        "lastLogin": time_json(last_login),
    })))
}
