"""The S3 connector, offline: no real S3-compatible server installs from the package registries, so only
argument checks, error classification and an endpoint that does not answer are tested (see docs/connectors.md)."""

import pytest
from botocore import exceptions as botocore_errors

from datasets.connectors import PermanentError, SubjectKeys, TransientError, discover, erase
from datasets.connectors.s3 import classify_s3_error, s3_client
from tests.datasets.connectors.conftest import closed_port, make_location

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
SEVEN = SubjectKeys(external_id="7")


def location(**values):
    return make_location(
        **{
            "kind": "s3",
            "bucket": "shop-exports",
            "prefix": "customers/",
            "format": "csv",
            "access_key_id": "AKIAEXAMPLE",
            "secret_access_key": SECRET,
            "subject_key": "external_id",
            "subject_field": "customer_id",
            **values,
        }
    )


def test_an_endpoint_that_does_not_answer_is_a_transient_error_without_the_keys():
    port = closed_port()
    down = location(endpoint_url=f"http://127.0.0.1:{port}")

    with pytest.raises(TransientError) as raised:
        erase(down, SEVEN, "delete")

    assert raised.value.message == (
        f"The S3 store at http://127.0.0.1:{port} did not answer (connection refused or timed out); Custos will try again."
    )
    assert SECRET not in str(raised.value) and "AKIAEXAMPLE" not in str(raised.value)


def test_a_location_whose_bucket_or_format_went_missing_is_a_permanent_error():
    broken = location()
    broken.bucket = ""
    with pytest.raises(PermanentError) as raised:
        discover(broken, SEVEN)
    assert raised.value.message == "Location 'test store' has no valid bucket name: edit the location and give one."

    broken = location()
    broken.format = ""
    with pytest.raises(PermanentError) as raised:
        discover(broken, SEVEN)
    assert raised.value.message == "Location 'test store' does not say the format of its objects (csv, jsonl, parquet)."


def test_the_client_uses_the_locations_endpoint_region_and_path_style_addressing():
    client = s3_client(location(endpoint_url="https://s3.example.org", region="eu-west-1"))

    assert client.meta.endpoint_url == "https://s3.example.org"
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.config.s3["addressing_style"] == "path"


def client_error(code: str, status: int) -> botocore_errors.ClientError:
    return botocore_errors.ClientError(
        {"Error": {"Code": code, "Message": f"{code} happened"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject"
    )


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (client_error("NoSuchBucket", 404), PermanentError, "Bucket shop-exports does not exist at https://s3.example.org."),
        (client_error("InvalidAccessKeyId", 403), PermanentError, "The S3 store at https://s3.example.org does not know the location's access key id."),
        (client_error("SignatureDoesNotMatch", 403), PermanentError, "The secret access key was refused by the S3 store at https://s3.example.org."),
        (
            client_error("AccessDenied", 403),
            PermanentError,
            "The S3 store at https://s3.example.org refused access to bucket shop-exports: check the access keys and the bucket's policy.",
        ),
        (
            client_error("PreconditionFailed", 412),
            TransientError,
            "An object in bucket shop-exports changed while it was being erased; Custos will try again.",
        ),
        (client_error("SlowDown", 503), TransientError, "The S3 store at https://s3.example.org is busy or failing (SlowDown); Custos will try again."),
        (client_error("InternalError", 500), TransientError, "The S3 store at https://s3.example.org is busy or failing (InternalError); Custos will try again."),
        (
            client_error("InvalidObjectState", 400),
            PermanentError,
            "The S3 store at https://s3.example.org refused the erasure in bucket shop-exports: InvalidObjectState InvalidObjectState happened",
        ),
        (
            botocore_errors.NoCredentialsError(),
            PermanentError,
            "Custos has no credentials for bucket shop-exports: give the location's access keys.",
        ),
        (
            botocore_errors.ReadTimeoutError(endpoint_url="https://s3.example.org"),
            TransientError,
            "The S3 store at https://s3.example.org did not answer (connection refused or timed out); Custos will try again.",
        ),
    ],
)
def test_s3_errors_are_classified_for_retry_with_readable_messages(error, kind, message):
    classified = classify_s3_error(error, bucket="shop-exports", endpoint="https://s3.example.org")

    assert (type(classified), classified.message) == (kind, message)
