//! `CallBackTest` → `POST /v2/callbacks/test {callbackId}`.
//!
//! Two published forms, told apart by parameter names:
//!
//! * WSDL form: `SessionID, CallBackEventID, ParcelID, InterchangeID,
//!   UserID`; `CallBackEventID` is the REST `callbackId`. REST's test takes
//!   only the callback, so `ParcelID`, `InterchangeID` and `UserID` are read
//!   (and must be numbers) but not sent;
//! * guide form: `SessionID, CallBackQueueID`, the id `CallBackAdd` answered,
//!   which is the same REST `callbackId`.
//!
//! The answer is a `CallBackQueueIDInfo` with `Test` true, `Status`
//! `Completed` when the endpoint took the delivery and `Error` otherwise (a
//! test delivery is never retried), and one `CallBackLog` entry whose
//! `ReturnCode` is the endpoint's HTTP status (0 when no response came) and
//! whose `Message` is its body, or the upstream's reason there was none.

use crate::rest::callbacks::TestResult;
use crate::rest::Auth;
use crate::schema::requests::CallBackTestRequest;
use crate::schema::responses::CallBackTestResponse;
use crate::soap::{Fault, Params};

use super::callback_types::callback_queue_id_info_of_test;
use super::{Context, Operation};

/// What each form needs, for the fault when the form cannot be told.
const FORMS: &str = "CallBackTest takes either the WSDL form (CallBackEventID; ParcelID, InterchangeID, UserID optional) or the guide form (CallBackQueueID), with SessionID in both";

/// Which published form a `CallBackTest` request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestForm {
    /// `CallBackEventID`, `ParcelID`, `InterchangeID`, `UserID`.
    Wsdl,
    /// `CallBackQueueID`.
    Guide,
}

impl TestForm {
    /// Tells the form apart by its key parameter; neither or both is an
    /// InvalidParameter fault saying what each form needs.
    pub fn detect(params: &Params) -> Result<Self, Fault> {
        match (params.has("CallBackEventID"), params.has("CallBackQueueID")) {
            (true, false) => Ok(TestForm::Wsdl),
            (false, true) => Ok(TestForm::Guide),
            (false, false) => Err(Fault::invalid(format!(
                "{FORMS}; this request has neither CallBackEventID nor CallBackQueueID"
            ))),
            (true, true) => Err(Fault::invalid(format!(
                "{FORMS}; this request has both CallBackEventID and CallBackQueueID"
            ))),
        }
    }
}

/// A `CallBackTest` request, in either form (the WSDL form is read by the
/// generated `CallBackTestRequest`; the guide form is not in the WSDL).
pub struct CallBackTest {
    session_id: Option<String>,
    form: TestForm,
    callback_id: i64,
}

impl Operation for CallBackTest {
    const NAME: &'static str = "CallBackTest";
    type Response = CallBackTestResponse;

    fn parse(params: &mut Params) -> Result<Self, Fault> {
        let form = TestForm::detect(params)?;
        let (session_id, callback_id) = match form {
            TestForm::Wsdl => {
                // ParcelID, InterchangeID and UserID are read (so checked)
                // but not sent: REST's test has no such inputs.
                let request = CallBackTestRequest::parse(params)?;
                params.require("CallBackEventID")?;
                (request.session_id, i64::from(request.call_back_event_id))
            }
            TestForm::Guide => (
                params.get("SessionID").map(str::to_string),
                params.required_int::<i64>("CallBackQueueID")?,
            ),
        };
        Ok(CallBackTest {
            session_id,
            form,
            callback_id,
        })
    }

    async fn call(self, ctx: &Context) -> Result<CallBackTestResponse, Fault> {
        let id = self.callback_id;
        tracing::debug!(form = ?self.form, "CallBackTest form");
        let result = ctx
            .call_as(self.session_id.as_deref(), |auth: Auth| async move {
                ctx.rest.test_callback(&auth, id).await
            })
            .await?;
        let info = callback_queue_id_info_of_test(id, &result)?;
        Ok(CallBackTestResponse { result: Some(info) })
    }
}

/// The answer to a test delivery the endpoint took (HTTP 200, a short JSON
/// body), as the sandbox reports it, for benchmarks.
#[doc(hidden)]
pub fn sample_response(callback_id: i64) -> CallBackTestResponse {
    let result = TestResult {
        callback_id_field: Some(callback_id),
        url: Some("https://app.example.com/hook?mailbox=101&kind=InBox".to_string()),
        http_status: Some(200),
        response_body: Some("{\"ok\":true}".to_string()),
        tested_at: Some(time::macros::datetime!(2026-05-07 14:32:00 UTC)),
        delivery_id: Some(9001),
        status: Some("delivered".to_string()),
        ..TestResult::default()
    };
    CallBackTestResponse {
        result: Some(callback_queue_id_info_of_test(callback_id, &result).expect("a valid sample")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::ErrorCode;

    #[test]
    fn wsdl_form_reads_callback_event_id() {
        let mut p = Params::from_pairs([
            ("SessionID", "S"),
            ("CallBackEventID", "7001"),
            ("ParcelID", "0"),
            ("InterchangeID", "0"),
            ("UserID", "0"),
        ]);
        let op = CallBackTest::parse(&mut p).unwrap();
        assert_eq!((op.form, op.callback_id), (TestForm::Wsdl, 7001));
        let mut bad = Params::from_pairs([("CallBackEventID", "1"), ("ParcelID", "x")]);
        assert!(CallBackTest::parse(&mut bad)
            .err()
            .unwrap()
            .message
            .starts_with("parameter ParcelID must be an integer of type long"));
    }

    #[test]
    fn guide_form_reads_callback_queue_id() {
        let mut p = Params::from_pairs([("SessionID", "S"), ("CallBackQueueID", "7002")]);
        let op = CallBackTest::parse(&mut p).unwrap();
        assert_eq!((op.form, op.callback_id), (TestForm::Guide, 7002));
    }

    #[test]
    fn neither_or_both_forms_say_what_each_needs() {
        for (mut params, tail) in [
            (
                Params::from_pairs([("SessionID", "S")]),
                "neither CallBackEventID nor CallBackQueueID",
            ),
            (
                Params::from_pairs([("CallBackEventID", "1"), ("CallBackQueueID", "1")]),
                "both CallBackEventID and CallBackQueueID",
            ),
        ] {
            let fault = CallBackTest::parse(&mut params).err().unwrap();
            assert_eq!(fault.error_code, ErrorCode::InvalidParameter);
            assert!(fault.message.contains("WSDL form (CallBackEventID"));
            assert!(fault.message.contains("guide form (CallBackQueueID)"));
            assert!(fault.message.ends_with(tail), "{}", fault.message);
        }
    }
}
