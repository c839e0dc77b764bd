"""Inline completions (ghost text): context, model request, post-processing, cache."""
