"""Runs a real Dataverse client (in .venv-clients) as a supplier would: `python dataverse_client.py
'<json>'` with "client" dvuploader-direct, dvuploader-native, pydataverse or pydataverse-info; prints a
JSON result."""

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
    if args["client"] == "pydataverse-info":
        calls = {"version": api.get_info_version, "server": api.get_info_server}
        return {
            name: {"status_code": r.status_code, "body": r.json()} for name, r in ((n, c()) for n, c in calls.items())
        }
    answers = []
    for f in args["files"]:
        response = api.upload_datafile(args["pid"], f["path"], json.dumps(f.get("json", {})))
        answers.append({"status_code": response.status_code, "body": response.json()})
    return {"answers": answers}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
