"""Automated checks (continuous monitoring): the registry and one module per area of the product.

The registry imports the area modules on first use (``registry.CHECK_MODULES``),
so importing this package from models or settings loads no other app.
"""
