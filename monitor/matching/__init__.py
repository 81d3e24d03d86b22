"""Watch rules: YAML rule files -> compiled keyword matchers -> Match records."""

from monitor.matching.matcher import MatchResult, RuleSet, match_article
from monitor.matching.rules import Rule, load_rules

__all__ = ["MatchResult", "Rule", "RuleSet", "load_rules", "match_article"]
