"""Runs tuspy (in .venv-clients) as a supplier's script would: upload one file to a data source over tus,
remembering the upload URL in a file so that a second run resumes it. Prints JSON lines: where it
starts, then that it is done."""

import json
import sys

from tusclient import client as tus_client
from tusclient.storage.filestorage import FileStorage


def main(args: dict) -> None:
    client = tus_client.TusClient(args["url"], headers={"Authorization": f"Token {args['token']}"})
    uploader = client.uploader(
        args["path"],
        chunk_size=args["chunk_size"],
        metadata=args["metadata"],
        store_url=True,
        url_storage=FileStorage(args["store"]),
        upload_checksum=args.get("checksum", False),
    )
    print(json.dumps({"url": uploader.url, "offset": uploader.offset}), flush=True)
    uploader.upload()
    print(json.dumps({"url": uploader.url, "offset": uploader.offset, "done": True}), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
