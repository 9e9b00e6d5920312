"""Exports of every register as CSV and JSON Lines, streamed and audited (issue 7/14).

``registers`` says what each register's rows are and who may take them away;
``views`` serves the Exports page and the downloads through the kernel's
``compliance.audit.exports.stream_export``.
"""
