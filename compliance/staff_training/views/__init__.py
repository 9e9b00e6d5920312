"""The staff-training pages, one module per audience: the employee's own (mine), the team, the compliance view,
the roster, courses and policies (catalog), and the imports and statement log."""
