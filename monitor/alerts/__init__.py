"""Alerts: Slack message rendering (pure) and delivery from the outbox (I/O)."""

from monitor.alerts.delivery import ConsoleSender, Sender, SlackSender, deliver_pending
from monitor.alerts.render import escape, render_alert

__all__ = ["ConsoleSender", "Sender", "SlackSender", "deliver_pending", "escape", "render_alert"]
