"""Runs a real Dataverse client (in .venv-clients) as a supplier would: `python dataverse_client.py
'<json>'` with "client" dvuploader-direct, dvuploader-native, pydataverse, pydataverse-info,
pydataverse-lifecycle or pydataverse-create; prints a JSON result."""

import hashlib
import json
import sys


def _answer(response) -> dict:
    return {"status_code": response.status_code, "body": response.json()}


def lifecycle(args: dict) -> dict:
    """pyDataverse's own workflow: create a dataset in `collection`, upload a file, download it,
    publish, replace the file (a new draft), list the versions, try to delete the published dataset,
    delete its draft; and a second dataset created, uploaded to and deleted before it is published."""
    from pyDataverse.api import DataAccessApi, NativeApi

    api, access = NativeApi(args["url"], args["token"]), DataAccessApi(args["url"], args["token"])
    steps = {}
    created = api.create_dataset(args["collection"], json.dumps(args["metadata"]))
    steps["create"] = _answer(created)
    pid = created.json()["data"]["persistentId"]
    uploaded = api.upload_datafile(pid, args["file"], json.dumps({"description": "first"}))
    steps["upload"] = _answer(uploaded)
    file_id = uploaded.json()["data"]["files"][0]["dataFile"]["id"]
    download = access.get_datafile(file_id, is_pid=False)
    steps["download"] = {
        "status_code": download.status_code,
        "sha256": hashlib.sha256(download.content).hexdigest(),
        "content_disposition": download.headers.get("content-disposition"),
    }
    steps["publish"] = _answer(api.publish_dataset(pid, release_type="major"))
    steps["replace"] = _answer(api.replace_datafile(file_id, args["replacement"], json.dumps({}), is_filepid=False))
    steps["versions"] = _answer(api.get_dataset_versions(pid))
    steps["delete_published"] = _answer(api.delete_dataset(pid))
    draft = api.delete_request(f"{api.base_url_api_native}/datasets/:persistentId/versions/:draft?persistentId={pid}")
    steps["delete_draft"] = _answer(draft)
    second = api.create_dataset(args["collection"], json.dumps(args["metadata"])).json()["data"]["persistentId"]
    api.upload_datafile(second, args["file"], json.dumps({}))
    steps["delete_unpublished"] = _answer(api.delete_dataset(second))
    return {"pid": pid, "second": second, "steps": steps}


def main(args: dict) -> dict:
    if args["client"] == "pydataverse-lifecycle":
        return lifecycle(args)
    if args["client"] == "pydataverse-create":
        from pyDataverse.api import NativeApi

        return _answer(
            NativeApi(args["url"], args["token"]).create_dataset(args["collection"], json.dumps(args["metadata"]))
        )
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
