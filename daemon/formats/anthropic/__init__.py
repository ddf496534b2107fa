"""The anthropic codec."""
