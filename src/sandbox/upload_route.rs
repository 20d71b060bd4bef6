//! Deciding where an upload goes: `ecGridIdTo` when given, else the file's
//! ISA/UNB receiver; the header's sender must be the uploader's own ID and
//! the recipient a known, interconnected ID other than the uploader's.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use super::directory::{Directory, TpEntry};
use super::edi_route::{read_header, InterchangeHeader, Sniff};
use super::envelope::ApiError;

/// Standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes the `content` field: standard base64, padding optional, ASCII
/// whitespace ignored. Errors name the field and the offset.
pub(crate) fn decode_content(content: &str) -> Result<Vec<u8>, ApiError> {
    let raw = content.as_bytes();
    let has_space = raw.iter().any(|b| b.is_ascii_whitespace());
    let result = if has_space {
        let compact: Vec<u8> = raw
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        BASE64.decode(compact)
    } else {
        BASE64.decode(raw)
    };
    result.map_err(|e| {
        let where_ = if has_space {
            " (whitespace removed)"
        } else {
            ""
        };
        ApiError::invalid_parameter(format!("field `content` is not valid base64{where_}: {e}"))
    })
}

/// Where an upload goes.
#[derive(Debug)]
pub(crate) struct Route<'a> {
    pub recipient: &'a TpEntry,
    pub header: Option<InterchangeHeader>,
}

/// Why an upload was refused for its routing (the message names the ID).
#[derive(Debug)]
pub(crate) struct Refused(pub ApiError);

/// Routes a file uploaded by `own` (the uploader's ID) with an optional
/// explicit recipient.
pub(crate) fn route<'a>(
    dir: &'a Directory,
    own: &TpEntry,
    explicit_to: Option<i32>,
    file: &[u8],
) -> Result<Route<'a>, Refused> {
    let refuse = |m: String| Refused(ApiError::invalid_parameter(m));
    let own_name = format!("{}/{} (ECGrid ID {})", own.qualifier, own.id, own.ecgrid_id);
    let header = match read_header(file) {
        Sniff::NotEdi => None,
        Sniff::Edi(h) => Some(h),
        Sniff::Malformed(m) => return Err(refuse(format!("field `content`: {m}"))),
    };
    if let Some(h) = &header {
        let is_own = dir
            .find(&h.sender.qualifier, &h.sender.id)
            .is_some_and(|t| t.ecgrid_id == own.ecgrid_id);
        if !is_own {
            return Err(refuse(format!(
                "interchange {} {} is not your ID; you send as {own_name}",
                h.sender_fields(),
                h.sender
            )));
        }
    }
    let (recipient, what) = match (explicit_to, &header) {
        (Some(to), _) => (
            dir.ids.get(&to).ok_or_else(|| {
                refuse(format!(
                    "field `ecGridIdTo`: ECGrid ID {to} is not a known trading partner ID"
                ))
            })?,
            format!("ecGridIdTo {to}"),
        ),
        (None, Some(h)) => (
            dir.find(&h.receiver.qualifier, &h.receiver.id)
                .ok_or_else(|| {
                    refuse(format!(
                        "interchange {} {} is not a known trading partner ID",
                        h.receiver_fields(),
                        h.receiver
                    ))
                })?,
            format!("interchange {} {}", h.receiver_fields(), h.receiver),
        ),
        (None, None) => {
            return Err(refuse(
                "the file has no ISA or UNB interchange header, so its recipient cannot be read from it: give `ecGridIdTo`".into(),
            ))
        }
    };
    if recipient.ecgrid_id == own.ecgrid_id {
        return Err(refuse(format!(
            "{what} is your own ID {own_name}; send to a trading partner"
        )));
    }
    if !dir.interconnected(own.ecgrid_id, recipient.ecgrid_id) {
        return Err(refuse(format!(
            "{what} ({}/{}, ECGrid ID {}) is not interconnected with your ID {own_name}",
            recipient.qualifier, recipient.id, recipient.ecgrid_id
        )));
    }
    Ok(Route { recipient, header })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::Account;

    const X12: &str = "ISA*00*          *00*          *ZZ*ECGRIDDEMO     *ZZ*ECGRIDPARTNER  *260507*1030*U*00401*000000001*0*P*>~ST*850*0001~";

    fn dir() -> Directory {
        Directory::new(&Account::builtins(), time::OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn routes_by_header_or_explicit_id_and_refuses_naming_the_id() {
        let d = dir();
        let demo = d.ids[&100101].clone();
        let r = route(&d, &demo, None, X12.as_bytes()).unwrap();
        assert_eq!(r.recipient.ecgrid_id, 200201);
        assert_eq!(r.header.unwrap().document_type, "850");
        let r = route(&d, &demo, Some(200201), b"not edi").unwrap();
        assert!(r.header.is_none());

        let e = |r: Result<Route, Refused>| r.unwrap_err().0.message;
        let m = e(route(&d, &demo, None, b"not edi"));
        assert!(m.contains("ecGridIdTo"), "{m}");
        let m = e(route(
            &d,
            &demo,
            None,
            X12.replace("ECGRIDPARTNER  ", "NOBODY         ").as_bytes(),
        ));
        assert!(
            m.contains("ISA07/ISA08 receiver ZZ/NOBODY is not a known"),
            "{m}"
        );
        let m = e(route(
            &d,
            &demo,
            None,
            X12.replace("ECGRIDDEMO     ", "SOMEONEELSE    ").as_bytes(),
        ));
        assert!(
            m.contains("ISA05/ISA06 sender ZZ/SOMEONEELSE is not your ID"),
            "{m}"
        );
        let m = e(route(&d, &demo, Some(999), X12.as_bytes()));
        assert!(m.contains("ECGrid ID 999 is not a known"), "{m}");
        let m = e(route(&d, &demo, Some(100101), b"x"));
        assert!(m.contains("your own ID"), "{m}");
        let m = e(route(&d, &demo, None, b"ISA*00*"));
        assert!(m.contains("16 elements"), "{m}");
    }

    #[test]
    fn content_is_base64_with_optional_padding_and_whitespace() {
        assert_eq!(decode_content("aGk=").unwrap(), b"hi");
        assert_eq!(decode_content("aGk").unwrap(), b"hi");
        assert_eq!(decode_content("aG\r\nk=").unwrap(), b"hi");
        let m = decode_content("a$Gk").unwrap_err().message;
        assert!(m.contains("`content`") && m.contains("offset 1"), "{m}");
    }
}
