"""Building the index: article → passages (sentences, corpus, library) → vectors (embeddings, index, ingest)."""
