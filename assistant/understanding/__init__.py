"""What the question is: validation, spelling, lexicon, triage, scope, retrieval, intent."""
