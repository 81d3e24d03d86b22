"""Extraction: fetched bytes -> trafilatura -> our cleaning passes -> Article."""

from monitor.extraction.cleaning import clean_paragraphs, load_patterns
from monitor.extraction.extract import extract_article

__all__ = ["clean_paragraphs", "extract_article", "load_patterns"]
