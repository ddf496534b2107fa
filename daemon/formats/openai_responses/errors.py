"""The Responses API uses the same error object as Chat Completions."""

from daemon.formats.openai_chat.errors import decode_error, encode_error

__all__ = ["decode_error", "encode_error"]
