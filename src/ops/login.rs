//! `Login(LoginName, Password)` → `POST /v2/auth/login`.
//!
//! On the wire: the WSDL names the fields `LoginName` and `Password`; the
//! published docs and samples also send `UserName`, `UserID` or `Email` for
//! the name, and the documented `Sender*` fields, which are ignored. The
//! answer is a new SessionID (uppercase GUID) that the gateway maps to the
//! REST bearer token. The password is never stored.
//!
//! With `--legacy`, the legacy service's `Login` runs at the same time and
//! the session holds both credentials. When one side refuses the login the
//! fault says which and why (and the side that accepted is logged out
//! again); when one side cannot be reached, the session works on the other
//! side only.

use crate::legacy::session_calls::{self, SessionCallError};
use crate::rest::{Auth, RestError};
use crate::session::{Session, SessionId};
use crate::soap::writer::{WriteBody, XmlWriter};
use crate::soap::{Fault, Params};

use super::{Context, Operation};

/// The names a login name may arrive under, in order of preference.
const LOGIN_NAME_FIELDS: [&str; 4] = ["LoginName", "UserName", "UserID", "Email"];

/// A `Login` request.
pub struct Login {
    login: String,
    password: String,
}

/// `LoginResult`: the new SessionID.
pub struct LoginResponse {
    session_id: SessionId,
}

impl Operation for Login {
    const NAME: &'static str = "Login";
    type Response = LoginResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        let login = params
            .first_of(&LOGIN_NAME_FIELDS)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                Fault::invalid(
                    "parameter LoginName is required (UserName, UserID or Email are accepted too)",
                )
            })?;
        let password = params
            .get("Password")
            .filter(|p| !p.is_empty())
            .ok_or_else(|| Fault::invalid("parameter Password is required"))?;
        Ok(Login {
            login: login.to_string(),
            password: password.to_string(),
        })
    }

    async fn call(self, ctx: &Context) -> Result<LoginResponse, Fault> {
        let rest_login = ctx.rest.login(&self.login, &self.password);
        let (rest, legacy) = match &ctx.legacy {
            None => (rest_login.await, None),
            Some(client) => {
                let legacy_login = session_calls::login(client, &self.login, &self.password);
                let (rest, legacy) = tokio::join!(rest_login, legacy_login);
                (rest, Some((client, legacy)))
            }
        };
        let (token, expires_at, user_id, legacy_session_id) = match (rest, legacy) {
            (Ok(token), None) => (token.token, token.expires_at, token.user_id, None),
            (Err(err), None) => return Err(rest_refusal(err)),
            (Ok(token), Some((_, Ok(legacy_id)))) => (
                token.token,
                token.expires_at,
                token.user_id,
                Some(legacy_id),
            ),
            // One side refused the credentials: no session, and the side
            // that accepted them is logged out again.
            (Ok(token), Some((client, Err(SessionCallError::Refused(why))))) => {
                abandon(ctx, Some(&token.token), None);
                return Err(Fault::authentication(format!(
                    "login failed on the legacy ECGridOS service at {}: {why} (the REST side \
                     accepted the login)",
                    client.base()
                )));
            }
            (Err(err), Some((_, Ok(legacy_id)))) if err.is_unauthorized() => {
                abandon(ctx, None, Some(&legacy_id));
                return Err(Fault::authentication(format!(
                    "login failed on the REST side ({}): the login name or password is not \
                     valid (the legacy ECGridOS service accepted the login)",
                    ctx.rest.base()
                )));
            }
            // One side unreachable: the session works on the other.
            (Ok(token), Some((client, Err(why)))) => {
                tracing::warn!(legacy = client.base(), reason = %why, "legacy login failed; the session works on REST-routed operations only");
                (token.token, token.expires_at, token.user_id, None)
            }
            (Err(err), Some((_, Ok(legacy_id)))) => {
                tracing::warn!(reason = %err.into_fault().message, "REST login failed; the session works on legacy-routed operations only");
                (String::new(), None, None, Some(legacy_id))
            }
            (Err(err), Some((client, Err(why)))) => {
                let rest = rest_refusal(err);
                return Err(Fault {
                    message: format!(
                        "login failed on both sides: REST: {}; legacy ECGridOS service at {}: {why}",
                        rest.message,
                        client.base()
                    ),
                    ..rest
                });
            }
        };
        let session = Session {
            token: token.into(),
            expires_at,
            user_id: user_id.unwrap_or_default(),
            created: ctx.now(),
            legacy_session_id: legacy_session_id.map(Into::into),
        };
        // No session for the client (no SessionID, or the store cannot keep
        // it): what the upstreams issued is logged out again, not left live.
        let kept = match SessionId::generate() {
            Ok(session_id) => ctx
                .sessions
                .insert(session_id, session.clone())
                .await
                .map(|()| session_id)
                .map_err(super::context::store_fault),
            Err(e) => Err(Fault::server(format!(
                "cannot draw a SessionID from the OS random source: {e}"
            ))),
        };
        let session_id = kept.inspect_err(|_| {
            abandon(
                ctx,
                Some(&session.token),
                session.legacy_session_id.as_deref(),
            )
        })?;
        tracing::info!(session = %session_id.redacted(), "session created");
        Ok(LoginResponse { session_id })
    }
}

/// Logs out again, in the background (each call within
/// `--upstream-timeout`), what the upstreams issued for a login the client
/// gets no session from: the REST `token` and the legacy SessionID.
fn abandon(ctx: &Context, token: Option<&str>, legacy_session_id: Option<&str>) {
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        let rest = ctx.rest.clone();
        let auth = Auth::Bearer(token.into());
        tokio::spawn(async move { rest.logout(&auth).await });
    }
    if let (Some(client), Some(id)) = (ctx.legacy.clone(), legacy_session_id) {
        let id = id.to_string();
        tokio::spawn(async move { session_calls::logout(&client, &id).await });
    }
}

/// The fault for a REST login that failed.
fn rest_refusal(err: RestError) -> Fault {
    if err.is_unauthorized() {
        Fault::authentication("login failed: the login name or password is not valid")
    } else {
        err.into_fault()
    }
}

impl LoginResponse {
    /// A response with a fixed SessionID, for benchmarks.
    #[doc(hidden)]
    pub fn sample() -> Self {
        LoginResponse {
            session_id: SessionId::parse("A1B2C3D4-E5F6-7890-ABCD-EF1234567890")
                .expect("a valid GUID"),
        }
    }
}

impl WriteBody for LoginResponse {
    fn write_body(&self, w: &mut XmlWriter) {
        w.display("LoginResult", self.session_id);
    }
}
