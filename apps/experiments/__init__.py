"""Experiment tracking: experiments, runs, params, metrics and artifacts, and training runs."""
