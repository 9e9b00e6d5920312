"""Tests of the registry's pages."""
