//! Routes and the route table: which side answers each operation.
//!
//! Defaults: an operation the gateway translates goes `rest`; any other
//! real operation goes `legacy` when `--legacy` is set, else gets today's
//! "not supported" fault (`--default-route fault` keeps the fault even with
//! `--legacy`). `--route OP=ROUTE` and `[routes]` set single operations; the
//! checks here run at startup, so a typo or an impossible route is refused
//! before the first request, naming the operation (and the closest real
//! name).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use crate::ops::{self, Access, OperationSpec};

use crate::schema::catalog;

/// Which side answers an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// The gateway's REST translation.
    Rest,
    /// Passed through to the legacy ECGridOS service.
    Legacy,
    /// Both; the primary answers, the answers are compared.
    Shadow,
}

impl Route {
    /// The name used in flags, TOML and the pages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Route::Rest => "rest",
            Route::Legacy => "legacy",
            Route::Shadow => "shadow",
        }
    }

    /// A route from its name (exact, lowercase as documented).
    pub fn parse(text: &str) -> Option<Route> {
        match text.trim() {
            "rest" => Some(Route::Rest),
            "legacy" => Some(Route::Legacy),
            "shadow" => Some(Route::Shadow),
            _ => None,
        }
    }
}

/// What an operation without a route of its own, that the gateway does not
/// translate, gets (`--default-route`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DefaultRoute {
    /// Passed through to `--legacy` (the default when it is set).
    Legacy,
    /// The "not supported" fault (the default without `--legacy`).
    #[default]
    Fault,
}

/// Whose answer a shadowed call returns (`--shadow-primary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShadowPrimary {
    /// The legacy service's (the default: nothing changes for the client
    /// until the operation is switched to `rest`).
    #[default]
    Legacy,
    /// The REST translation's.
    Rest,
}

/// Where the legacy ECGridOS service is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyService {
    /// A base URL (`--legacy https://os.ecgrid.io`).
    Url(String),
    /// The embedded legacy emulator (`--sandbox --legacy sandbox`).
    Sandbox,
}

/// The validated routing settings (`Config::routing`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteSettings {
    /// The legacy ECGridOS service (`--legacy`), if any.
    pub legacy: Option<LegacyService>,
    /// Routes of single operations, by exact operation name.
    pub routes: BTreeMap<String, Route>,
    /// `--default-route`.
    pub default_route: DefaultRoute,
    /// `--shadow-primary`.
    pub shadow_primary: ShadowPrimary,
    /// Element paths never counted as drift, per operation
    /// (`[shadow.ignore]` in TOML).
    pub shadow_ignore: BTreeMap<String, Vec<String>>,
}

/// Whether `name` is an operation of either original WSDL or one the
/// gateway translates.
pub fn is_real_operation(name: &str) -> bool {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            catalog::WSDL_OPERATIONS
                .iter()
                .map(|op| op.name)
                .chain(ops::OPERATIONS.iter().map(|s| s.name))
                .collect()
        })
        .contains(name)
}

/// Longest name [`closest_operation`] looks at: longer input (no operation
/// name is near it) gets no suggestion, so the work per call is bounded.
pub const MAX_SUGGESTED_LEN: usize = 64;

