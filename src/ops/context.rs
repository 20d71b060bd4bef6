//! What every operation works with: the REST client, the session store, the
//! clock, and the rules that turn a SessionID into a REST credential.

use std::future::Future;
use std::time::Duration;

use time::OffsetDateTime;

use crate::legacy::LegacyClient;
use crate::rest::{Auth, RestClient, RestError};
use crate::session::{redact_text, Session, SessionId, SessionStore, StoreError};
use crate::soap::Fault;

/// Where operations read the time from (fixed in snapshot tests).
pub type Clock = fn() -> OffsetDateTime;

/// A bearer token this close to expiry is refreshed before use.
const REFRESH_MARGIN: time::Duration = time::Duration::seconds(30);

/// Shared state of the gateway's operations.
#[derive(Clone)]
pub struct Context {
    /// The upstream REST client.
    pub rest: RestClient,
    /// SessionID → credential.
    pub sessions: SessionStore,
    /// The clock.
    pub clock: Clock,
    /// How long one SOAP call may take in all (`--upstream-timeout`):
    /// every upstream call it makes, token refreshes and retries included,
    /// fits in this one budget ([`Context::within_deadline`]).
    pub call_deadline: Duration,
    /// The legacy ECGridOS service (`--legacy`), which `Login` and `Logout`
    /// also call so one session works on both sides.
    pub legacy: Option<LegacyClient>,
}

/// Who a SessionID parameter stands for ([`Context::caller`]).
pub enum Caller {
    /// A session this gateway minted.
    Session(SessionId, Session),
    /// Anything else: passed upstream as an API key (ECGridOS accepts a
    /// user's API key in place of a SessionID).
    ApiKey(String),
}

impl Caller {
    /// The gateway session behind the SessionID, if it is one.
    pub fn session(&self) -> Option<(SessionId, &Session)> {
        match self {
            Caller::Session(id, session) => Some((*id, session)),
            Caller::ApiKey(_) => None,
        }
    }
}

/// How far past `call_deadline` a SOAP call's own deadline fires (see
/// [`Context::within_deadline`]).
const DEADLINE_SLACK: std::time::Duration = std::time::Duration::from_millis(20);

