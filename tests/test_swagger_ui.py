"""Swagger UI and ReDoc in a real headless browser (Debian's chromium) against gunicorn: the seed's
upload is sent from Swagger UI's "Try it out" with the demo token and a file picked, and answers 201."""

import json

import requests

from tests.support.accounts import DEMO_TOKEN
from tests.support.browser import ARTIFACTS, chromium_page, swagger_authorize, swagger_operation, swagger_response

TITLE = "Nexus Upload Server"
SCREENSHOT = ARTIFACTS / "swagger-upload.png"
# What Swagger UI needs from the schema to offer the upload: the body of POST /api/v1/uploads/ as
# multipart/form-data with `datasource` (integer) and `upload_file` (string, format binary).
NO_BODY = "the schema does not describe POST /api/v1/uploads/'s multipart body (datasource, upload_file binary)"


def test_swagger_ui_try_it_out_uploads_a_csv_with_the_token(served, tmp_path):
    from playwright.sync_api import expect

    base, ids = served
    datasource = ids["data_sources"]["Dataset export"]
    picked = tmp_path / "swagger-upload.csv"
    picked.write_text("station,date,value\nDe Bilt,2026-12-01,4.5\n")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium_page() as page:
        try:
            page.goto(f"{base}/api/docs/")
            page.locator(".information-container .title").filter(has_text=TITLE).wait_for()
            swagger_authorize(page, "tokenQuery", DEMO_TOKEN)
            block = swagger_operation(page, "POST", "/api/v1/uploads/")
            body_form = block.locator(".opblock-section-request-body")
            file_input = body_form.locator('tr[data-property-name="upload_file"] input[type="file"]')
            expect(file_input, NO_BODY).to_have_count(1, timeout=5_000)
            body_form.locator('tr[data-property-name="datasource"] input').fill(str(datasource))
            file_input.set_input_files(picked)
            status, text = swagger_response(block)
            request_url = block.locator(".request-url pre").inner_text()
        finally:
            # Kept whatever happened: on a failure it shows where Swagger UI stopped.
            page.screenshot(path=SCREENSHOT, full_page=True)
        assert not page.errors, page.errors

    assert status == 201, text
    assert f"token={DEMO_TOKEN}" in request_url, request_url
    created = json.loads(text)
    assert (created["datasource"], created["filename"]) == (datasource, "swagger-upload.csv"), created
    assert created["datasource_name"] == "Dataset export"
    # The server kept it: the upload is there for the same supplier, with the file's bytes.
    stored = requests.get(f"{base}/api/v1/uploads/{created['id']}/", params={"token": DEMO_TOKEN}, timeout=10)
    assert stored.status_code == 200, stored.text
    assert (stored.json()["datasource"], stored.json()["filename"]) == (datasource, "swagger-upload.csv")
    download = requests.get(stored.json()["upload_file"], timeout=10)
    assert (download.status_code, download.content) == (200, picked.read_bytes())
    assert SCREENSHOT.stat().st_size > 0


def test_redoc_renders_the_api_title(served):
    base, _ = served
    with chromium_page() as page:
        page.goto(f"{base}/api/redoc/")
        # ReDoc's classes are generated: the element, its text and the roles are what stays. The schema is
        # read a second time from the same server process here (after Swagger UI's): a schema that changes
        # between requests (a dangling $ref) shows ReDoc's error page instead of the API.
        title = page.locator("redoc h1").filter(has_text=TITLE)
        crashed = page.locator("redoc").get_by_text("Something went wrong")
        title.or_(crashed).first.wait_for()
        assert not crashed.count(), page.locator("redoc").inner_text()[:500]
        # The side menu lists the operations by tag: the schema was read, not only the page shell.
        page.locator('redoc [role=menuitem][aria-label="Nexus uploads"]').wait_for()
        assert not page.errors, page.errors
