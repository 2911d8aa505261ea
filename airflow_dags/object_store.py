"""Small files on local disk or S3, for the DAG's sensors and alerts (boto3, no Spark).

The jobs address S3 as ``s3a://bucket/key`` (Hadoop's scheme); here ``s3://``,
``s3a://`` and ``s3n://`` all mean the same object. boto3 finds credentials and
the endpoint the standard way: instance role, ``AWS_*`` environment variables,
``~/.aws``; ``AWS_ENDPOINT_URL_S3`` points it at an S3-compatible store.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

S3_SCHEMES = ("s3", "s3a", "s3n")


def split_s3(uri: str) -> tuple[str, str] | None:
    """``s3a://bucket/a/b`` -> ``("bucket", "a/b")``; None for a local path."""
    parsed = urlparse(uri)
    if parsed.scheme not in S3_SCHEMES:
        return None
    return parsed.netloc, parsed.path.lstrip("/")


def local_path(uri: str) -> Path:
    """A plain path or ``file:`` URI as a local path."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(parsed.path)
    if parsed.scheme:
        raise ValueError(f"unsupported location {uri!r}: use a local path, file:, s3:// or s3a://")
    return Path(uri)


def _s3_client():  # type: ignore[no-untyped-def]
    import boto3  # only where S3 is used

    return boto3.client("s3")


def exists(uri: str) -> bool:
    """Whether the file exists.

    Only a missing key is False. Anything else raises, a missing bucket included, so
    a typo in a path fails the sensor now instead of waiting out its timeout.
    """
    s3 = split_s3(uri)
    if s3 is None:
        return local_path(uri).is_file()
    from botocore.exceptions import ClientError

    bucket, key = s3
    client = _s3_client()
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as bucket_error:
            raise FileNotFoundError(f"S3 bucket {bucket!r} of {uri} does not exist or is not visible") from bucket_error
        return False
    return True


def read_bytes(uri: str) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    s3 = split_s3(uri)
    if s3 is None:
        path = local_path(uri)
        return path.read_bytes() if path.is_file() else None
    if not exists(uri):
        return None
    bucket, key = s3
    return _s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()


def list_names(folder: str) -> list[str]:
    """The names of the files directly inside ``folder``, sorted; none when it does not exist."""
    s3 = split_s3(folder)
    if s3 is None:
        path = local_path(folder)
        return sorted(p.name for p in path.iterdir() if p.is_file()) if path.is_dir() else []
    bucket, prefix = s3
    prefix = prefix.rstrip("/") + "/"
    pages = _s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
    return sorted(item["Key"][len(prefix) :] for page in pages for item in page.get("Contents", []))


def write_bytes(uri: str, content: bytes) -> None:
    """Write the whole file (a local file through a temporary name, renamed when complete)."""
    s3 = split_s3(uri)
    if s3 is None:
        path = local_path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_bytes(content)
        temporary.replace(path)
        return
    bucket, key = s3
    _s3_client().put_object(Bucket=bucket, Key=key, Body=content)
