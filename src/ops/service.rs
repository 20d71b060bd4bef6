//! `Version()` → `GET /v2/auth/version`, and `NowUTC()` from the gateway's
//! clock. Neither needs a session.

use time::OffsetDateTime;

use crate::soap::writer::{WriteBody, XmlWriter};
use crate::soap::{Fault, Params};

use super::whoami::GATEWAY_VERSION;
use super::{Context, Operation};

/// A `Version` request.
pub struct Version;

/// `VersionResult`: gateway and upstream versions.
pub struct VersionResponse {
    upstream: String,
}

impl Operation for Version {
    const NAME: &'static str = "Version";
    type Response = VersionResponse;

    fn parse(_: &Params) -> Result<Self, Fault> {
        Ok(Version)
    }

    async fn call(self, ctx: &Context) -> Result<VersionResponse, Fault> {
        let data = ctx.rest.version().await?;
        Ok(VersionResponse {
            upstream: data.version,
        })
    }
}

impl WriteBody for VersionResponse {
    fn write_body(&self, w: &mut XmlWriter) {
        w.text(
            "VersionResult",
            &format!("{GATEWAY_VERSION} (ECGrid REST API {})", self.upstream),
        );
    }
}

/// A `NowUTC` request.
pub struct NowUtc;

/// `NowUTCResult`.
pub struct NowUtcResponse {
    now: OffsetDateTime,
}

impl Operation for NowUtc {
    const NAME: &'static str = "NowUTC";
    type Response = NowUtcResponse;

    fn parse(_: &Params) -> Result<Self, Fault> {
        Ok(NowUtc)
    }

    async fn call(self, ctx: &Context) -> Result<NowUtcResponse, Fault> {
        Ok(NowUtcResponse { now: ctx.now() })
    }
}

impl WriteBody for NowUtcResponse {
    fn write_body(&self, w: &mut XmlWriter) {
        w.datetime("NowUTCResult", Some(self.now));
    }
}
