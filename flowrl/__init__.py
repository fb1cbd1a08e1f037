"""flowrl: open, reproducible LLM-driven skill discovery for the Craftax games."""

__version__ = "0.1.0"
