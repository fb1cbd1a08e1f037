"""Prompt chain for Craftax-Classic."""
