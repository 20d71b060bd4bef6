//! The one error type of the gateway: every failure, from a malformed
//! envelope to an upstream timeout, becomes a [`Fault`] and is written as a
//! SOAP 1.1 or 1.2 fault (DESIGN.md rule 4).

use std::fmt;

use axum::http::StatusCode;

/// Who is to blame, in SOAP terms. SOAP 1.1 writes `soap:Client` /
/// `soap:Server`; SOAP 1.2 writes `soap:Sender` / `soap:Receiver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    /// The request is wrong: the client must change it.
    Client,
    /// The gateway or the upstream failed: the same request may work later.
    Server,
    /// A header marked `mustUnderstand` was not understood.
    MustUnderstand,
    /// The envelope is not a SOAP 1.1 or 1.2 envelope.
    VersionMismatch,
}

impl FaultCode {
    /// The local name written after the `soap:` prefix for SOAP 1.1.
    pub const fn soap11(self) -> &'static str {
        match self {
            FaultCode::Client => "Client",
            FaultCode::Server => "Server",
            FaultCode::MustUnderstand => "MustUnderstand",
            FaultCode::VersionMismatch => "VersionMismatch",
        }
    }

    /// The local name written after the `soap:` prefix for SOAP 1.2.
    pub const fn soap12(self) -> &'static str {
        match self {
            FaultCode::Client => "Sender",
            FaultCode::Server => "Receiver",
            FaultCode::MustUnderstand => "MustUnderstand",
            FaultCode::VersionMismatch => "VersionMismatch",
        }
    }
}

/// `detail/ECGridOSSOAPErrorCode`: the ECGridOS error category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Missing, expired or invalid SessionID or credentials.
    Authentication,
    /// The session may not do this.
    Authorization,
    /// The object does not exist.
    ObjectNotFound,
    /// A parameter is missing, malformed or out of range (or the request
    /// itself is not a well-formed SOAP call).
    InvalidParameter,
    /// Anything on the gateway's or upstream's side.
    SystemError,
}

impl ErrorCode {
    /// The name written in `ECGridOSSOAPErrorCode`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Authentication => "Authentication",
            ErrorCode::Authorization => "Authorization",
            ErrorCode::ObjectNotFound => "ObjectNotFound",
            ErrorCode::InvalidParameter => "InvalidParameter",
            ErrorCode::SystemError => "SystemError",
        }
    }
}

/// A SOAP fault on its way to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `faultcode` / `Code/Value`.
    pub code: FaultCode,
    /// `detail/ECGridOSSOAPErrorCode`.
    pub error_code: ErrorCode,
    /// `faultstring` / `Reason/Text`: what is wrong, and where.
    pub message: String,
    /// HTTP status of the fault response: 500 per SOAP, except for errors
    /// at the HTTP layer (413 body too large, 415 content type, 405 method).
    pub http_status: StatusCode,
}

impl Fault {
    /// A `soap:Client` fault with the given category.
    pub fn client(error_code: ErrorCode, message: impl Into<String>) -> Self {
        Fault {
            code: FaultCode::Client,
            error_code,
            message: message.into(),
            http_status: StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A `soap:Server` fault (`SystemError`).
    pub fn server(message: impl Into<String>) -> Self {
        Fault {
            code: FaultCode::Server,
            error_code: ErrorCode::SystemError,
            message: message.into(),
            http_status: StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A `soap:Client` / `InvalidParameter` fault.
    pub fn invalid(message: impl Into<String>) -> Self {
        Fault::client(ErrorCode::InvalidParameter, message)
    }

    /// A `soap:Client` / `Authentication` fault.
    pub fn authentication(message: impl Into<String>) -> Self {
        Fault::client(ErrorCode::Authentication, message)
    }

    /// The fault for an operation of the original WSDL (or an unknown
    /// element) that this gateway does not translate (DESIGN.md rule 6).
    pub fn unsupported_operation(name: &str) -> Self {
        Fault::invalid(format!("operation {name} is not supported by this gateway"))
    }

    /// The same fault with another HTTP status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.http_status = status;
        self
    }

    /// The same fault with another SOAP code.
    pub fn with_code(mut self, code: FaultCode) -> Self {
        self.code = code;
        self
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} fault ({}): {}",
            self.code.soap11(),
            self.error_code.as_str(),
            self.message
        )
    }
}

impl std::error::Error for Fault {}
