"""The registry's REST API under /api/v1/: datasets, storage locations, versions, ML models, training runs.

Who may do what:

* An **API key** reads the whole registry, whatever its scopes: the registry
  describes datasets, stores and models, never a subject's data. A key with
  ``registry:write`` writes organisation-wide, as the DPO-level pipeline it
  stands for would: it registers and changes any dataset and adds locations
  and versions to any of them. Models and training runs take ``registry:write``
  or ``training:write`` (either one), so a training pipeline's key needs no
  more than the training scope. Every write is audited with the key as actor.
* A **browser session** (past MFA; writes CSRF-checked) acts with its roles,
  exactly as on the pages: stewards see and change the datasets granted to
  them, ML engineers the models granted to them, the DPO, compliance managers
  and auditors read everything; the services refuse what a role may not do
  (403), and what a user may not see answers 404 as if it did not exist.
* **Secrets** of storage locations (URLs with passwords, S3 keys) are
  write-only for everyone: answers carry the redacted ``target``.

Lists are paginated by limit and offset (``?limit=100&offset=200``): 100 rows
by default, at most 1,000, answered as ``{"count", "next", "previous",
"results"}``.
"""
