"""Composing a grounded answer: compose, generation, verification, citations, chain (wiring only)."""
