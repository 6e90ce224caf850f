"""Monitoring API routes under /api/v1/: per-version and site-wide series, traces, drift and
alerts (each part adds its routes here)."""

from django.urls import path  # noqa: F401 - the parts' routes use it

urlpatterns: list = []
