"""The consent pages, one module per concept: subjects, purposes."""
