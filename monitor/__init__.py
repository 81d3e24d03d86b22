"""monitor: a streaming news-monitoring agent.

Feeds in, clean articles, rule matches, one Slack alert per match out.
"""

__version__ = "0.1.0"
