"""The registry's forms, one module per concept."""
