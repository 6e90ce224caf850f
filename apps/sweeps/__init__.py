"""Hyperparameter sweeps: Optuna studies whose trials are training runs or external scripts."""
