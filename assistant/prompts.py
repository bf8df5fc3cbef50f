"""Reply templates from prompts/: all wording around the article's quotes lives there, not in code."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from .errors import SettingsError

REQUIRED = {
    "howto_intro": {"title"}, "step_line": {"i", "quote", "n"}, "warning_line": {"quote", "n"},
    "referral": {"reason"}, "referral_emergency": {"reason"}, "out_of_scope": set(),
    "which_item": {"i", "title", "quote", "n"},
    "detail_line": {"quote", "n"}, "error_too_long": {"length", "limit"}, "error_empty": set(),
}


class Prompts:
    """Named templates with {placeholders}; a missing name or placeholder fails at load, not mid-answer."""

    def __init__(self, templates: dict) -> None:
        self._t = templates
        for name, needed in REQUIRED.items():
            if name not in templates:
                raise SettingsError(f"prompts: template {name!r} is missing")
            have = {f for _, f, _, _ in string.Formatter().parse(templates[name]) if f}
            if needed - have:
                raise SettingsError(f"prompts: template {name!r} lacks {{{sorted(needed - have)[0]}}}")

    @classmethod
    def load(cls, folder: Path) -> Prompts:
        return _load(str(Path(folder).resolve()))

    def render(self, name: str, **values) -> str:
        return self._t[name].format(**values).strip()

    def has(self, name: str) -> bool:
        return name in self._t

    def list(self, name: str) -> list[str]:
        return list(self._t.get(name) or [])


@cache
def texts(folder: str, name: str) -> dict:
    """A YAML file of wording under prompts/ (ui.yaml, cli.yaml), read once."""
    import yaml

    from .yamlfile import safe_load

    _folder_exists(folder)
    path = Path(folder) / name
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None


@cache
def _load(folder: str) -> Prompts:
    import yaml

    from .yamlfile import safe_load

    _folder_exists(folder)
    path = Path(folder) / "replies.yaml"
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"cannot read reply templates {path}: {str(exc).splitlines()[0]}") from None
    return Prompts(data)


def _folder_exists(folder: str) -> None:
    # The one message not worded in prompts/: it reports that the wording cannot be found.
    if not Path(folder).is_dir():
        raise SettingsError(f"the prompts folder {folder} is missing; set BACKSTRETCH_PROMPTS_DIR to a folder "
                            "of prompts (a checkout's prompts/)")
