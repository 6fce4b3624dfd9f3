"""The model registry: model cards, the versioned registry with its promotion state, and its stores (a local
folder or S3). A library of its own, no Dagster: the ml domain writes it, the API and the exporter read it."""
