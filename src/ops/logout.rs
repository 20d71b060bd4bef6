//! `Logout(SessionID)` → `POST /v2/auth/logout`, then forget the SessionID.
//!
//! `LogoutResult` is an `int` in the WSDL: 1 when a session was ended, 0
//! when there was nothing to end (a SessionID the gateway no longer knows
//! and the upstream does not accept). Clients call Logout in `finally`
//! blocks, so an already-gone session is not a fault.
//!
//! A session paired with a legacy one (`--legacy`) is ended on both sides
//! at once; a legacy logout that fails is logged, not a fault (the legacy
//! session then expires on its own).

use crate::legacy::session_calls;
use crate::rest::Auth;
use crate::soap::writer::{WriteBody, XmlWriter};
use crate::soap::{ErrorCode, Fault, Params};

use super::{Caller, Context, Operation};

/// A `Logout` request.
pub struct Logout {
    session_id: Option<String>,
}

/// `LogoutResult`.
pub struct LogoutResponse {
    ended: bool,
}

impl Operation for Logout {
    const NAME: &'static str = "Logout";
    type Response = LogoutResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        Ok(Logout {
            session_id: params.get("SessionID").map(str::to_string),
        })
    }

    async fn call(self, ctx: &Context) -> Result<LogoutResponse, Fault> {
        let session_id = self.session_id.as_deref();
        // One lookup: the session (if it is one) is both the caller and
        // what is ended afterwards.
        let caller = ctx.caller(session_id.unwrap_or_default()).await;
        let gateway_session =
            caller
                .as_ref()
                .ok()
                .and_then(Caller::session)
                .map(|(id, session)| {
                    (
                        id,
                        session.token.is_empty(),
                        session.legacy_session_id.clone(),
                    )
                });
        let legacy_logout = async {
            if let (Some(client), Some(legacy_id)) = (
                &ctx.legacy,
                gateway_session.as_ref().and_then(|s| s.2.as_deref()),
            ) {
                if let Err(why) = session_calls::logout(client, legacy_id).await {
                    tracing::info!(legacy = client.base(), reason = %why, "legacy logout failed; the legacy session will expire on its own");
                }
            }
        };
        let rest_logout = async {
            match caller {
                // A session the REST side never accepted has nothing to end there.
                Ok(_) if gateway_session.as_ref().is_some_and(|s| s.1) => Ok(()),
                Ok(caller) => {
                    ctx.call_as_caller(
                        caller,
                        |auth: Auth| async move { ctx.rest.logout(&auth).await },
                    )
                    .await
                }
                Err(fault) => Err(fault),
            }
        };
        let (result, ()) = tokio::join!(rest_logout, legacy_logout);
        let gateway_session = gateway_session.map(|(id, _, _)| id);
        if let Some(id) = gateway_session {
            // The session must end everywhere: a store that cannot delete
            // it is the client's fault to hear about.
            ctx.sessions
                .remove(id)
                .await
                .map_err(super::context::store_fault)?;
            tracing::info!(session = %id.redacted(), "session ended");
        }
        match result {
            Ok(()) => Ok(LogoutResponse { ended: true }),
            // Nothing to end: not a fault for Logout.
            Err(fault)
                if fault.error_code == ErrorCode::Authentication
                    && session_id.is_some_and(|s| !s.trim().is_empty()) =>
            {
                Ok(LogoutResponse { ended: false })
            }
            Err(fault) => Err(fault),
        }
    }
}

impl WriteBody for LogoutResponse {
    fn write_body(&self, w: &mut XmlWriter) {
        w.value("LogoutResult", i32::from(self.ended));
    }
}
