"""Erasure requests: intake, statutory clocks, legal holds, approval into one step per storage location."""
