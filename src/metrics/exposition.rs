//! `GET /metrics`: the tables of `metrics/mod.rs` written as OpenMetrics
//! text (which Prometheus scrapes natively) by prometheus-client's encoder,
//! each table an `EncodeMetric` of its own. Series never recorded are
//! left out (the request table has a slot for every operation, version,
//! outcome and route).

use std::sync::atomic::Ordering;

use prometheus_client::encoding::{text, EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::histogram::Histogram;
use super::{request_slot, tables, Outcome, RouteLabel, Upstream, STATUS_SLOTS, VERSIONS};

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What a scrape reads besides the tables.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    /// Live sessions in this instance (with Redis: its near-cache).
    pub sessions: u64,
    /// With `--sandbox`: its webhook delivery attempts by status.
    pub sandbox_deliveries: Option<Vec<(&'static str, u64)>>,
}

/// Writes one counter series per label set whose count is not zero.
fn counters<L: EncodeLabelSet>(
    encoder: &mut MetricEncoder,
    series: impl Iterator<Item = (L, u64)>,
) -> Result<(), std::fmt::Error> {
    for (labels, n) in series.filter(|(_, n)| *n != 0) {
        encoder
            .encode_family(&labels)?
            .encode_counter::<NoLabelSet, _, u64>(&n, None)?;
    }
    Ok(())
}

/// Writes one histogram per label set that has observations.
fn histograms<'h, L: EncodeLabelSet>(
    encoder: &mut MetricEncoder,
    series: impl Iterator<Item = (L, &'h Histogram)>,
) -> Result<(), std::fmt::Error> {
    for (labels, histogram) in series {
        let (sum, count, buckets) = histogram.snapshot();
        if count != 0 {
            encoder
                .encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        }
    }
    Ok(())
}

#[derive(Debug)]
struct Requests;

impl EncodeMetric for Requests {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let t = tables();
        let series = t.names.iter().enumerate().flat_map(|(op, name)| {
            VERSIONS.iter().enumerate().flat_map(move |(v, version)| {
                Outcome::ALL
                    .iter()
                    .enumerate()
                    .flat_map(move |(o, outcome)| {
                        RouteLabel::ALL.iter().enumerate().map(move |(r, route)| {
                            let labels = [
                                ("operation", *name),
                                ("soap_version", version.label()),
                                ("outcome", outcome.label()),
                                ("route", route.label()),
                            ];
                            let slot = request_slot(op as u16, v, o, r);
                            (labels, t.requests[slot].load(Ordering::Relaxed))
                        })
                    })
            })
        });
        counters(&mut encoder, series)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

#[derive(Debug)]
struct RequestSeconds;

impl EncodeMetric for RequestSeconds {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let t = tables();
        let series = t.names.iter().zip(t.request_seconds.iter());
        histograms(
            &mut encoder,
            series.map(|(name, h)| ([("operation", *name)], h)),
        )
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

#[derive(Debug)]
struct UpstreamRequests;

impl EncodeMetric for UpstreamRequests {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let t = tables();
        // Labels made only for the slots that counted something (a status
        // is a String; most of the 501 slots per upstream stay at zero).
        let series = Upstream::ALL.iter().enumerate().flat_map(|(u, upstream)| {
            (0..STATUS_SLOTS).filter_map(move |slot| {
                let n = t.upstream_requests[u * STATUS_SLOTS + slot].load(Ordering::Relaxed);
                if n == 0 {
                    return None;
                }
                let status = if slot == STATUS_SLOTS - 1 {
                    "error".to_string()
                } else {
                    (slot + 100).to_string()
                };
                let labels = [
                    ("upstream", upstream.label().to_string()),
                    ("status", status),
                ];
                Some((labels, n))
            })
        });
        counters(&mut encoder, series)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

#[derive(Debug)]
struct UpstreamSeconds;

impl EncodeMetric for UpstreamSeconds {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let t = tables();
        let series = Upstream::ALL.iter().zip(t.upstream_seconds.iter());
        histograms(
            &mut encoder,
            series.map(|(upstream, h)| ([("upstream", upstream.label())], h)),
        )
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

#[derive(Debug)]
struct Gauge(u64);

impl EncodeMetric for Gauge {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_gauge(&self.0)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }
}

#[derive(Debug)]
struct Deliveries(Vec<(&'static str, u64)>);

impl EncodeMetric for Deliveries {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (status, n) in &self.0 {
            encoder
                .encode_family(&[("status", *status)])?
                .encode_counter::<NoLabelSet, _, u64>(n, None)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

/// The whole exposition (ending `# EOF`).
pub fn render(scrape: &Scrape) -> String {
    let mut registry = Registry::default();
    registry.register(
        "ecgrid_gateway_requests",
        "SOAP calls by operation, SOAP version, outcome and route",
        Requests,
    );
    registry.register(
        "ecgrid_gateway_request_duration_seconds",
        "Time from request head to answer of a SOAP call, by operation",
        RequestSeconds,
    );
    registry.register(
        "ecgrid_gateway_upstream_requests",
        "Upstream exchanges by upstream and HTTP status (error: no answer)",
        UpstreamRequests,
    );
    registry.register(
        "ecgrid_gateway_upstream_request_duration_seconds",
        "Time of one upstream exchange, by upstream",
        UpstreamSeconds,
    );
    registry.register(
        "ecgrid_gateway_sessions",
        "Live sessions in this instance (with --sessions redis: its near-cache)",
        Gauge(scrape.sessions),
    );
    if let Some(deliveries) = &scrape.sandbox_deliveries {
        registry.register(
            "ecgrid_gateway_sandbox_webhook_deliveries",
            "Webhook delivery attempts of the embedded sandbox, by the status they left",
            Deliveries(deliveries.clone()),
        );
    }
    let mut out = String::with_capacity(4096);
    // Writing to a String cannot fail.
    let _ = text::encode(&mut out, &registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{operation_index, record_request, record_upstream};
    use crate::soap::SoapVersion;
    use std::time::Duration;

    #[test]
    fn the_exposition_names_every_family_and_its_recorded_series() {
        crate::metrics::init(crate::ops::OPERATIONS.iter().map(|spec| spec.name));
        record_request(
            operation_index("WhoAmI"),
            SoapVersion::V11,
            Outcome::Ok,
            RouteLabel::Rest,
            Duration::from_millis(3),
        );
        record_upstream(Upstream::Rest, Some(200), std::time::Instant::now());
        let text = render(&Scrape {
            sessions: 7,
            sandbox_deliveries: Some(vec![("delivered", 2)]),
        });
        for needle in [
            "# TYPE ecgrid_gateway_requests counter",
            "ecgrid_gateway_requests_total{operation=\"WhoAmI\",soap_version=\"1.1\",outcome=\"ok\",route=\"rest\"}",
            "ecgrid_gateway_request_duration_seconds_bucket{le=\"0.005\",operation=\"WhoAmI\"}",
            "ecgrid_gateway_upstream_requests_total{upstream=\"rest\",status=\"200\"}",
            "ecgrid_gateway_upstream_request_duration_seconds_count{upstream=\"rest\"}",
            "ecgrid_gateway_sessions 7",
            "ecgrid_gateway_sandbox_webhook_deliveries_total{status=\"delivered\"} 2",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
