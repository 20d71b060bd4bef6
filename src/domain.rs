//! Domain enums shared by the SOAP side, the REST client and the sandbox.
//!
//! Every enum that crosses the SOAP/REST boundary is declared here once, with
//! its exact wire names. Parsing is case-insensitive (legacy clients are not
//! always careful); writing always uses the canonical name from the WSDL.
//! The crossings between enums (a guide-style `CallBackEvent` such as `InBox`
//! into an `Objects` + `Direction` pair, a sandbox delivery status into the
//! WSDL's `StatusCallBack`) are functions here so that both sides of the
//! gateway use the same table.

use std::fmt;
use std::str::FromStr;

/// Error returned when a string is not one of an enum's accepted names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariant {
    /// Name of the enum type (as the WSDL spells it), e.g. `Objects`.
    pub type_name: &'static str,
    /// The value that was given.
    pub value: String,
    /// The accepted names, in declaration order.
    pub accepted: &'static [&'static str],
}

impl fmt::Display for UnknownVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a valid {}; accepted values: {}",
            self.value,
            self.type_name,
            self.accepted.join(", ")
        )
    }
}

impl std::error::Error for UnknownVariant {}

/// A wire enum's canonical name (what SOAP and REST carry).
pub trait WireName {
    /// The canonical wire name, e.g. `NetworkAdmin`.
    fn wire_name(&self) -> &'static str;
}

