"""Text helpers every layer shares: sentence spans, keyword tokens, word evidence, Unicode checks."""
