"""Tests of the dataset pages: list, overview, forms, locations, history, import and export."""
