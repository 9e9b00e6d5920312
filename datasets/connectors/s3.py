"""S3-compatible object stores: the objects of the location's format under its bucket and prefix.

An S3 location is a directory of files kept in a bucket: every object under
``prefix`` whose name ends with the format's suffix (``.csv``, ``.jsonl`` /
``.ndjson``, ``.parquet``) holds records, and ``subject_field`` is the column
or field with the subject's identifier, exactly as for a filesystem location
(see ``datasets.connectors.files`` for matching and anonymising). Each object
is downloaded to a private temporary directory, read or rewritten there, and
uploaded again only when a record was affected, with ``If-Match`` on the
ETag read, so an object changed meanwhile is not overwritten (TransientError;
the retry reads it again). A record's key in the evidence digest is
``<object key>#<record number>``.

Custos's tests exercise this module only offline (argument checks, error
classification, an endpoint that does not answer): no real S3-compatible
server installs from the package registries the project uses.
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from datasets.connectors.base import Connector, Erased, Exported, Found, SubjectKeys
from datasets.connectors.errors import ConnectorError, PermanentError, TransientError, os_error
from datasets.connectors.files import SUFFIXES, FileJob, FileOutcome, erased_from, exported_from, process_file
from datasets.locations import S3_BUCKET
from datasets.models import FileFormat

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 60
TRANSIENT_CODES = frozenset(
    {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed", "Throttling", "ThrottlingException", "OperationAborted"}
)


class S3Connector(Connector):
    """S3 locations: CSV, JSON Lines or Parquet objects under a bucket's prefix."""

    def discover(self, location, keys: SubjectKeys) -> Found:
        job = FileJob.for_location(location, keys, _format(location))
        outcomes = self._run(location, job)
        return Found(records=sum(o.matched for o in outcomes.values()), detail={"objects": len(outcomes)})

    def erase(self, location, keys: SubjectKeys, mode: str) -> Erased:
        job = FileJob.for_location(location, keys, _format(location), mode=mode)
        return erased_from(self._run(location, job), job)

    def export(self, location, keys: SubjectKeys) -> Exported:
        job = FileJob.for_location(location, keys, _format(location), collect=True)
        return exported_from(self._run(location, job))

    def _run(self, location, job: FileJob) -> dict[str, FileOutcome]:
        bucket = _bucket(location)
        outcomes: dict[str, FileOutcome] = {}
        with _translated(location), tempfile.TemporaryDirectory(prefix="custos-s3-") as scratch:
            client = s3_client(location)
            for key in _object_keys(client, bucket, location.prefix, job.fmt):
                local = Path(scratch) / "object"
                fetched = client.get_object(Bucket=bucket, Key=key)
                with open(local, "wb") as handle:
                    for chunk in fetched["Body"].iter_chunks(1024 * 1024):
                        handle.write(chunk)
                outcome = process_file(local, job)
                if job.mode is not None and outcome.affected:
                    with open(local, "rb") as body:
                        client.put_object(Bucket=bucket, Key=key, Body=body, IfMatch=fetched["ETag"])
                outcomes[key] = outcome
                local.unlink(missing_ok=True)
        return outcomes


def _format(location) -> str:
    if location.format not in FileFormat.values:
        raise PermanentError(f"Location {location.name!r} does not say the format of its objects ({', '.join(FileFormat.values)}).")
    return location.format


def _bucket(location) -> str:
    if not S3_BUCKET.match(location.bucket or ""):
        raise PermanentError(f"Location {location.name!r} has no valid bucket name: edit the location and give one.")
    return location.bucket


def s3_client(location):
    """Return a boto3 S3 client for ``location``: its endpoint and region, its keys or the environment's credentials."""
    import boto3
    from botocore.config import Config

    connection = location.connection or {}
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"max_attempts": 2, "mode": "standard"},
        # Self-hosted stores rarely have a wildcard DNS name per bucket.
        s3={"addressing_style": "path" if location.endpoint_url else "auto"},
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=location.endpoint_url or None,
        region_name=location.region or None,
        aws_access_key_id=connection.get("access_key_id") or None,
        aws_secret_access_key=connection.get("secret_access_key") or None,
        config=config,
    )


def _object_keys(client, bucket: str, prefix: str, fmt: str) -> Iterator[str]:
    suffixes = SUFFIXES[fmt]
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix or ""):
        for item in page.get("Contents", []):
            if item["Key"].lower().endswith(suffixes):
                yield item["Key"]


@contextmanager
def _translated(location) -> Iterator[None]:
    try:
        yield
    except ConnectorError:
        raise
    except Exception as error:
        from botocore import exceptions as botocore_errors

        if isinstance(error, botocore_errors.BotoCoreError | botocore_errors.ClientError | OSError):
            raise classify_s3_error(error, bucket=location.bucket, endpoint=location.endpoint_url) from None
        raise


def classify_s3_error(error: BaseException, *, bucket: str, endpoint: str = "") -> ConnectorError:
    """Return the connector error that says what ``error`` from boto3 means for ``bucket`` (never a key)."""
    from botocore import exceptions as botocore_errors

    where = endpoint or "the S3 service"
    if isinstance(error, botocore_errors.NoCredentialsError | botocore_errors.PartialCredentialsError):
        return PermanentError(f"Custos has no credentials for bucket {bucket}: give the location's access keys.")
    if isinstance(
        error,
        botocore_errors.EndpointConnectionError
        | botocore_errors.ConnectTimeoutError
        | botocore_errors.ReadTimeoutError
        | botocore_errors.ConnectionClosedError,
    ):
        return TransientError(f"The S3 store at {where} did not answer (connection refused or timed out); Custos will try again.")
    if isinstance(error, botocore_errors.ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code == "NoSuchBucket":
            return PermanentError(f"Bucket {bucket} does not exist at {where}.")
        if code == "InvalidAccessKeyId":
            return PermanentError(f"The S3 store at {where} does not know the location's access key id.")
        if code == "SignatureDoesNotMatch":
            return PermanentError(f"The secret access key was refused by the S3 store at {where}.")
        if code in ("AccessDenied", "AllAccessDisabled") or status == 403:
            return PermanentError(f"The S3 store at {where} refused access to bucket {bucket}: check the access keys and the bucket's policy.")
        if code in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey") or status in (409, 412):
            return TransientError(f"An object in bucket {bucket} changed while it was being erased; Custos will try again.")
        if code in TRANSIENT_CODES or status >= 500 or status == 429:
            return TransientError(f"The S3 store at {where} is busy or failing ({code or status}); Custos will try again.")
        return PermanentError(f"The S3 store at {where} refused the erasure in bucket {bucket}: {code} {details.get('Message', '')}".strip())
    if isinstance(error, botocore_errors.HTTPClientError):
        return TransientError(f"The connection to the S3 store at {where} failed; Custos will try again.")
    if isinstance(error, OSError):
        return os_error(error, what=f"Bucket {bucket}")
    return PermanentError(f"The S3 request for bucket {bucket} is invalid: {type(error).__name__}.")
