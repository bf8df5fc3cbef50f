"""Names of the answer backends, importable without pydantic (the CLI's --help stays instant)."""

BACKENDS: tuple[str, ...] = ("extractive", "ollama", "openai")
