"""The registry: datasets, storage locations, versions and lineage, ML models and training runs, share links."""
