"""Tests of the versions and lineage pages."""
