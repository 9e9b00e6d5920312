"""Custos: the Django project package and the compliance domain."""

from compliance.celery import app as celery_app

__all__ = ["celery_app"]
