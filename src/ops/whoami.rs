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
use crate::schema::requests::WhoAmIRequest;
use crate::schema::responses::WhoAmIResponse;
use crate::schema::types::SessionInfo;
use crate::soap::{Fault, Params};

use super::{Context, Operation};

/// Written in `SessionInfo/ECGridOSVersion`.
pub const GATEWAY_VERSION: &str = concat!("ecgrid-gateway ", env!("CARGO_PKG_VERSION"));

/// A `WhoAmI` request: the generated `WhoAmIRequest`.
pub use crate::schema::requests::WhoAmIRequest as WhoAmI;

impl Operation for WhoAmI {
    const NAME: &'static str = "WhoAmI";
    type Response = WhoAmIResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        WhoAmIRequest::parse(params)
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
        let last_login = session_created.or(me.last_login);
        let open_sessions = i16::from(session_created.is_some());
        let info = session_info(
            session_id,
            me,
            auth_level,
            last_login,
            open_sessions,
            timeout_minutes,
        );
        Ok(WhoAmIResponse { result: Some(info) })
    }
}

/// `SessionInfo` of the user `me` in the gateway session `session_id`.
fn session_info(
    session_id: String,
    me: MeData,
    auth_level: AuthLevel,
    last_login: Option<OffsetDateTime>,
    open_sessions: i16,
    time_out: i16,
) -> SessionInfo {
    SessionInfo {
        ecgrid_os_version: Some(GATEWAY_VERSION.to_string()),
        session_id: Some(session_id),
        session_event_id: 0,
        user_id: me.user_id,
        login_name: me.login,
        first_name: me.first_name,
        last_name: me.last_name,
        company: me.company,
        e_mail: me.email,
        phone: me.phone,
        time_zone_offset: 0.0,
        auth_level,
        last_login: last_login.into(),
        open_sessions,
        time_out,
        network_id: me.network_id,
        mailbox_id: me.mailbox_id,
        ip: None,
    }
}

/// A response shaped like the sandbox demo user's, for benchmarks.
#[doc(hidden)]
pub fn sample_response() -> WhoAmIResponse {
    let me = MeData {
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
    };
    let session_id = "A1B2C3D4-E5F6-7890-ABCD-EF1234567890".to_string();
    let last_login = Some(time::macros::datetime!(2026-05-07 14:32:00 UTC));
    let info = session_info(session_id, me, AuthLevel::NetworkAdmin, last_login, 1, 20);
    WhoAmIResponse { result: Some(info) }
}
