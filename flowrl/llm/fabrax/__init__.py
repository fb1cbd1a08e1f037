"""Prompt chain for Fabrax."""
