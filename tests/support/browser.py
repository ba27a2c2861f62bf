"""Debian's chromium driven by playwright, and the steps of Swagger UI 5 that the browser tests take."""

import contextlib
import re

from .stack import ROOT

# Debian's package (`make test` installs it): playwright's own browser downloads are never used.
CHROMIUM = "/usr/bin/chromium"
# Screenshots kept after the run (CI can publish them); var/ is ignored by git.
ARTIFACTS = ROOT / "var" / "test" / "artifacts"


@contextlib.contextmanager
def chromium_page(*, timeout_ms: int = 15_000, width: int = 1280, height: int = 900):
    """A page of a headless chromium with a `width` x `height` viewport; every wait on it gives up
    after `timeout_ms`. The page's JavaScript errors are collected in `page.errors`, for the
    assertion messages."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(timeout_ms)
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            yield page
        finally:
            browser.close()


def swagger_authorize(page, scheme: str, value: str) -> None:
    """Swagger UI's "Authorize" dialog: `value` into the `scheme` form only, applied, dialog closed."""
    page.locator(".auth-wrapper .btn.authorize").click()
    # Matched exactly: "tokenQuery" is also a substring of "apiTokenQuery".
    name = page.locator("h4 code").filter(has_text=re.compile(rf"^{re.escape(scheme)}$"))
    form = page.locator(".modal-ux .auth-container").filter(has=name)
    form.locator("input").fill(value)
    form.locator("button.authorize").click()
    form.get_by_text("Authorized").wait_for()
    page.locator(".modal-ux .close-modal").click()
    page.locator(".modal-ux").wait_for(state="detached")


def swagger_operation(page, method: str, path: str):
    """The operation's block, expanded, with "Try it out" turned on."""
    summary_path = page.locator(f'.opblock-summary-path[data-path="{path}"]')
    block = page.locator(f".opblock.opblock-{method.lower()}").filter(has=summary_path)
    block.locator(".opblock-summary").first.click()
    block.locator(".try-out__btn").click()
    block.locator(".execute").wait_for()
    return block


def swagger_response(block) -> tuple[int, str]:
    """Executes the operation; the live response's status and body text as Swagger UI shows them."""
    block.locator(".execute").click()
    live = block.locator(".live-responses-table")
    status = live.locator(".response .response-col_status").first
    status.wait_for()
    body = live.locator(".response-col_description .highlight-code pre, .response-col_description pre").first
    body.wait_for()
    return int(status.inner_text().strip()), body.inner_text()
