"""Inference: sampling, generation and the serving engine."""
