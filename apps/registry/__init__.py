"""The model registry: registered models, versions, stages, lineage and .sou exports."""
