"""Reading YAML with libyaml's parser when PyYAML was built with it: the same safe loader, several times faster
(the lexicon and templates are read in every fresh process)."""

from __future__ import annotations


def safe_load(text: str):
    """`yaml.safe_load`, through `CSafeLoader` when it exists; raises yaml.YAMLError as safe_load does."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)
