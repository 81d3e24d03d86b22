"""Extraction: fetched bytes -> trafilatura -> our cleaning passes -> Article."""

from monitor.extraction.boilerplate import Boilerplate, load_boilerplate
from monitor.extraction.cleaning import clean_paragraphs
from monitor.extraction.extract import extract_article

__all__ = ["Boilerplate", "clean_paragraphs", "extract_article", "load_boilerplate"]
