"""Alerts: Slack message rendering (pure) and delivery from the outbox (I/O)."""

from monitor.alerts.delivery import DeliveryPolicy, deliver_pending
from monitor.alerts.render import escape, render_alert
from monitor.alerts.senders import ConsoleSender, Sender, SlackSender

__all__ = [
    "ConsoleSender",
    "DeliveryPolicy",
    "Sender",
    "SlackSender",
    "deliver_pending",
    "escape",
    "render_alert",
]
