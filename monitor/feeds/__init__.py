"""Feeds: feedparser on fetched bytes -> FeedEntry records with stable identities."""

from monitor.feeds.parse import parse_feed
from monitor.feeds.urls import canonical_url

__all__ = ["canonical_url", "parse_feed"]