/// The real operation name `name` most likely misspells: the nearest by
/// case-insensitive edit distance among names of similar length (at most
/// two letters longer or shorter), when that distance is at most 2 and
/// at most a third of the name (`WhoAmi` → `WhoAmI`, `parceldownlod` →
/// `ParcelDownload`; `X` suggests nothing). The same answer serves
/// `--route`'s startup errors and the unsupported-operation fault. Bounded:
/// input over [`MAX_SUGGESTED_LEN`] bytes is not compared, and each
/// comparison is at most 64 × 66 steps over a fixed list of names. A real
/// name (translated or not) suggests nothing.
pub fn closest_operation(name: &str) -> Option<&'static str> {
    const MAX_DISTANCE: usize = 2;
    if name.is_empty()
        || name.len() > MAX_SUGGESTED_LEN
        || !name.is_ascii()
        || is_real_operation(name)
    {
        return None;
    }
    let wanted = name.to_ascii_lowercase();
    let limit = MAX_DISTANCE.min(name.len() / 3);
    catalog::WSDL_OPERATIONS
        .iter()
        .map(|op| op.name)
        .chain(ops::OPERATIONS.iter().map(|s| s.name))
        .filter(|candidate| candidate.len().abs_diff(name.len()) <= MAX_DISTANCE)
        .map(|candidate| {
            let distance = edit_distance(&wanted, &candidate.to_ascii_lowercase());
            (distance, candidate)
        })
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over bytes (names are ASCII), two rows.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// Checks one `OP=ROUTE`; the error says what is wrong with it (the caller
/// names the flag or file key).
pub fn check_route(operation: &str, route: Route, legacy: bool) -> Result<(), String> {
    if !is_real_operation(operation) {
        let hint = closest_operation(operation)
            .map(|c| format!(" (closest real name: {c})"))
            .unwrap_or_default();
        return Err(format!("'{operation}' is not an ECGridOS operation{hint}"));
    }
    let translated = ops::find(operation);
    match (route, translated) {
        (Route::Rest, None) => Err(format!(
            "the gateway does not translate {operation}, so it cannot be routed rest; route it \
             legacy (with --legacy)"
        )),
        (Route::Legacy | Route::Shadow, _) if !legacy => Err(format!(
            "routing {operation} {} needs --legacy URL (the legacy ECGridOS service)",
            route.as_str()
        )),
        (Route::Shadow, None) => Err(format!(
            "{operation} cannot be shadowed: shadow compares the gateway's REST translation \
             with the legacy answer, and the gateway does not translate {operation}"
        )),
        (Route::Shadow, Some(spec)) if spec.access == Access::Write => Err(format!(
            "{operation} changes state and cannot be shadowed (it would run on both sides); \
             only reads can be, route it rest or legacy"
        )),
        _ => Ok(()),
    }
}

/// The route of every operation, fixed at startup.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: HashMap<String, Route>,
    default_route: DefaultRoute,
    legacy: bool,
}

