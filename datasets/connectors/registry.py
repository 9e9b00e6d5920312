"""Which connector serves which kind of location, and the three operations by location."""

from datasets.connectors.base import Connector, Erased, Exported, Found, SubjectKeys
from datasets.connectors.errors import PermanentError
from datasets.connectors.files import FileConnector
from datasets.connectors.redis_store import RedisConnector
from datasets.connectors.s3 import S3Connector
from datasets.connectors.sql import SqlConnector
from datasets.models import LocationKind

CONNECTORS: dict[str, Connector] = {
    LocationKind.POSTGRESQL: SqlConnector(),
    LocationKind.MYSQL: SqlConnector(),
    LocationKind.SQLITE: SqlConnector(),
    LocationKind.FILESYSTEM: FileConnector(),
    LocationKind.REDIS: RedisConnector(),
    LocationKind.S3: S3Connector(),
}


def connector_for(location) -> Connector:
    """Return the connector for ``location``'s kind; raise PermanentError for a kind Custos cannot reach."""
    try:
        return CONNECTORS[location.kind]
    except KeyError:
        raise PermanentError(f"Custos has no connector for {location.kind!r} locations.") from None


def discover(location, keys: SubjectKeys) -> Found:
    """Return how many of the subject's records ``location`` holds."""
    return connector_for(location).discover(location, keys)


def erase(location, keys: SubjectKeys, mode: str | None = None) -> Erased:
    """Erase the subject's records in ``location`` in ``mode`` (by default the location's erasure mode)."""
    return connector_for(location).erase(location, keys, mode or location.erasure_mode)


def export(location, keys: SubjectKeys) -> Exported:
    """Return the subject's records in ``location``, for an access request."""
    return connector_for(location).export(location, keys)
