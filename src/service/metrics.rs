//! What `GET /metrics` reports, in Prometheus' text format: requests by RPC or route and
//! outcome, lookup and decode latency, decodes waiting for a slot, and the index's size.

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

use crate::index::IndexStats;

pub struct Metrics {
    registry: Registry,
    /// Labels: `route` (the gRPC method or HTTP route) and `status` (the gRPC code or HTTP
    /// status).
    pub requests: IntCounterVec,
    pub lookup_seconds: Histogram,
    pub decode_seconds: Histogram,
    pub decodes_waiting: IntGauge,
    footage: IntGauge,
    sightings: IntGauge,
    keyframes: IntGauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("firstseen_requests_total", "Requests answered, by gRPC method or HTTP route and outcome"),
            &["route", "status"],
        )
        .expect("valid metric");
        // Lookups answer in milliseconds to a second; decodes take up to minutes.
        let lookup_seconds = Histogram::with_opts(
            HistogramOpts::new("firstseen_lookup_seconds", "Time to match a fingerprint against the index")
                .buckets(prometheus::exponential_buckets(0.001, 2.0, 14).expect("valid buckets")),
        )
        .expect("valid metric");
        let decode_seconds = Histogram::with_opts(
            HistogramOpts::new("firstseen_decode_seconds", "Time to decode and fingerprint an uploaded video")
                .buckets(prometheus::exponential_buckets(0.05, 2.0, 14).expect("valid buckets")),
        )
        .expect("valid metric");
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("valid metric");
        let metrics = Metrics {
            decodes_waiting: gauge("firstseen_decodes_waiting", "Uploads waiting for a decode slot"),
            footage: gauge("firstseen_index_footage", "Footage in the index"),
            sightings: gauge("firstseen_index_sightings", "Sightings in the index"),
            keyframes: gauge("firstseen_index_keyframes", "Keyframes in the index"),
            registry,
            requests,
            lookup_seconds,
            decode_seconds,
        };
        let collectors: [Box<dyn prometheus::core::Collector>; 7] = [
            Box::new(metrics.requests.clone()),
            Box::new(metrics.lookup_seconds.clone()),
            Box::new(metrics.decode_seconds.clone()),
            Box::new(metrics.decodes_waiting.clone()),
            Box::new(metrics.footage.clone()),
            Box::new(metrics.sightings.clone()),
            Box::new(metrics.keyframes.clone()),
        ];
        for collector in collectors {
            metrics.registry.register(collector).expect("each metric registered once");
        }
        metrics
    }

    pub fn observe_index(&self, stats: &IndexStats) {
        let set = |gauge: &IntGauge, value: u64| gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        set(&self.footage, stats.footage);
        set(&self.sightings, stats.sightings);
        set(&self.keyframes, stats.keyframes);
    }

    /// Every metric in Prometheus' text exposition format.
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut text).expect("encoding to memory");
        String::from_utf8(text).expect("the text format is UTF-8")
    }
}
