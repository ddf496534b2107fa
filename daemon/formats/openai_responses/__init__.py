"""The openai_responses codec."""
