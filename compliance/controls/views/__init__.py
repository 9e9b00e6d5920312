"""The controls app's pages, one module per concept: frameworks, controls, assessments, evidence."""