/// Declares a wire enum: variants, their wire names, `as_str`, `FromStr`
/// (case-insensitive), `Display`, [`WireName`], serde (by name) and the list
/// of names.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident as $type_name:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every accepted wire name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[ $( $wire ),+ ];
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The canonical wire name of this value.
            pub const fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $wire ),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $( if t.eq_ignore_ascii_case($wire) { return Ok($name::$variant); } )+
                Err(UnknownVariant { type_name: $type_name, value: s.to_string(), accepted: Self::NAMES })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl WireName for $name {
            fn wire_name(&self) -> &'static str {
                self.as_str()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// The macro for the generated enums of `crate::schema`.
pub(crate) use wire_enum;

wire_enum! {
    /// ECGridOS `Objects`: the kind of object an event is about (v4.1 list).
    Objects as "Objects" {
        System = "System", User = "User", Network = "Network", Mailbox = "Mailbox",
        EcGridId = "ECGridID", Interconnect = "Interconnect", Migration = "Migration",
        Parcel = "Parcel", Interchange = "Interchange", CarbonCopy = "CarbonCopy",
        CallBackEvent = "CallBackEvent", As2 = "AS2", Comm = "Comm", Gisb = "GISB",
        ParcelNotes = "ParcelNotes", InterconnectNote = "InterconnectNote",
        PriceList = "PriceList", Contract = "Contract", Invoice = "Invoice",
    }
}

wire_enum! {
    /// ECGridOS `Direction`: message direction relative to the mailbox.
    Direction as "Direction" { NoDir = "NoDir", OutBox = "OutBox", InBox = "InBox" }
}

wire_enum! {
    /// ECGridOS `HTTPAuthType`: how the callback endpoint is authenticated.
    HttpAuthType as "HTTPAuthType" {
        None = "None", Basic = "Basic", Digest = "Digest", Certificate = "Certificate",
    }
}

wire_enum! {
    /// ECGridOS `Status`: lifecycle status of an object (here: a callback).
    Status as "Status" {
        Development = "Development", Active = "Active", Preproduction = "Preproduction",
        Suspended = "Suspended", Terminated = "Terminated",
    }
}

wire_enum! {
    /// ECGridOS `StatusCallBack`: state of one queued callback delivery.
    StatusCallBack as "StatusCallBack" {
        Active = "Active", Pending = "Pending", Completed = "Completed",
        Error = "Error", Canceled = "Canceled",
    }
}

wire_enum! {
    /// ECGridOS `AuthLevel`: a user's permission level.
    AuthLevel as "AuthLevel" {
        NoChange = "NoChange", Root = "Root", TechOps = "TechOps", NetOps = "NetOps",
        NetworkAdmin = "NetworkAdmin", NetworkUser = "NetworkUser",
        MailboxAdmin = "MailboxAdmin", MailboxUser = "MailboxUser",
        TpUser = "TPUser", General = "General",
    }
}

wire_enum! {
    /// The callbacks guide's event names (`callBackEvent` in REST, `CallBackEvent`
    /// in the guide's SOAP `CallBackAdd`).
    CallBackEventType as "CallBackEvent" {
        InBox = "InBox", OutBox = "OutBox", InBoxError = "InBoxError",
        OutBoxError = "OutBoxError", ConfirmDelivery = "ConfirmDelivery",
    }
}

wire_enum! {
    /// Lifecycle of one webhook delivery, as in the webhook test-delivery API:
    /// `pending` (awaiting its first or next attempt), `delivered` (terminal
    /// success), `failed` (an attempt failed, a retry is scheduled),
    /// `rate_limited` (the endpoint answered 429, retried separately) and
    /// `dead_letter` (terminal failure: retries exhausted or callback stopped).
    DeliveryStatus as "DeliveryStatus" {
        Pending = "pending", Delivered = "delivered", Failed = "failed",
        RateLimited = "rate_limited", DeadLetter = "dead_letter",
    }
}

impl CallBackEventType {
    /// The `Objects` + `Direction` pair this guide event stands for. All five
    /// guide events are parcel events; the error and confirmation variants are
    /// told apart from plain `InBox`/`OutBox` by the event name itself, which
    /// the gateway carries in `CallBackEventIDInfo/StatusCode`.
    pub const fn object_and_direction(self) -> (Objects, Direction) {
        match self {
            CallBackEventType::InBox | CallBackEventType::InBoxError => {
                (Objects::Parcel, Direction::InBox)
            }
            CallBackEventType::OutBox
            | CallBackEventType::OutBoxError
            | CallBackEventType::ConfirmDelivery => (Objects::Parcel, Direction::OutBox),
        }
    }

    /// The plain guide event for an `Objects` + `Direction` pair, where one
    /// exists: `Parcel`+`InBox` is `InBox`, `Parcel`+`OutBox` is `OutBox`.
    pub const fn from_object_and_direction(object: Objects, direction: Direction) -> Option<Self> {
        match (object, direction) {
            (Objects::Parcel, Direction::InBox) => Some(CallBackEventType::InBox),
            (Objects::Parcel, Direction::OutBox) => Some(CallBackEventType::OutBox),
            _ => None,
        }
    }
}

impl DeliveryStatus {
    /// The WSDL's `StatusCallBack` for a delivery in this state.
    ///
    /// `pending` and `rate_limited` are `Pending` (not yet delivered, next
    /// attempt scheduled); `failed` is `Active` (attempted, failed, still
    /// being retried); `delivered` is `Completed`; `dead_letter` is `Error`.
    /// `Canceled` is never produced: deliveries of a stopped callback end as
    /// `dead_letter`.
    pub const fn to_status_callback(self) -> StatusCallBack {
        match self {
            DeliveryStatus::Pending | DeliveryStatus::RateLimited => StatusCallBack::Pending,
            DeliveryStatus::Failed => StatusCallBack::Active,
            DeliveryStatus::Delivered => StatusCallBack::Completed,
            DeliveryStatus::DeadLetter => StatusCallBack::Error,
        }
    }

    /// True while the delivery may still be attempted.
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Pending | DeliveryStatus::Failed | DeliveryStatus::RateLimited
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_writes_canonical_names() {
        assert_eq!("inbox".parse::<Direction>().unwrap(), Direction::InBox);
        assert_eq!(" ECGRIDID ".parse::<Objects>().unwrap(), Objects::EcGridId);
        assert_eq!(Objects::EcGridId.as_str(), "ECGridID");
        assert_eq!(DeliveryStatus::DeadLetter.to_string(), "dead_letter");
    }

    #[test]
    fn unknown_value_names_type_and_accepted_values() {
        let err = "Sometimes".parse::<HttpAuthType>().unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("'Sometimes' is not a valid HTTPAuthType"),
            "{text}"
        );
        assert!(text.contains("None, Basic, Digest, Certificate"), "{text}");
    }

    #[test]
    fn every_guide_event_crosses_to_a_parcel_direction_and_back_where_plain() {
        for &event in CallBackEventType::ALL {
            let (object, direction) = event.object_and_direction();
            assert_eq!(object, Objects::Parcel);
            assert_ne!(direction, Direction::NoDir);
            let back = CallBackEventType::from_object_and_direction(object, direction).unwrap();
            assert_eq!(back.object_and_direction(), (object, direction));
        }
        assert_eq!(
            CallBackEventType::from_object_and_direction(Objects::Mailbox, Direction::NoDir),
            None
        );
    }

    #[test]
    fn delivery_status_maps_onto_every_status_callback_but_canceled() {
        use DeliveryStatus::*;
        let mapped: Vec<_> = [Pending, Delivered, Failed, RateLimited, DeadLetter]
            .iter()
            .map(|s| s.to_status_callback())
            .collect();
        assert_eq!(
            mapped,
            vec![
                StatusCallBack::Pending,
                StatusCallBack::Completed,
                StatusCallBack::Active,
                StatusCallBack::Pending,
                StatusCallBack::Error
            ]
        );
        assert!(Failed.is_open() && !DeadLetter.is_open() && !Delivered.is_open());
    }

    #[test]
    fn serde_round_trips_by_name() {
        let json = serde_json::to_string(&DeliveryStatus::RateLimited).unwrap();
        assert_eq!(json, "\"rate_limited\"");
        let back: DeliveryStatus = serde_json::from_str(&json).unwrap();
        assert_eq!(back, DeliveryStatus::RateLimited);
        assert!(serde_json::from_str::<Status>("\"Bogus\"").is_err());
    }
}
