"""Per-record features of a dataset (lengths, language, duplicate clusters, personality metrics,
embeddings): the registry of what can be computed, materialization into Parquet and the
statistics and drift comparison over materialized files. Pure library: no Django."""
