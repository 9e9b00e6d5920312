"""Staff training: the employee roster, courses and policies, assignments by rule, completions, reminders, and the training gate (issue 6/14).

It depends only on the kernel (accounts, audit, crypto); controls and reports read it through ``selectors``.
"""
