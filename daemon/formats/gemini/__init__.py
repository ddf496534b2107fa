"""The gemini codec."""
