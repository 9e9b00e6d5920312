"""Connectors: find, erase and export a data subject's records in the stores a dataset is kept in.

Use the functions re-exported here::

    from datasets import connectors

    found = connectors.discover(location, connectors.SubjectKeys(email="ann@example.org"))
    erased = connectors.erase(location, keys)            # the location's mode, or mode="delete" / "anonymise"
    exported = connectors.export(location, keys)

They raise ``NotApplicable`` when the location is keyed by an identifier the
request does not give, ``TransientError`` when trying again may work and
``PermanentError`` when a person must act; every message is readable and
free of secrets.
"""

from datasets.connectors.base import Connector, Erased, Exported, Found, SubjectKeys
from datasets.connectors.errors import ConnectorError, NotApplicable, PermanentError, TransientError
from datasets.connectors.registry import connector_for, discover, erase, export

__all__ = [
    "Connector",
    "ConnectorError",
    "Erased",
    "Exported",
    "Found",
    "NotApplicable",
    "PermanentError",
    "SubjectKeys",
    "TransientError",
    "connector_for",
    "discover",
    "erase",
    "export",
]
