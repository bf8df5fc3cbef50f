"""Backstretch: grounded answers about one article on stretching and cracking your back safely.

Heavy libraries (torch, chromadb) load only when an Assistant is built, so importing this is instant.
"""

from .app import Assistant
from .errors import BackstretchError, CitationError, IndexUnavailable, InvalidQuestion
from .records import Citation, Passage, Reply, Section
from .settings import Settings

__all__ = ["Assistant", "BackstretchError", "CitationError", "Citation", "IndexUnavailable", "InvalidQuestion",
           "Passage", "Reply", "Section", "Settings"]
