"""Statements: who said what (pure functions over article text), and story fingerprints."""

from monitor.statements.extract import extract_statements
from monitor.statements.speakers import SpeakerList, load_speakers

__all__ = ["SpeakerList", "extract_statements", "load_speakers"]
