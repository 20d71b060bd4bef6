//! `GET /migration.json` and `GET /migration`: every operation clients
//! called since start, its route, calls per route, the shadow agreement
//! rate, drift and noise paths, and the last few differences side by side
//! (values redacted when recorded: no SessionIDs, passwords, API keys or
//! file contents).

use serde::Serialize;
use std::collections::BTreeMap;

use crate::soap::writer::escape_into;

use super::router::Router;
use super::stats::OperationStats;
use super::table::{DefaultRoute, ShadowPrimary};

/// One operation in the report.
#[derive(Serialize)]
struct OperationReport<'a> {
    /// Its route now (`fault` when it gets the "not supported" fault).
    route: &'static str,
    /// Agreed / (agreed + differed), when there was a comparison.
    agreement_rate: Option<f64>,
    #[serde(flatten)]
    stats: &'a OperationStats,
}

/// The whole report.
#[derive(Serialize)]
struct Report<'a> {
    legacy: Option<&'a str>,
    default_route: &'static str,
    shadow_primary: &'static str,
    /// Routes given by `--route` / `[routes]`.
    routes: BTreeMap<&'a str, &'static str>,
    operations: BTreeMap<&'a str, OperationReport<'a>>,
}

fn agreement(stats: &OperationStats) -> Option<f64> {
    let compared = stats.shadow.agreed + stats.shadow.differed;
    (compared > 0).then(|| stats.shadow.agreed as f64 / compared as f64)
}

fn with_report<T>(router: &Router, f: impl FnOnce(&Report<'_>) -> T) -> T {
    let legacy = router.legacy_base();
    let snapshot = router.stats().snapshot();
    let table = router.table();
    let report = Report {
        legacy,
        default_route: match (legacy, table.default_route()) {
            (Some(_), DefaultRoute::Legacy) => "legacy",
            _ => "fault",
        },
        shadow_primary: match router.shadow_primary() {
            ShadowPrimary::Legacy => "legacy",
            ShadowPrimary::Rest => "rest",
        },
        routes: table.explicit().map(|(op, r)| (op, r.as_str())).collect(),
        operations: snapshot
            .iter()
            .map(|(op, stats)| {
                (
                    op.as_str(),
                    OperationReport {
                        route: table.route_of(op).map_or("fault", |r| r.as_str()),
                        agreement_rate: agreement(stats),
                        stats,
                    },
                )
            })
            .collect(),
    };
    f(&report)
}

/// The report as JSON.
pub fn json(router: &Router) -> String {
    with_report(router, |report| {
        serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".into())
    })
}

/// The report as an HTML page (refreshes itself every 10 s).
pub fn html(router: &Router) -> String {
    with_report(router, |report| {
        let mut h = String::with_capacity(8192);
        let esc = |h: &mut String, t: &str| escape_into(h, t);
        h.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\"><title>ecgrid-gateway: migration</title><style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}.d{color:#a00}</style></head><body><h1>Migration</h1><p>Legacy ECGridOS service: <code>");
        esc(&mut h, report.legacy.unwrap_or("none (--legacy not set)"));
        h.push_str("</code>; untranslated operations: ");
        esc(&mut h, report.default_route);
        h.push_str("; shadow primary: ");
        esc(&mut h, report.shadow_primary);
        h.push_str(". JSON: <a href=\"/migration.json\">/migration.json</a></p>");
        h.push_str("<table><thead><tr><th>Operation</th><th>Route</th><th>rest</th><th>legacy</th><th>shadow</th><th>Agreed</th><th>Differed</th><th>One side failed</th><th>Agreement</th><th>Drift paths</th><th>Noise paths</th></tr></thead><tbody>");
        if report.operations.is_empty() {
            h.push_str("<tr><td colspan=\"11\">No calls yet.</td></tr>");
        }
        for (op, r) in &report.operations {
            let s = r.stats;
            h.push_str("<tr><td>");
            esc(&mut h, op);
            h.push_str("</td><td>");
            esc(&mut h, r.route);
            for n in [
                s.calls.rest,
                s.calls.legacy,
                s.calls.shadow,
                s.shadow.agreed,
                s.shadow.differed,
                s.shadow.one_side_failed,
            ] {
                h.push_str("</td><td>");
                h.push_str(&n.to_string());
            }
            h.push_str("</td><td>");
            match r.agreement_rate {
                Some(rate) => h.push_str(&format!("{:.1}%", rate * 100.0)),
                None => h.push('–'),
            }
            h.push_str("</td><td class=\"d\">");
            for (path, n) in &s.drift_paths {
                esc(&mut h, path);
                h.push_str(&format!(" ({n})<br>"));
            }
            h.push_str("</td><td>");
            for path in &s.noise_paths {
                esc(&mut h, path);
                h.push_str("<br>");
            }
            h.push_str("</td></tr>");
        }
        h.push_str("</tbody></table>");
        for (op, r) in &report.operations {
            let s = r.stats;
            if s.last_differences.is_empty() && s.last_failure.is_none() {
                continue;
            }
            h.push_str("<h2>");
            esc(&mut h, op);
            h.push_str("</h2>");
            if let Some(failure) = &s.last_failure {
                h.push_str("<p>Last one-side failure: ");
                esc(&mut h, failure);
                h.push_str("</p>");
            }
            for d in s.last_differences.iter().rev() {
                h.push_str("<table><thead><tr><th>");
                esc(&mut h, &d.at);
                h.push_str("</th><th>legacy</th><th>rest</th></tr></thead><tbody>");
                for p in &d.paths {
                    h.push_str("<tr><td>");
                    esc(&mut h, &p.path);
                    h.push_str("</td><td>");
                    esc(&mut h, &p.legacy);
                    h.push_str("</td><td>");
                    esc(&mut h, &p.rest);
                    h.push_str("</td></tr>");
                }
                h.push_str("</tbody></table><br>");
            }
        }
        h.push_str("</body></html>");
        h
    })
}
