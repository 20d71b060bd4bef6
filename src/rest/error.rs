//! Upstream failures and how they become SOAP faults (DESIGN.md rule 4).

use std::time::Duration;

use crate::soap::{ErrorCode, Fault};

/// Why an upstream REST call did not produce data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestError {
    /// The upstream answered with an error (HTTP status ≥ 400, or
    /// `success: false`).
    Status {
        /// HTTP status code.
        status: u16,
        /// The envelope's `errorCode` (empty when absent).
        error_code: String,
        /// The envelope's `message`, or a short excerpt of the body.
        message: String,
    },
    /// No answer within the upstream timeout.
    Timeout {
        /// Upstream base URL.
        upstream: String,
        /// The configured timeout.
        after: Duration,
    },
    /// The upstream could not be reached (DNS, connect, TLS, reset).
    Unreachable {
        /// Upstream base URL.
        upstream: String,
        /// What went wrong, without secrets.
        reason: String,
    },
    /// The upstream answered something the gateway cannot read.
    BadResponse {
        /// Upstream base URL.
        upstream: String,
        /// What was wrong with it.
        reason: String,
    },
}

impl RestError {
    /// The HTTP status, for errors the upstream answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            RestError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for a 401 answer.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// The SOAP fault for this error (DESIGN.md rule 4): 400 InvalidParameter,
    /// 401 Authentication, 403 Authorization, 404 ObjectNotFound (all
    /// `soap:Client`); 429, 5xx, timeouts and network failures are
    /// `soap:Server` / SystemError naming the upstream.
    pub fn into_fault(self) -> Fault {
        match self {
            RestError::Status {
                status,
                error_code,
                message,
            } => {
                let detail = describe(&error_code, &message);
                match status {
                    401 => Fault::client(ErrorCode::Authentication, detail),
                    403 => Fault::client(ErrorCode::Authorization, detail),
                    404 => Fault::client(ErrorCode::ObjectNotFound, detail),
                    429 => Fault::server(format!(
                        "upstream rate limit reached (HTTP 429): {detail}; retry later"
                    )),
                    400..=499 => Fault::client(ErrorCode::InvalidParameter, detail),
                    _ => Fault::server(format!("upstream error (HTTP {status}): {detail}")),
                }
            }
            RestError::Timeout { upstream, after } => Fault::server(format!(
                "upstream {upstream} did not answer within {}",
                humantime::format_duration(after)
            )),
            RestError::Unreachable { upstream, reason } => {
                Fault::server(format!("upstream {upstream} is unreachable: {reason}"))
            }
            RestError::BadResponse { upstream, reason } => Fault::server(format!(
                "upstream {upstream} sent a response the gateway cannot read: {reason}"
            )),
        }
    }
}

impl From<RestError> for Fault {
    fn from(err: RestError) -> Self {
        err.into_fault()
    }
}

fn describe(error_code: &str, message: &str) -> String {
    match (error_code.is_empty(), message.is_empty()) {
        (true, false) => message.to_string(),
        (false, false) => format!("{message} ({error_code})"),
        (false, true) => error_code.to_string(),
        (true, true) => "no details given".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::FaultCode;

    fn status(code: u16) -> RestError {
        RestError::Status {
            status: code,
            error_code: "X".into(),
            message: "m".into(),
        }
    }

    #[test]
    fn statuses_map_per_design_rule_4() {
        let cases = [
            (400, FaultCode::Client, ErrorCode::InvalidParameter),
            (401, FaultCode::Client, ErrorCode::Authentication),
            (403, FaultCode::Client, ErrorCode::Authorization),
            (404, FaultCode::Client, ErrorCode::ObjectNotFound),
            (409, FaultCode::Client, ErrorCode::InvalidParameter),
            (429, FaultCode::Server, ErrorCode::SystemError),
            (500, FaultCode::Server, ErrorCode::SystemError),
            (503, FaultCode::Server, ErrorCode::SystemError),
        ];
        for (code, fault_code, error_code) in cases {
            let fault = status(code).into_fault();
            assert_eq!(
                (fault.code, fault.error_code),
                (fault_code, error_code),
                "{code}"
            );
            assert!(fault.message.contains("m (X)"), "{}", fault.message);
        }
    }

    #[test]
    fn network_failures_name_the_upstream() {
        let fault = RestError::Timeout {
            upstream: "http://127.0.0.1:9".into(),
            after: Duration::from_secs(30),
        }
        .into_fault();
        assert_eq!(fault.code, FaultCode::Server);
        assert_eq!(
            fault.message,
            "upstream http://127.0.0.1:9 did not answer within 30s"
        );
        let fault = RestError::Unreachable {
            upstream: "http://u".into(),
            reason: "connection refused".into(),
        }
        .into_fault();
        assert_eq!(
            fault.message,
            "upstream http://u is unreachable: connection refused"
        );
    }
}
