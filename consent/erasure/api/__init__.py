"""The erasure API under /api/v1/erasure-requests/: filing, reading and approving requests."""
