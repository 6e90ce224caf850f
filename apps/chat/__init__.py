"""Chat: conversations, streaming replies and the OpenAI-compatible API."""
