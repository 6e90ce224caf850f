"""Datasets: uploaded training data, validated and versioned by content hash."""
