"""Retrieval-augmented generation: document collections, chunks and pgvector search."""
