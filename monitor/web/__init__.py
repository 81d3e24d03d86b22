"""The web pages of a running monitor: stories, speakers, articles, feeds, rules and the
outbox, plus /healthz and /metrics (server.listen in monitor.yaml, or `monitor web`)."""
