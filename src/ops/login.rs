//! `Login(LoginName, Password)` → `POST /v2/auth/login`.
//!
//! On the wire: the WSDL names the fields `LoginName` and `Password`; the
//! published docs and samples also send `UserName`, `UserID` or `Email` for
//! the name, and the documented `Sender*` fields, which are ignored. The
//! answer is a new SessionID (uppercase GUID) that the gateway maps to the
//! REST bearer token. The password is never stored.

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

    fn parse(params: &Params) -> Result<Self, Fault> {
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
        let token = ctx
            .rest
            .login(&self.login, &self.password)
            .await
            .map_err(|err| {
                if err.is_unauthorized() {
                    Fault::authentication("login failed: the login name or password is not valid")
                } else {
                    err.into_fault()
                }
            })?;
        let session_id = SessionId::generate().map_err(|e| {
            Fault::server(format!(
                "cannot draw a SessionID from the OS random source: {e}"
            ))
        })?;
        ctx.sessions
            .insert(
                session_id,
                Session {
                    token: token.token.into(),
                    expires_at: token.expires_at,
                    user_id: token.user_id.unwrap_or_default(),
                    created: ctx.now(),
                },
            )
            .await;
        tracing::info!(session = %session_id.redacted(), "session created");
        Ok(LoginResponse { session_id })
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
