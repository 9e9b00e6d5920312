"""The consent REST API under /api/v1/: purposes and notices, subjects, consents, the check, bulk imports.

Who may do what:

* An **API key** reads with ``consent:read`` and writes with ``consent:write``
  (reads too need the scope: these are personal data). It acts on every
  purpose and subject, as the consent platform or product back end it stands
  for would; every write is audited with the key as actor. It sees the imports
  it started.
* A **browser session** (past MFA; writes CSRF-checked) acts with its roles'
  model permissions, as on the pages: the DPO records and manages; compliance
  managers and auditors read; everyone else is refused with 403 naming the
  permission.
* Identifiers are written in clear and read **masked**; revealing them is a
  page action for the DPO, audited, never an API answer.

Lists are paginated by limit and offset (100 rows by default, at most 1,000).
"""
