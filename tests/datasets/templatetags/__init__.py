"""Tests of the registry's template tags."""
