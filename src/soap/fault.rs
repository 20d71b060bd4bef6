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
            message: bounded_message(message.into()),
            http_status: StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A `soap:Server` fault (`SystemError`).
    pub fn server(message: impl Into<String>) -> Self {
        Fault {
            code: FaultCode::Server,
            error_code: ErrorCode::SystemError,
            message: bounded_message(message.into()),
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
    /// element) that this gateway does not translate (DESIGN.md rule 6),
    /// with "did you mean" when `suggestion` is the real name it misspells.
    pub fn unsupported_operation(name: &str, suggestion: Option<&str>) -> Self {
        let hint = suggestion
            .map(|s| format!("; did you mean {s}?"))
            .unwrap_or_default();
        Fault::invalid(format!(
            "operation {} is not supported by this gateway{hint}",
            Shown(name)
        ))
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

/// Most characters of a request's name or value a fault or log line shows.
pub const SHOWN_CHARS: usize = 64;

/// Longest fault message kept whole, in bytes: a backstop for messages that
/// quote a value without [`Shown`] (the reader's own names and values go
/// through `Shown`).
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// A name or value from the request as faults and logs show it: whole when
/// it has at most [`SHOWN_CHARS`] characters, else that many followed by
/// `… (N bytes)`, so a 900 KB element name costs a short line, not a 900 KB
/// fault and log record.
pub struct Shown<'a>(pub &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(SHOWN_CHARS) {
            None => f.write_str(self.0),
            Some((cut, _)) => write!(f, "{}… ({} bytes)", &self.0[..cut], self.0.len()),
        }
    }
}

/// `message`, cut to [`MAX_MESSAGE_BYTES`] (at a character boundary) with
/// its length when longer.
fn bounded_message(message: String) -> String {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message;
    }
    let mut cut = MAX_MESSAGE_BYTES;
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}… (message cut, {} bytes)",
        &message[..cut],
        message.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_cuts_long_names_and_counts_their_bytes() {
        assert_eq!(Shown("Login").to_string(), "Login");
        let exact = "é".repeat(SHOWN_CHARS);
        assert_eq!(Shown(&exact).to_string(), exact);
        let long = "a".repeat(900_000);
        let shown = Shown(&long).to_string();
        assert_eq!(
            shown,
            format!("{}… (900000 bytes)", "a".repeat(SHOWN_CHARS))
        );
    }

    #[test]
    fn long_messages_are_cut_with_their_length() {
        let fault = Fault::invalid(format!("bad value '{}'", "é".repeat(100_000)));
        assert!(
            fault.message.len() < MAX_MESSAGE_BYTES + 64,
            "{}",
            fault.message.len()
        );
        assert!(
            fault.message.ends_with("… (message cut, 200012 bytes)"),
            "{}",
            &fault.message[1000..]
        );
        let short = Fault::server("upstream timed out");
        assert_eq!(short.message, "upstream timed out");
    }
}
