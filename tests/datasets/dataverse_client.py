"""Runs a real Dataverse client (in .venv-clients) as a supplier would: `python dataverse_client.py
'<json>'` with "client" dvuploader-direct, dvuploader-native or pydataverse; prints a JSON result."""

import json
import sys


def main(args: dict) -> dict:
    if args["client"].startswith("dvuploader"):
        from dvuploader import DVUploader, File

        files = [File(filepath=f["path"], directory_label=f.get("directory_label", "")) for f in args["files"]]
        DVUploader(files=files).upload(
            persistent_id=args["pid"],
            dataverse_url=args["url"],
            api_token=args["token"],
            n_parallel_uploads=1,
            force_native=args["client"] == "dvuploader-native",
        )
        return {"uploaded": len(files)}
    from pyDataverse.api import NativeApi

    api = NativeApi(args["url"], args["token"])
    answers = []
    for f in args["files"]:
        response = api.upload_datafile(args["pid"], f["path"], json.dumps(f.get("json", {})))
        answers.append({"status_code": response.status_code, "body": response.json()})
    return {"answers": answers}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
