"""The setup wizard's parts: answers and their flags, prompts, key checks, client instructions."""
