"""Answering a question: condense, retrieve, answer with [n] or refuse, verify each claim.

`Assistant` runs the steps; the offline (extractive) and LLM answerers and the claim
checks both share live here.
"""
