"""Shared platform pieces: owner-scoped models and selectors, the API error format and
pagination, health checks, the per-user notifications socket and the SPA shell."""
