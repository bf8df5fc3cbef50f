"""Errors a user can meet; each carries one clear line of text."""


class BackstretchError(Exception):
    """Base class: its message is shown to the user as one line, without a traceback."""

    exit_code = 1


class InvalidQuestion(BackstretchError):
    exit_code = 2


class SettingsError(BackstretchError):
    exit_code = 2


class CorpusError(BackstretchError):
    """A source file or its sidecar cannot be parsed."""


class IndexUnavailable(BackstretchError):
    """The index is missing, stale or unreadable; `backstretch ingest` rebuilds it."""


class CitationError(BackstretchError):
    """A composed reply quoted something that is not exactly in the source."""


class FeedbackError(BackstretchError):
    """A vote that cannot be stored, or a feedback database that cannot be used (damaged, read-only, down)."""
