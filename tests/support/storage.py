"""Blob storage of the tests: moto's S3 server started on loopback, its client, and what storage holds."""

import subprocess
import sys
import time

import boto3
import requests

from tests.support.stack import free_port


def start_moto() -> tuple[subprocess.Popen, str]:
    """moto's standalone S3 server on a free loopback port; the process and its endpoint once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{endpoint}/moto-api/", timeout=1)
            return process, endpoint
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto's S3 server did not start") from None
            time.sleep(0.1)


def s3_client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


def stored_objects(kind, local_root=None, s3=None) -> list[str]:
    """Every object (and partial object or multipart upload) that storage holds."""
    if kind == "local":
        if not local_root.exists():
            return []
        return sorted(p.relative_to(local_root).as_posix() for p in local_root.rglob("*") if p.is_file())
    client, bucket = s3
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    uploads = [f"multipart:{u['Key']}" for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    return sorted(keys + uploads)
