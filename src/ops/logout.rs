//! `Logout(SessionID)` → `POST /v2/auth/logout`, then forget the SessionID.
//!
//! `LogoutResult` is an `int` in the WSDL: 1 when a session was ended, 0
//! when there was nothing to end (a SessionID the gateway no longer knows
//! and the upstream does not accept). Clients call Logout in `finally`
//! blocks, so an already-gone session is not a fault.

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

    fn parse(params: &Params) -> Result<Self, Fault> {
        Ok(Logout {
            session_id: params.get("SessionID").map(str::to_string),
        })
    }

    async fn call(self, ctx: &Context) -> Result<LogoutResponse, Fault> {
        let session_id = self.session_id.as_deref();
        // One lookup: the session (if it is one) is both the caller and
        // what is ended afterwards.
        let caller = ctx.caller(session_id.unwrap_or_default()).await;
        let gateway_session = caller
            .as_ref()
            .ok()
            .and_then(Caller::session)
            .map(|(id, _)| id);
        let result = match caller {
            Ok(caller) => {
                ctx.call_as_caller(
                    caller,
                    |auth: Auth| async move { ctx.rest.logout(&auth).await },
                )
                .await
            }
            Err(fault) => Err(fault),
        };
        if let Some(id) = gateway_session {
            ctx.sessions.remove(id).await;
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
