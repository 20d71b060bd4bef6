//! `Version()` → `GET /v2/auth/version`, and `NowUTC()` from the gateway's
//! clock. Neither needs a session.

use crate::schema::requests::{NowUTCRequest, VersionRequest};
use crate::schema::responses::{NowUTCResponse, VersionResponse};
use crate::soap::{Fault, Params};

use super::whoami::GATEWAY_VERSION;
use super::{Context, Operation};

/// A `Version` request: the generated `VersionRequest` (no parameters).
pub use crate::schema::requests::VersionRequest as Version;

impl Operation for Version {
    const NAME: &'static str = "Version";
    type Response = VersionResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        VersionRequest::parse(params)
    }

    async fn call(self, ctx: &Context) -> Result<VersionResponse, Fault> {
        let data = ctx.rest.version().await?;
        let version = format!("{GATEWAY_VERSION} (ECGrid REST API {})", data.version);
        Ok(VersionResponse {
            result: Some(version),
        })
    }
}

/// A `NowUTC` request: the generated `NowUTCRequest` (no parameters).
pub use crate::schema::requests::NowUTCRequest as NowUtc;

impl Operation for NowUtc {
    const NAME: &'static str = "NowUTC";
    type Response = NowUTCResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        NowUTCRequest::parse(params)
    }

    async fn call(self, ctx: &Context) -> Result<NowUTCResponse, Fault> {
        Ok(NowUTCResponse {
            result: ctx.now().into(),
        })
    }
}
