//! The flat parameters of an operation element, with typed accessors that
//! turn bad values into `InvalidParameter` faults naming the field.
//!
//! Every operation the gateway translates takes simple-typed parameters only
//! (strings, numbers, booleans, enums), so a list of `(local name, text)`
//! pairs is the whole request model. Parameters the operation does not know
//! are ignored, as ASMX does (the documented `Sender*` fields of `Login`).
//!
//! Names are matched exactly first; when no parameter has the exact name,
//! the first one whose name differs only in ASCII case is taken
//! (`sessionID` for `SessionID`). ASMX itself is case-sensitive and would
//! ignore `sessionID`, answering "SessionID is required" for a parameter
//! the client did send; no ECGridOS operation has two parameters whose
//! names differ only in case, so the leniency cannot pick a wrong one
//! (README, "Compatibility").

use std::str::FromStr;

use crate::domain::UnknownVariant;

use super::fault::Fault;

/// The child elements of an operation element, by local name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    entries: Vec<(String, Option<String>)>,
}

impl Params {
    /// Builds parameters from `(name, value)` pairs (tests, benches).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Params {
            entries: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), Some(v.to_string())))
                .collect(),
        }
    }

    /// Adds a parameter read at `position`; `nil` marks `xsi:nil="true"`.
    /// A name given twice is refused.
    pub(crate) fn push(
        &mut self,
        name: &str,
        value: String,
        nil: bool,
        position: impl std::fmt::Display,
    ) -> Result<(), Fault> {
        if self.entries.iter().any(|(n, _)| n == name) {
            return Err(Fault::invalid(format!(
                "parameter {name} is given more than once (again at {position})"
            )));
        }
        self.entries
            .push((name.to_string(), if nil { None } else { Some(value) }));
        Ok(())
    }

    /// Number of parameters read (nil ones included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the operation element had no children.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry called `name`: the exact name, else the first whose name
    /// differs only in ASCII case.
    fn entry(&self, name: &str) -> Option<&(String, Option<String>)> {
        self.entries.iter().find(|(n, _)| n == name).or_else(|| {
            self.entries
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
        })
    }

    /// True when a parameter of this name (or, without one, of this name in
    /// another case) was sent (even empty or nil).
    pub fn has(&self, name: &str) -> bool {
        self.entry(name).is_some()
    }

    /// The text of a parameter (the exact name, else the name in another
    /// case); `None` when absent or nil.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entry(name).and_then(|(_, v)| v.as_deref())
    }

    /// The first of several alternative names that was sent with a value,
    /// as `(name, value)`.
    pub fn first_of<'a>(&'a self, names: &[&'a str]) -> Option<(&'a str, &'a str)> {
        names
            .iter()
            .find_map(|&name| self.get(name).map(|v| (name, v)))
    }

    /// A string parameter that must be present and not blank.
    pub fn required_str(&self, name: &str) -> Result<&str, Fault> {
        match self.get(name) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            _ => Err(Fault::invalid(format!("parameter {name} is required"))),
        }
    }

    /// Refuses a parameter that is absent or blank ("parameter X is
    /// required"): the check an operation adds after its generated request
    /// reader, which gives an absent value type its .NET default.
    pub fn require(&self, name: &str) -> Result<(), Fault> {
        self.required_str(name).map(drop)
    }

    /// An integer parameter (`xs:short`, `xs:int`, `xs:long`); `None` when
    /// absent or blank.
    pub fn int<T: XsdInteger>(&self, name: &str) -> Result<Option<T>, Fault> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => text.parse::<T>().map(Some).map_err(|_| {
                Fault::invalid(format!(
                    "parameter {name} must be an integer of type {} ({}..={}), got '{}'",
                    T::XSD_NAME,
                    T::MIN_TEXT,
                    T::MAX_TEXT,
                    clip(text)
                ))
            }),
        }
    }

    /// An integer parameter that must be present.
    pub fn required_int<T: XsdInteger>(&self, name: &str) -> Result<T, Fault> {
        self.int(name)?
            .ok_or_else(|| Fault::invalid(format!("parameter {name} is required")))
    }

    /// An `xs:boolean` parameter (`true`, `false`, `1`, `0`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, Fault> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some("true") | Some("1") => Ok(Some(true)),
            Some("false") | Some("0") => Ok(Some(false)),
            Some(other) => Err(Fault::invalid(format!(
                "parameter {name} must be a boolean (true or false), got '{}'",
                clip(other)
            ))),
        }
    }

    /// An enum parameter; an unknown value is refused with the accepted
    /// names.
    pub fn enumeration<E>(&self, name: &str) -> Result<Option<E>, Fault>
    where
        E: FromStr<Err = UnknownVariant>,
    {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => text
                .parse::<E>()
                .map(Some)
                .map_err(|err| Fault::invalid(format!("parameter {name}: {err}"))),
        }
    }

    /// An enum parameter that must be present.
    pub fn required_enumeration<E>(&self, name: &str) -> Result<E, Fault>
    where
        E: FromStr<Err = UnknownVariant>,
    {
        self.enumeration(name)?
            .ok_or_else(|| Fault::invalid(format!("parameter {name} is required")))
    }
}

