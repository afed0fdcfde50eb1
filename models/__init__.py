"""The registered models."""
