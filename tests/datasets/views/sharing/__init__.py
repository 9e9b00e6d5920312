"""Tests of the share-link pages and the recipient's download."""