/// Integer types of XML Schema, with their names and ranges for messages.
pub trait XsdInteger: FromStr + Copy {
    /// `short`, `int` or `long`.
    const XSD_NAME: &'static str;
    /// The smallest value, as text.
    const MIN_TEXT: &'static str;
    /// The largest value, as text.
    const MAX_TEXT: &'static str;
}

impl XsdInteger for i16 {
    const XSD_NAME: &'static str = "short";
    const MIN_TEXT: &'static str = "-32768";
    const MAX_TEXT: &'static str = "32767";
}

impl XsdInteger for i32 {
    const XSD_NAME: &'static str = "int";
    const MIN_TEXT: &'static str = "-2147483648";
    const MAX_TEXT: &'static str = "2147483647";
}

impl XsdInteger for u8 {
    const XSD_NAME: &'static str = "unsignedByte";
    const MIN_TEXT: &'static str = "0";
    const MAX_TEXT: &'static str = "255";
}

impl XsdInteger for i64 {
    const XSD_NAME: &'static str = "long";
    const MIN_TEXT: &'static str = "-9223372036854775808";
    const MAX_TEXT: &'static str = "9223372036854775807";
}

/// Echoed client values are cut so a fault stays readable.
fn clip(text: &str) -> String {
    const MAX: usize = 64;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Objects;

    #[test]
    fn typed_accessors_name_the_field_on_bad_values() {
        let p = Params::from_pairs([
            ("NetworkID", "12x"),
            ("MailboxID", " 42 "),
            ("Frequency", "99999"),
            ("Test", "yes"),
            ("Event", "Parcels"),
            ("Blank", " "),
        ]);
        assert_eq!(p.int::<i32>("MailboxID").unwrap(), Some(42));
        let e = p.int::<i32>("NetworkID").unwrap_err();
        assert_eq!(
            e.message,
            "parameter NetworkID must be an integer of type int (-2147483648..=2147483647), got '12x'"
        );
        assert!(p
            .int::<i16>("Frequency")
            .unwrap_err()
            .message
            .contains("type short"));
        assert!(p
            .bool("Test")
            .unwrap_err()
            .message
            .contains("must be a boolean"));
        let e = p.enumeration::<Objects>("Event").unwrap_err();
        assert!(e
            .message
            .starts_with("parameter Event: 'Parcels' is not a valid Objects"));
        assert_eq!(p.int::<i32>("Blank").unwrap(), None);
        assert_eq!(
            p.required_str("Blank").unwrap_err().message,
            "parameter Blank is required"
        );
        assert_eq!(
            p.required_int::<i64>("Missing").unwrap_err().message,
            "parameter Missing is required"
        );
        assert_eq!(
            p.require("Blank").unwrap_err().message,
            "parameter Blank is required"
        );
        assert!(p.require("MailboxID").is_ok());
    }

    #[test]
    fn first_of_picks_the_first_name_sent() {
        let p = Params::from_pairs([("Email", "e@x"), ("UserID", "u")]);
        assert_eq!(
            p.first_of(&["LoginName", "UserName", "UserID", "Email"]),
            Some(("UserID", "u"))
        );
        assert_eq!(p.first_of(&["Nope"]), None);
    }

    #[test]
    fn names_in_another_case_are_taken_when_the_exact_one_is_absent() {
        let p = Params::from_pairs([("sessionID", "abc"), ("LOGINNAME", "demo")]);
        assert_eq!(p.get("SessionID"), Some("abc"));
        assert!(p.has("SessionID"));
        assert_eq!(p.required_str("LoginName").unwrap(), "demo");
        assert_eq!(p.get("Password"), None);
        // The exact name wins over an earlier one in another case.
        let p = Params::from_pairs([("sessionid", "lower"), ("SessionID", "exact")]);
        assert_eq!(p.get("SessionID"), Some("exact"));
        assert_eq!(p.get("SESSIONID"), Some("lower"), "first in another case");
    }

    #[test]
    fn long_values_are_clipped_in_messages() {
        let long = "9".repeat(200);
        let p = Params::from_pairs([("ParcelID", long.as_str())]);
        let msg = p.int::<i64>("ParcelID").unwrap_err().message;
        assert!(msg.ends_with("…'"), "{msg}");
        assert!(msg.len() < 200, "{msg}");
    }
}
