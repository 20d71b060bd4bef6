//! `WhoAmI(SessionID)` → `GET /v2/users/me` → `SessionInfo`.
//!
//! `SessionInfo` is written in the WSDL's element order. Fields REST does
//! not have get the neutral value a .NET service writes for them
//! (`SessionEventID` 0, `TimeZoneOffset` 0); `LastLogin` is the time the
//! gateway session was created (or the upstream's `lastLogin` for an API
//! key), `OpenSessions` is 1 for a gateway session, and `TimeOut` is the
//! session idle timeout in minutes.

use time::OffsetDateTime;

use crate::domain::AuthLevel;
use crate::rest::auth::MeData;
use crate::rest::Auth;
use crate::soap::writer::{WriteBody, XmlWriter};
use crate::soap::{Fault, Params};

use super::{Context, Operation};

/// Written in `SessionInfo/ECGridOSVersion`.
pub const GATEWAY_VERSION: &str = concat!("ecgrid-gateway ", env!("CARGO_PKG_VERSION"));

/// A `WhoAmI` request.
pub struct WhoAmI {
    session_id: Option<String>,
}

/// `WhoAmIResult` (`SessionInfo`).
pub struct WhoAmIResponse {
    session_id: String,
    me: MeData,
    auth_level: AuthLevel,
    last_login: Option<OffsetDateTime>,
    open_sessions: i16,
    timeout_minutes: i16,
}

impl Operation for WhoAmI {
    const NAME: &'static str = "WhoAmI";
    type Response = WhoAmIResponse;

    fn parse(params: &Params) -> Result<Self, Fault> {
        Ok(WhoAmI {
            session_id: params.get("SessionID").map(str::to_string),
        })
    }

    async fn call(self, ctx: &Context) -> Result<WhoAmIResponse, Fault> {
        let session_id = self.session_id.unwrap_or_default();
        // Looked up once: the caller's session also gives LastLogin and
        // OpenSessions.
        let caller = ctx.caller(&session_id).await?;
        let session_created = caller.session().map(|(_, s)| s.created);
        let me = ctx
            .call_as_caller(caller, |auth: Auth| async move { ctx.rest.me(&auth).await })
            .await?;
        let auth_level = match me.auth_level.as_deref() {
            None | Some("") => AuthLevel::General,
            Some(name) => name.parse().map_err(|e| {
                Fault::server(format!(
                    "upstream users/me sent an authLevel the WSDL cannot carry: {e}"
                ))
            })?,
        };
        let timeout_minutes =
            (ctx.sessions.idle_timeout().as_secs() / 60).min(i16::MAX as u64) as i16;
        Ok(WhoAmIResponse {
            last_login: session_created.or(me.last_login),
            open_sessions: i16::from(session_created.is_some()),
            session_id,
            me,
            auth_level,
            timeout_minutes,
        })
    }
}

impl WhoAmIResponse {
    /// A response shaped like the sandbox demo user's, for benchmarks.
    #[doc(hidden)]
    pub fn sample() -> Self {
        WhoAmIResponse {
            session_id: "A1B2C3D4-E5F6-7890-ABCD-EF1234567890".to_string(),
            me: MeData {
                user_id: 1001,
                login: Some("demo".to_string()),
                email: Some("demo@example.com".to_string()),
                first_name: Some("Demo".to_string()),
                last_name: Some("User".to_string()),
                network_id: 1,
                mailbox_id: 101,
                auth_level: Some("NetworkAdmin".to_string()),
                status: Some("Active".to_string()),
                company: Some("Example & Co".to_string()),
                phone: Some("+1 555 0100".to_string()),
                last_login: None,
            },
            auth_level: AuthLevel::NetworkAdmin,
            last_login: Some(time::macros::datetime!(2026-05-07 14:32:00 UTC)),
            open_sessions: 1,
            timeout_minutes: 20,
        }
    }
}

impl WriteBody for WhoAmIResponse {
    fn write_body(&self, w: &mut XmlWriter) {
        let me = &self.me;
        w.start("WhoAmIResult");
        w.text("ECGridOSVersion", GATEWAY_VERSION);
        w.text("SessionID", &self.session_id);
        w.value("SessionEventID", 0);
        w.value("UserID", me.user_id);
        w.opt_text("LoginName", me.login.as_deref());
        w.opt_text("FirstName", me.first_name.as_deref());
        w.opt_text("LastName", me.last_name.as_deref());
        w.opt_text("Company", me.company.as_deref());
        w.opt_text("EMail", me.email.as_deref());
        w.opt_text("Phone", me.phone.as_deref());
        w.value("TimeZoneOffset", 0);
        w.value("AuthLevel", self.auth_level);
        w.datetime("LastLogin", self.last_login);
        w.value("OpenSessions", self.open_sessions);
        w.value("TimeOut", self.timeout_minutes);
        w.value("NetworkID", me.network_id);
        w.value("MailboxID", me.mailbox_id);
        w.end("WhoAmIResult");
    }
}
