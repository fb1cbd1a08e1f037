"""Prompt chain for full Craftax."""
