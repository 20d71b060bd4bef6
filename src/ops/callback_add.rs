//! `CallBackAddEx` and `CallBackAdd` → `POST /v2/callbacks/create`.
//!
//! `CallBackAddEx` is the WSDL's registration call; it is sent in the REST
//! reference shape (`url`, `event`, `networkId`, `mailboxId`,
//! `httpAuthType`, `username`, `password`) plus the *(ext)* fields
//! `frequency`, `retries`, `status`, `direction`, `objectStatus`, `userId`,
//! and answers `CallBackEventIDInfo`.
//!
//! `CallBackAdd` is not in the original WSDL; the published docs show it in
//! two forms, told apart by their parameter names:
//!
//! * reference form: `SessionID, NetworkID, MailboxID, URL, Event (Objects),
//!   AuthType (HTTPAuthType), Username, Password` → the REST reference shape;
//! * guide form: `SessionID, NetworkID, MailboxID, ECGridID, CallBackURL,
//!   CallBackEvent (InBox, OutBox, InBoxError, OutBoxError, ConfirmDelivery),
//!   Frequency, Retries` → the REST guide shape (`callBackUrl`,
//!   `callBackEvent`, `ecGridId`, `frequency`, `retries`, `status: Active`).
//!
//! Both answer `CallBackQueueIDInfo` whose `CallBackQueueID` is the REST
//! `callbackId`, the id the guide's client passes back to `CallBackTest`.

use crate::domain::{CallBackEventType, Direction, HttpAuthType, Objects, Status};
use crate::rest::callbacks::CreateCallback;
use crate::rest::Auth;
use crate::schema::responses::CallBackAddExResponse;
use crate::schema::types::CallBackQueueIDInfo;
use crate::schema::WriteXml;
use crate::soap::writer::{WriteBody, XmlWriter};
use crate::soap::{Fault, Params};

use super::callback_types::{callback_event_id_info, callback_queue_id_info_of_created};
use super::{Context, Operation};

/// Parameters only the reference form of `CallBackAdd` has.
const REFERENCE_FIELDS: [&str; 5] = ["URL", "Event", "AuthType", "Username", "Password"];
/// Parameters only the guide form of `CallBackAdd` has.
const GUIDE_FIELDS: [&str; 5] = [
    "CallBackURL",
    "CallBackEvent",
    "ECGridID",
    "Frequency",
    "Retries",
];
/// What each form needs, for the fault when the form cannot be told.
const FORMS: &str = "CallBackAdd takes either the reference form (URL and Event required; AuthType, Username, Password optional) or the guide form (CallBackURL and CallBackEvent required; ECGridID, Frequency, Retries optional), with SessionID, NetworkID and MailboxID in both";

