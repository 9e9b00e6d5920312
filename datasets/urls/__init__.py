"""URL modules of the registry, one per namespace, included from compliance/urls.py."""
