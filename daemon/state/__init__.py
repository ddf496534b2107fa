"""Routing state that outlives one request: cooldowns now, in memory or persisted; Redis later."""
