"""The openai_chat codec."""