/// What answers one request's operation.
#[derive(Debug, Clone, Copy)]
pub enum Choice {
    /// The REST translation in this table row.
    Rest(&'static OperationSpec),
    /// The legacy service.
    Legacy,
    /// Both: this row's translation and the legacy service.
    Shadow(&'static OperationSpec),
    /// Neither: the "not supported" fault (or, for a name that is no
    /// operation at all, whatever the envelope reader says of it).
    Fault,
}

impl RouteTable {
    /// The table for checked `settings` (see [`check_route`]).
    pub fn new(settings: &RouteSettings) -> Self {
        RouteTable {
            routes: settings
                .routes
                .iter()
                .map(|(op, route)| (op.clone(), *route))
                .collect(),
            default_route: settings.default_route,
            legacy: settings.legacy.is_some(),
        }
    }

    /// Whether anything but the REST translation can answer (`--legacy`).
    pub fn has_legacy(&self) -> bool {
        self.legacy
    }

    /// The route of `operation`; `None` when it gets the fault.
    pub fn route_of(&self, operation: &str) -> Option<Route> {
        if let Some(route) = self.routes.get(operation) {
            return Some(*route);
        }
        if ops::find(operation).is_some() {
            Some(Route::Rest)
        } else if self.legacy
            && self.default_route == DefaultRoute::Legacy
            && is_real_operation(operation)
        {
            Some(Route::Legacy)
        } else {
            None
        }
    }

    /// What answers `operation`.
    pub fn choose(&self, operation: &str) -> Choice {
        match (self.route_of(operation), ops::find(operation)) {
            (Some(Route::Rest), Some(spec)) => Choice::Rest(spec),
            (Some(Route::Shadow), Some(spec)) => Choice::Shadow(spec),
            (Some(Route::Legacy), _) => Choice::Legacy,
            _ => Choice::Fault,
        }
    }

    /// `--default-route`.
    pub fn default_route(&self) -> DefaultRoute {
        self.default_route
    }

    /// The operations with a route of their own (`--route`, `[routes]`).
    pub fn explicit(&self) -> impl Iterator<Item = (&str, Route)> {
        self.routes.iter().map(|(op, route)| (op.as_str(), *route))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(legacy: bool, routes: &[(&str, Route)]) -> RouteSettings {
        RouteSettings {
            legacy: legacy.then(|| LegacyService::Url("http://legacy".to_string())),
            routes: routes.iter().map(|(o, r)| (o.to_string(), *r)).collect(),
            default_route: DefaultRoute::Legacy,
            ..RouteSettings::default()
        }
    }

    #[test]
    fn defaults_rest_for_translated_legacy_for_the_rest_with_legacy() {
        let without = RouteTable::new(&settings(false, &[]));
        assert_eq!(without.route_of("WhoAmI"), Some(Route::Rest));
        assert_eq!(without.route_of("ReportMonthly"), None);
        let with = RouteTable::new(&settings(true, &[("WhoAmI", Route::Shadow)]));
        assert_eq!(with.route_of("ReportMonthly"), Some(Route::Legacy));
        assert_eq!(with.route_of("WhoAmI"), Some(Route::Shadow));
        assert_eq!(with.route_of("NoSuchThing"), None);
        let fault_default = RouteTable::new(&RouteSettings {
            default_route: DefaultRoute::Fault,
            ..settings(true, &[])
        });
        assert_eq!(fault_default.route_of("ReportMonthly"), None);
        assert!(matches!(fault_default.choose("Login"), Choice::Rest(_)));
    }

    #[test]
    fn impossible_routes_are_refused_with_a_reason() {
        let err = check_route("WhoAmi", Route::Legacy, true).unwrap_err();
        assert_eq!(
            err,
            "'WhoAmi' is not an ECGridOS operation (closest real name: WhoAmI)"
        );
        assert!(check_route("ReportMonthly", Route::Rest, true)
            .unwrap_err()
            .contains("does not translate ReportMonthly"));
        assert!(check_route("ReportMonthly", Route::Legacy, false)
            .unwrap_err()
            .contains("needs --legacy"));
        assert!(check_route("ReportMonthly", Route::Shadow, true)
            .unwrap_err()
            .contains("cannot be shadowed"));
        let err = check_route("CallBackAdd", Route::Shadow, true).unwrap_err();
        assert!(err.starts_with("CallBackAdd changes state"), "{err}");
        assert!(check_route("WhoAmI", Route::Shadow, true).is_ok());
        assert!(check_route("ReportMonthly", Route::Legacy, true).is_ok());
    }

    #[test]
    fn closest_names_and_distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(closest_operation("parceldownlod"), Some("ParcelDownload"));
        assert_eq!(closest_operation("WhoAmi"), Some("WhoAmI"));
        assert_eq!(closest_operation("whoami"), Some("WhoAmI"));
        assert_eq!(
            closest_operation("WhoAmI"),
            None,
            "an exact name is no typo"
        );
        assert_eq!(closest_operation("Logn"), Some("Login"));
        assert_eq!(
            closest_operation("CarbonCopyList"),
            None,
            "real, untranslated"
        );
        assert_eq!(closest_operation("X"), None);
        assert_eq!(closest_operation("Frobnicate"), None);
        assert_eq!(closest_operation(""), None);
        assert_eq!(closest_operation(&"W".repeat(100_000)), None);
        assert!(is_real_operation("CallBackAdd"));
        assert!(!is_real_operation("whoami"));
    }
}
