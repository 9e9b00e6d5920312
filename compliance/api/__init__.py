"""The REST API under /api/v1/: authentication, scopes, throttling, errors, schema and docs.

Every API view extends ``compliance.api.base.ApiView`` (see there).
"""
