"""How people reach the assistant: the CLI, the web page and its feedback store."""
