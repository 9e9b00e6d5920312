"""Tests of the model and training-run pages."""
