"""Alerts: Slack message rendering (pure) and delivery from the outbox (I/O)."""

from monitor.alerts.console import ConsoleSender
from monitor.alerts.delivery import ChannelDelivery, DeliveryPolicy
from monitor.alerts.render import escape, render_alert
from monitor.alerts.senders import Sender, SlackSender

__all__ = [
    "ChannelDelivery",
    "ConsoleSender",
    "DeliveryPolicy",
    "Sender",
    "SlackSender",
    "escape",
    "render_alert",
]