/// A non-blank string parameter, else `None`.
fn opt_string(params: &Params, name: &str) -> Option<String> {
    params
        .get(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// A non-empty secret parameter, as sent (not trimmed).
fn opt_secret(params: &Params, name: &str) -> Option<String> {
    params
        .get(name)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Creates the callback as the caller behind `session_id`.
async fn create(
    ctx: &Context,
    session_id: Option<&str>,
    body: CreateCallback,
) -> Result<crate::rest::callbacks::CallbackRecord, Fault> {
    let body = &body;
    ctx.call_as(session_id, |auth: Auth| async move {
        ctx.rest.create_callback(&auth, body).await
    })
    .await
}

/// A `CallBackAddEx` request. Read by hand rather than by the generated
/// `CallBackAddExRequest`: that gives an absent parameter its .NET default
/// (`Status` `Development`, `Direction` `NoDir`, `Frequency` 0), which would
/// be sent to REST; here an absent one is left for the upstream to default.
pub struct CallBackAddEx {
    session_id: Option<String>,
    body: CreateCallback,
}

impl Operation for CallBackAddEx {
    const NAME: &'static str = "CallBackAddEx";
    type Response = CallBackAddExResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        let url = params.required_str("URL")?.trim().to_string();
        let object: Objects = params.required_enumeration("SystemObject")?;
        let direction: Option<Direction> = params.enumeration("Direction")?;
        let auth: Option<HttpAuthType> = params.enumeration("HTTPAuthentication")?;
        let status: Option<Status> = params.enumeration("Status")?;
        let body = CreateCallback {
            url: Some(url),
            event: Some(object.as_str().to_string()),
            network_id: params.int::<i32>("NetworkID")?,
            mailbox_id: params.int::<i32>("MailboxID")?,
            http_auth_type: auth.map(|a| a.as_str().to_string()),
            username: opt_string(params, "HTTPUser"),
            password: opt_secret(params, "HTTPPassword"),
            frequency: params.int::<i16>("Frequency")?.map(i32::from),
            retries: params.int::<i16>("MaxRetries")?.map(i32::from),
            status: status.map(|s| s.as_str().to_string()),
            direction: direction.map(|d| d.as_str().to_string()),
            object_status: params.int::<i16>("ObjectStatus")?.map(i32::from),
            // UserID 0 means "the caller" in ECGridOS: let the upstream decide.
            user_id: params.int::<i32>("UserID")?.filter(|&u| u != 0),
            ..CreateCallback::default()
        };
        Ok(CallBackAddEx {
            session_id: params.get("SessionID").map(str::to_string),
            body,
        })
    }

    async fn call(self, ctx: &Context) -> Result<CallBackAddExResponse, Fault> {
        let record = create(ctx, self.session_id.as_deref(), self.body).await?;
        let info = callback_event_id_info(&record)?;
        Ok(CallBackAddExResponse { result: Some(info) })
    }
}

/// Which published form a `CallBackAdd` request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddForm {
    /// `URL`, `Event`, `AuthType`, `Username`, `Password`.
    Reference,
    /// `CallBackURL`, `CallBackEvent`, `ECGridID`, `Frequency`, `Retries`.
    Guide,
}

impl AddForm {
    /// Tells the form apart by parameter names; neither or both is an
    /// InvalidParameter fault saying what each form needs.
    pub fn detect(params: &Params) -> Result<Self, Fault> {
        let reference: Vec<&str> = REFERENCE_FIELDS
            .into_iter()
            .filter(|n| params.has(n))
            .collect();
        let guide: Vec<&str> = GUIDE_FIELDS.into_iter().filter(|n| params.has(n)).collect();
        match (reference.is_empty(), guide.is_empty()) {
            (false, true) => Ok(AddForm::Reference),
            (true, false) => Ok(AddForm::Guide),
            (true, true) => Err(Fault::invalid(format!(
                "{FORMS}; this request has the fields of neither"
            ))),
            (false, false) => Err(Fault::invalid(format!(
                "{FORMS}; this request mixes them (reference: {}; guide: {})",
                reference.join(", "),
                guide.join(", ")
            ))),
        }
    }
}

/// A `CallBackAdd` request, in either form.
pub struct CallBackAdd {
    session_id: Option<String>,
    form: AddForm,
    body: CreateCallback,
}

/// `CallBackAddResult`: a `CallBackQueueIDInfo` (the operation is not in the
/// original WSDL, so it has no generated response).
pub struct CallBackAddResponse(CallBackQueueIDInfo);

impl CallBackAdd {
    /// The REST body for the request's form.
    fn body(form: AddForm, params: &Params) -> Result<CreateCallback, Fault> {
        let network_id = params.int::<i32>("NetworkID")?;
        let mailbox_id = params.int::<i32>("MailboxID")?;
        Ok(match form {
            AddForm::Reference => {
                let url = params.required_str("URL")?.trim().to_string();
                let object: Objects = params.required_enumeration("Event")?;
                let auth: Option<HttpAuthType> = params.enumeration("AuthType")?;
                CreateCallback {
                    url: Some(url),
                    event: Some(object.as_str().to_string()),
                    network_id,
                    mailbox_id,
                    http_auth_type: auth.map(|a| a.as_str().to_string()),
                    username: opt_string(params, "Username"),
                    password: opt_secret(params, "Password"),
                    ..CreateCallback::default()
                }
            }
            AddForm::Guide => {
                let url = params.required_str("CallBackURL")?.trim().to_string();
                let event: CallBackEventType = params.required_enumeration("CallBackEvent")?;
                CreateCallback {
                    call_back_url: Some(url),
                    call_back_event: Some(event.as_str().to_string()),
                    network_id,
                    mailbox_id,
                    ec_grid_id: params.int::<i32>("ECGridID")?,
                    frequency: params.int::<i32>("Frequency")?,
                    retries: params.int::<i32>("Retries")?,
                    status: Some(Status::Active.as_str().to_string()),
                    ..CreateCallback::default()
                }
            }
        })
    }
}

impl Operation for CallBackAdd {
    const NAME: &'static str = "CallBackAdd";
    type Response = CallBackAddResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        let form = AddForm::detect(params)?;
        Ok(CallBackAdd {
            session_id: params.get("SessionID").map(str::to_string),
            body: Self::body(form, params)?,
            form,
        })
    }

    async fn call(self, ctx: &Context) -> Result<CallBackAddResponse, Fault> {
        tracing::debug!(form = ?self.form, "CallBackAdd form");
        let record = create(ctx, self.session_id.as_deref(), self.body).await?;
        Ok(CallBackAddResponse(callback_queue_id_info_of_created(
            &record,
        )?))
    }
}

