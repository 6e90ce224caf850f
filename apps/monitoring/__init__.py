"""Monitoring: one record per served generation, hourly and daily rollups of them, traces of a
single request, drift detection, alerts and the Prometheus metrics endpoint."""
