"""The controls app's models: catalogs and assessments (frameworks.py, assessments.py), evidence and automated checks (evidence.py, checks.py)."""
