//! SOAP versions and the ECGridOS service namespaces the gateway answers in.

/// SOAP 1.1 envelope namespace.
pub const SOAP11_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace.
pub const SOAP12_ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
/// XML Schema instance namespace (for `xsi:nil`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// XML Schema namespace.
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema";

/// The SOAP version of a request; the response is written in the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SoapVersion {
    /// SOAP 1.1: `text/xml`, `SOAPAction` header, `faultcode`/`faultstring`.
    V11,
    /// SOAP 1.2: `application/soap+xml`, `Code`/`Reason` faults.
    V12,
}

impl SoapVersion {
    /// The envelope namespace of this version.
    pub const fn envelope_ns(self) -> &'static str {
        match self {
            SoapVersion::V11 => SOAP11_ENV,
            SoapVersion::V12 => SOAP12_ENV,
        }
    }

    /// The `Content-Type` of a response in this version.
    pub const fn content_type(self) -> &'static str {
        match self {
            SoapVersion::V11 => "text/xml; charset=utf-8",
            SoapVersion::V12 => "application/soap+xml; charset=utf-8",
        }
    }

    /// The version whose envelope namespace is `ns`, if any.
    pub fn from_envelope_ns(ns: &[u8]) -> Option<Self> {
        if ns == SOAP11_ENV.as_bytes() {
            Some(SoapVersion::V11)
        } else if ns == SOAP12_ENV.as_bytes() {
            Some(SoapVersion::V12)
        } else {
            None
        }
    }

    /// A short label for logs and docs: `1.1` or `1.2`.
    pub const fn label(self) -> &'static str {
        match self {
            SoapVersion::V11 => "1.1",
            SoapVersion::V12 => "1.2",
        }
    }
}

/// An ECGridOS service namespace accepted on input (DESIGN.md rule 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceNs {
    /// `https://os.ecgrid.io/`: the v4.1 WSDL.
    V41,
    /// `http://ecgridos.net/`: the v3.2 WSDL.
    V32,
    /// `http://www.ecgridos.net/`: the published raw-HTTP samples and guides.
    WwwSamples,
}

impl ServiceNs {
    /// Every accepted namespace.
    pub const ALL: [ServiceNs; 3] = [ServiceNs::V41, ServiceNs::V32, ServiceNs::WwwSamples];

    /// The namespace URI.
    pub const fn uri(self) -> &'static str {
        match self {
            ServiceNs::V41 => "https://os.ecgrid.io/",
            ServiceNs::V32 => "http://ecgridos.net/",
            ServiceNs::WwwSamples => "http://www.ecgridos.net/",
        }
    }

    /// The accepted namespace equal to `uri`, if any.
    pub fn from_uri(uri: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|ns| ns.uri().as_bytes() == uri)
    }
}