impl Context {
    /// Runs one SOAP call's work (`call`) within [`Context::call_deadline`].
    ///
    /// Each upstream call is bounded by the same timeout on its own, but a
    /// call as a session can make four (refresh, call, 401, refresh,
    /// retry): a WhoAmI took 10.8 s under a 3 s timeout (issue 16, finding
    /// 6). Past the deadline the work is dropped (an upstream exchange in
    /// flight is abandoned with its connection) and the client gets a
    /// `soap:Server` fault saying how long the gateway waited.
    pub async fn within_deadline<T>(
        &self,
        call: impl Future<Output = Result<T, Fault>>,
    ) -> Result<T, Fault> {
        // A call of one upstream exchange reaches that exchange's own
        // timeout (the same --upstream-timeout, started a moment later) at
        // about the same instant; the slack lets it answer first, naming the
        // upstream, instead of one or the other by which timer tick fires.
        match tokio::time::timeout(self.call_deadline + DEADLINE_SLACK, call).await {
            Ok(result) => result,
            Err(_) => Err(Fault::server(format!(
                "the upstream did not complete this call within {} (--upstream-timeout)",
                humantime::format_duration(self.call_deadline)
            ))),
        }
    }

    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }

    /// The session behind a SessionID this gateway minted, if it is live;
    /// a `soap:Server` fault when the session store cannot say (Redis down
    /// or slow).
    async fn session(&self, session_id: &str) -> Result<Option<(SessionId, Session)>, Fault> {
        let Some(id) = SessionId::parse(session_id) else {
            return Ok(None);
        };
        let session = self.sessions.get(id).await.map_err(store_fault)?;
        Ok(session.map(|s| (id, s)))
    }

    /// Who `session_id` stands for: a live gateway session, or else an API
    /// key for the upstream to judge. An empty SessionID, or one that cannot
    /// be sent as an API key, is an Authentication fault.
    pub async fn caller(&self, session_id: &str) -> Result<Caller, Fault> {
        let session_id = session_id.trim();
        if session_id.is_empty() {
            return Err(Fault::authentication(
                "SessionID is required; call Login first (or pass your API key as the SessionID)",
            ));
        }
        Ok(match self.session(session_id).await? {
            Some((id, session)) => Caller::Session(id, session),
            // Sent upstream as an X-API-Key header, which cannot carry
            // control or non-ASCII characters: the caller's mistake, so a
            // client fault now rather than a failed upstream call.
            None if !is_header_safe(session_id) => {
                return Err(Fault::authentication(
                    "SessionID is not a SessionID from Login nor a usable API key: it holds \
                     control or non-ASCII characters",
                ))
            }
            None => Caller::ApiKey(session_id.to_string()),
        })
    }

    /// Runs a REST call as the caller behind `session_id`.
    ///
    /// A gateway session uses its bearer token, refreshed first when it is
    /// about to expire, and refreshed and retried once when the upstream
    /// answers 401; a token that cannot be refreshed ends the session with an
    /// Authentication fault so the client logs in again. Any other SessionID
    /// is sent as `X-API-Key`, and the upstream decides.
    pub async fn call_as<T, F, Fut>(&self, session_id: Option<&str>, call: F) -> Result<T, Fault>
    where
        F: Fn(Auth) -> Fut,
        Fut: Future<Output = Result<T, RestError>>,
    {
        let caller = self.caller(session_id.unwrap_or_default()).await?;
        self.call_as_caller(caller, call).await
    }

    /// [`Self::call_as`] for a caller already looked up with
    /// [`Self::caller`] (an operation that also reads the session looks it
    /// up once).
    pub async fn call_as_caller<T, F, Fut>(&self, caller: Caller, call: F) -> Result<T, Fault>
    where
        F: Fn(Auth) -> Fut,
        Fut: Future<Output = Result<T, RestError>>,
    {
        match caller {
            Caller::ApiKey(key) => {
                let shown = redact_text(&key);
                call(Auth::ApiKey(key)).await.map_err(|err| {
                    if err.is_unauthorized() {
                        tracing::info!(session = %shown, "unknown SessionID refused upstream as API key");
                        Fault::authentication(
                            "SessionID is not valid or has expired, and the upstream did not accept it as an API key; call Login again",
                        )
                    } else {
                        err.into_fault()
                    }
                })
            }
            // Logged in while the REST side was unreachable (`--legacy`):
            // only legacy-routed operations can run on this session.
            Caller::Session(_, session) if session.token.is_empty() => Err(Fault::server(format!(
                "this session has no REST credential: the REST upstream {} could not be \
                 reached at Login; call Login again",
                self.rest.base()
            ))),
            Caller::Session(id, mut session) => {
                if expires_soon(&session, self.now()) {
                    session = self.refresh(id, &session).await?;
                }
                match call(Auth::Bearer(session.token.clone())).await {
                    Err(err) if err.is_unauthorized() => {
                        let session = self.refresh(id, &session).await?;
                        call(Auth::Bearer(session.token))
                            .await
                            .map_err(|err| self.end_on_unauthorized(id, err))
                    }
                    other => other.map_err(RestError::into_fault),
                }
            }
        }
    }

    fn end_on_unauthorized(&self, id: SessionId, err: RestError) -> Fault {
        if err.is_unauthorized() {
            let sessions = self.sessions.clone();
            tokio::spawn(async move {
                if let Err(e) = sessions.remove(id).await {
                    tracing::warn!(session = %id.redacted(), reason = %e, "could not end a session refused upstream");
                }
            });
            Fault::authentication("the session is no longer valid upstream; call Login again")
        } else {
            err.into_fault()
        }
    }

    /// Swaps the session's token for a fresh one, or ends the session.
    async fn refresh(&self, id: SessionId, session: &Session) -> Result<Session, Fault> {
        match self.rest.refresh(&session.token).await {
            Ok(fresh) => {
                tracing::info!(session = %id.redacted(), "bearer token refreshed");
                let renewed = Session {
                    token: fresh.token.into(),
                    expires_at: fresh.expires_at,
                    user_id: fresh.user_id.unwrap_or(session.user_id),
                    created: session.created,
                    legacy_session_id: session.legacy_session_id.clone(),
                };
                self.sessions
                    .insert(id, renewed.clone())
                    .await
                    .map_err(store_fault)?;
                Ok(renewed)
            }
            Err(
                err @ RestError::Status {
                    status: 400..=499, ..
                },
            ) => {
                tracing::info!(session = %id.redacted(), status = err.status(), "token refresh refused; session ended");
                self.sessions.remove(id).await.map_err(store_fault)?;
                Err(Fault::authentication(
                    "the session has expired and could not be renewed; call Login again",
                ))
            }
            Err(err) => Err(err.into_fault()),
        }
    }
}

/// The `soap:Server` fault of a session store that could not answer.
pub fn store_fault(error: StoreError) -> Fault {
    Fault::server(error.0)
}

/// True when `text` is visible ASCII, spaces and tabs: what an HTTP header
/// value takes, less the non-ASCII bytes HTTP tolerates as obsolete text,
/// which no ECGrid API key holds. Such a key is sent as it is.
fn is_header_safe(text: &str) -> bool {
    text.bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

fn expires_soon(session: &Session, now: OffsetDateTime) -> bool {
    session
        .expires_at
        .is_some_and(|at| at - REFRESH_MARGIN <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_safe_keys_are_valid_header_values_and_non_ascii_is_refused() {
        // Everything the check lets through, the REST client can send
        // (`HeaderValue::from_str`); it refuses what HTTP refuses, and on
        // purpose also the non-ASCII HTTP would tolerate.
        for b in 0u8..128 {
            let text = format!("key{}x", b as char);
            assert_eq!(
                is_header_safe(&text),
                http::HeaderValue::from_str(&text).is_ok(),
                "{text:?}"
            );
        }
        for text in ["clé", "日本"] {
            assert!(http::HeaderValue::from_str(text).is_ok(), "{text:?}");
            assert!(!is_header_safe(text), "{text:?}");
        }
        assert!(is_header_safe(""));
    }
}
