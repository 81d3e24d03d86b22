"""Prometheus metrics of one daemon (prometheus-client), served at `/metrics`.

Counters and histograms are updated where the work happens (poller, processors,
deliverer); the outbox's size and age are read from the database when scraped.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
PUBLICATION = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.polls = Counter("monitor_polls", "Feed polls by outcome.", ["outcome"], registry=r)
        self.articles = Counter("monitor_articles_extracted", "Articles extracted.", registry=r)
        self.statements = Counter("monitor_statements_found", "Statements found.", registry=r)
        self.matches = Counter("monitor_matches", "Rule matches.", ["rule"], registry=r)
        self.alerts = Counter(
            "monitor_alerts_sent_by_rule", "Alerts posted, by rule.", ["rule"], registry=r
        )
        self.sent = Counter("monitor_alerts_sent", "Messages posted to Slack.", registry=r)
        self.failed = Counter("monitor_alerts_failed", "Alerts failed for good.", registry=r)
        self.pending = Gauge("monitor_alerts_pending", "Alerts waiting in the outbox.", registry=r)
        self.outbox_age = Gauge(
            "monitor_outbox_oldest_seconds", "Age of the oldest undelivered alert.", registry=r
        )
        self.fetch = Histogram(
            "monitor_fetch_seconds", "Article page downloads.", buckets=LATENCY, registry=r
        )
        self.processing = Histogram(
            "monitor_processing_seconds",
            "One entry, claimed to stored (fetch and analysis).",
            buckets=LATENCY,
            registry=r,
        )
        self.publication_to_alert = Histogram(
            "monitor_publication_to_alert_seconds",
            "From an article's publication to its Slack alert.",
            buckets=PUBLICATION,
            registry=r,
        )

    def text(self) -> bytes:
        return generate_latest(self.registry)
