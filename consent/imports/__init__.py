"""Bulk consent imports: CSV or JSON Lines files recorded in batches by a Celery worker.

``reading`` streams the rows of a file, ``rows`` checks each one, ``writing``
records a batch (COPY into a staging table on PostgreSQL, the ORM elsewhere),
``services`` runs the job, ``selectors`` reads jobs, ``tasks`` is the worker's entry.
"""
