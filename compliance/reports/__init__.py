"""Dashboards, the auditor's workspace, signed PDF audit reports, the record of processing and exports (issue 7/14).

The top floor: it reads every app through its selectors, and nothing imports it.
"""