impl WriteBody for CallBackAddResponse {
    fn write_body(&self, w: &mut XmlWriter) {
        self.0.write_xml(w, "CallBackAddResult");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::ErrorCode;
    use serde_json::json;

    #[test]
    fn reference_form_is_detected_and_sent_in_the_reference_shape() {
        let mut p = Params::from_pairs([
            ("SessionID", "S"),
            ("NetworkID", "1"),
            ("MailboxID", "100"),
            ("URL", "https://a/h"),
            ("Event", "parcel"),
            ("AuthType", "Basic"),
            ("Username", "u"),
            ("Password", "p w"),
        ]);
        let op = CallBackAdd::parse(&mut p).unwrap();
        assert_eq!(op.form, AddForm::Reference);
        assert_eq!(
            serde_json::to_value(&op.body).unwrap(),
            json!({"url": "https://a/h", "event": "Parcel", "networkId": 1, "mailboxId": 100,
                   "httpAuthType": "Basic", "username": "u", "password": "p w"})
        );
    }

    #[test]
    fn guide_form_is_detected_and_sent_in_the_guide_shape() {
        let mut p = Params::from_pairs([
            ("SessionID", "S"),
            ("NetworkID", "0"),
            ("MailboxID", "0"),
            ("ECGridID", "0"),
            ("CallBackURL", "https://a/h"),
            ("CallBackEvent", "InBox"),
            ("Frequency", "1"),
            ("Retries", "3"),
        ]);
        let op = CallBackAdd::parse(&mut p).unwrap();
        assert_eq!(op.form, AddForm::Guide);
        assert_eq!(
            serde_json::to_value(&op.body).unwrap(),
            json!({"callBackUrl": "https://a/h", "callBackEvent": "InBox", "networkId": 0,
                   "mailboxId": 0, "ecGridId": 0, "frequency": 1, "retries": 3, "status": "Active"})
        );
    }

    #[test]
    fn neither_or_both_forms_say_what_each_needs() {
        let neither = Params::from_pairs([("SessionID", "S"), ("NetworkID", "1")]);
        let fault = AddForm::detect(&neither).err().unwrap();
        assert_eq!(fault.error_code, ErrorCode::InvalidParameter);
        assert!(fault
            .message
            .contains("reference form (URL and Event required"));
        assert!(fault
            .message
            .contains("guide form (CallBackURL and CallBackEvent required"));
        assert!(fault.message.ends_with("neither"), "{}", fault.message);

        let both = Params::from_pairs([("URL", "https://a"), ("CallBackEvent", "InBox")]);
        let fault = AddForm::detect(&both).err().unwrap();
        assert!(
            fault
                .message
                .ends_with("(reference: URL; guide: CallBackEvent)"),
            "{}",
            fault.message
        );
    }

    #[test]
    fn bad_enums_name_the_field_and_accepted_values() {
        let mut p =
            Params::from_pairs([("CallBackURL", "https://a"), ("CallBackEvent", "Inbound")]);
        let fault = CallBackAdd::parse(&mut p).err().unwrap();
        assert_eq!(fault.error_code, ErrorCode::InvalidParameter);
        assert!(fault
            .message
            .starts_with("parameter CallBackEvent: 'Inbound'"));
        assert!(fault
            .message
            .contains("InBox, OutBox, InBoxError, OutBoxError, ConfirmDelivery"));

        let mut p = Params::from_pairs([
            ("URL", "https://a"),
            ("Event", "Parcel"),
            ("AuthType", "OAuth"),
        ]);
        let fault = CallBackAdd::parse(&mut p).err().unwrap();
        assert!(
            fault.message.contains("None, Basic, Digest, Certificate"),
            "{}",
            fault.message
        );
    }

    #[test]
    fn add_ex_sends_reference_shape_with_ext_fields() {
        let mut p = Params::from_pairs([
            ("SessionID", "S"),
            ("NetworkID", "1"),
            ("MailboxID", "101"),
            ("UserID", "0"),
            ("SystemObject", "Parcel"),
            ("ObjectStatus", "0"),
            ("Direction", "InBox"),
            ("Frequency", "2"),
            ("MaxRetries", "4"),
            ("URL", "https://a/h"),
            ("HTTPAuthentication", "Basic"),
            ("HTTPUser", "hook"),
            ("HTTPPassword", "s3cret"),
            ("Status", "Active"),
        ]);
        let op = CallBackAddEx::parse(&mut p).unwrap();
        assert_eq!(
            serde_json::to_value(&op.body).unwrap(),
            json!({"url": "https://a/h", "event": "Parcel", "networkId": 1, "mailboxId": 101,
                   "httpAuthType": "Basic", "username": "hook", "password": "s3cret",
                   "frequency": 2, "retries": 4, "status": "Active", "direction": "InBox",
                   "objectStatus": 0})
        );
        let mut bad = Params::from_pairs([
            ("URL", "https://a"),
            ("SystemObject", "Parcel"),
            ("Direction", "Up"),
        ]);
        let fault = CallBackAddEx::parse(&mut bad).err().unwrap();
        assert!(
            fault.message.contains("NoDir, OutBox, InBox"),
            "{}",
            fault.message
        );
    }
}
