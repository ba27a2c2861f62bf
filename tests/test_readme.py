"""README.md's command blocks, run in order with bash against a fresh `make run` stack: each curl must
answer the HTTP status its comment states, and every other command must succeed.

The convention, stated in the README's "Tests" section: a ```sh, ```bash or ```console block is run
unless the line before it is `<!-- readme-test: skip (reason) -->`; every curl command ends (on its
last line) with a comment starting with its status, `# 201` or `# 400: not uploadable`."""

import re
import subprocess
from pathlib import Path

import pytest
import requests

from tests.support.stack import free_port, seeded_embedded_env, start_runstack, wait_for

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TOKEN = "5f0c6d2e-2b7a-4f5e-9a51-3c9d0e8b7a14"
RUN_LANGS = {"sh", "bash", "console"}
SKIP = re.compile(r"^<!-- readme-test: skip \(.+\) -->$")
FENCE = re.compile(r"^```(\S*)\s*$")
# A curl in command position: at the start of a line, after `$(`, a pipe, `;`, `&&`, `||` or a loop word.
CURL = re.compile(r"(^\s*|\$\(|[|;&]\s*|\b(?:do|then|until|while|if)\s+)curl(?=\s)")
STATUS = re.compile(r"\s#\s*(\d{3})\b")
# A README edit that stops marking blocks as the test expects must not shrink what is run unnoticed.
MIN_BLOCKS, MIN_CURLS = 15, 70

# Records the final HTTP status of every curl (the last status line of its headers, after -L
# redirects or a 100 Continue) with the README line it came from; curl's own exit status is kept.
PRELUDE = r"""
set -euo pipefail
readme_curl() {
    local line=$1 headers rc=0
    shift
    headers=$(mktemp)
    command curl -D "$headers" "$@" || rc=$?
    printf '%s %s\n' "$line" "$(awk '/^HTTP\//{s=$2} END{print s+0}' "$headers")" >> "$README_TEST_RECORD"
    rm -f "$headers"
    return $rc
}
"""


def readme_blocks(text: str):
    """(first line number, language, lines, skip reason or None) for every fenced block."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match:
            start = i + 1
            end = next(j for j in range(start, len(lines)) if lines[j].startswith("```"))
            before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            skip = before if SKIP.match(before) else None
            blocks.append((start + 1, match.group(1), lines[start:end], skip))
            i = end + 1
        else:
            i += 1
    return blocks


def script_and_expectations(text: str, base: str):
    """The bash script of the runnable blocks (curl replaced by the recording wrapper, the README's
    address by `base`) and, by README line, the status each curl states."""
    body, expected, ran = [], {}, 0
    for first, lang, lines, skip in readme_blocks(text):
        if lang not in RUN_LANGS or skip:
            continue
        ran += 1
        for offset, line in enumerate(lines):
            number = first + offset
            if CURL.search(line):
                last = offset
                while lines[last].rstrip().endswith("\\"):
                    last += 1
                status = STATUS.search(lines[last])
                expected[number] = int(status.group(1)) if status else None
                line = CURL.sub(lambda m, n=number: f"{m.group(1)}readme_curl {n}", line)
            body.append(line.replace("http://127.0.0.1:8000", base).replace("127.0.0.1:8000", base[7:]))
    return PRELUDE + "\n".join(body) + "\n", expected, ran


@pytest.mark.embedded
def test_readme_blocks_answer_the_statuses_they_state(tmp_path):
    work = tmp_path / "work"
    var = work / "var"
    var.mkdir(parents=True)
    (var / "demo_token").write_text(TOKEN + "\n")  # as `make run` keeps it
    for name in (".venv", "manage.py"):  # `.venv/bin/python manage.py ...` works from the work directory
        (work / name).symlink_to(ROOT / name)
    # make run's embedded stack whatever the suite runs on (DATABASE_URL, CELERY_*, STORAGE_* are left
    # out by seeded_embedded_env; a shared cache too), and no proxy of the machine's.
    env = {
        k: v
        for k, v in seeded_embedded_env(var, token=TOKEN).items()
        if k != "CACHE_URL" and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    # Nothing leaves the machine: a harvest's fetch of KNMI goes to a closed port and fails there.
    closed = "http://127.0.0.1:9"
    server_env = {**env, "HTTP_PROXY": closed, "HTTPS_PROXY": closed, "http_proxy": closed, "https_proxy": closed}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    stack = start_runstack(env=server_env, log=tmp_path / "stack.log", port=port)
    try:

        def ready():
            assert stack.poll() is None, (tmp_path / "stack.log").read_text()
            try:
                return requests.get(f"{base}/readyz", timeout=10).status_code == 200
            except requests.RequestException:
                return False

        wait_for(ready, timeout=90, interval=0.5, what="the stack's readiness")
        script, expected, ran = script_and_expectations(README.read_text(), base)
        record = tmp_path / "statuses"
        record.touch()
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=work,
            env={**env, "README_TEST_RECORD": str(record)},
            capture_output=True,
            timeout=240,
        )
    finally:
        stack.terminate()
        stack.wait(timeout=40)

    readme = README.read_text().splitlines()
    got: dict[int, set[int]] = {}
    for entry in record.read_text().split("\n"):
        if entry:
            number, status = entry.split()
            got.setdefault(int(number), set()).add(int(status))
    wrong = [
        (number, readme[number - 1].strip()[:100], status, sorted(got.get(number, ())))
        for number, status in expected.items()
        if got.get(number) != {status}
    ]
    assert wrong == [], (
        "README line, command, stated status, answered:\n"
        + "\n".join(map(str, wrong))
        + (f"\nbash exited {result.returncode}; stderr ends:\n{result.stderr[-3000:].decode(errors='replace')}")
    )
    assert result.returncode == 0, result.stderr[-3000:].decode(errors="replace")
    # The examples run from the checkout: what they write must not be a file the checkout has.
    written = {path.name for path in work.iterdir()} - {"var", ".venv", "manage.py"}
    assert written and [name for name in sorted(written) if (ROOT / name).exists()] == []
    assert ran >= MIN_BLOCKS and len(expected) >= MIN_CURLS, (ran, len(expected))


def test_skip_marks_name_a_reason_and_a_runnable_block():
    """A skip mark stands right before a block the test would run, so none is left dangling."""
    lines = README.read_text().splitlines()
    marks = [i for i, line in enumerate(lines) if line.startswith("<!-- readme-test")]
    assert all(SKIP.match(lines[i]) for i in marks), [lines[i] for i in marks]
    following = [next(line for line in lines[i + 1 :] if line.strip()) for i in marks]
    assert all(FENCE.match(line) and FENCE.match(line).group(1) in RUN_LANGS for line in following), following


def test_readme_points_only_inside_the_repository_and_overwrites_no_file():
    """Paths named in the README exist in this repository (nothing under seeds/, reference/, ../ or a
    DESIGN.md kept elsewhere); no example saves under a name taken from the URL (`curl -O` would
    overwrite a reader's file of that name, with an error body if it fails) or opens a browser."""
    text = README.read_text()
    top = {path.name for path in ROOT.iterdir() if not path.name.startswith(".")} - {"var"}
    # A file (its last segment has an extension) or a directory (a trailing slash), not `files/write`.
    named = re.findall(r"`([\w.-]+(?:/[\w-]+)*(?:/[\w-]+\.\w+|/))`", text)
    missing = [path for path in named if path.split("/")[0] in top and not (ROOT / path).exists()]
    assert missing == []
    assert re.findall(r"(?<![\w/.])(?:\.\./|seeds/|reference/|DESIGN\.md)", text) == []
    commands = [line for _, lang, lines, _ in readme_blocks(text) if lang in RUN_LANGS for line in lines]
    assert [line for line in commands if re.search(r"\bcurl\b.*\s(-[A-Za-z]*O|--remote-name(-all)?)(\s|$)", line)] == []
    assert [line for line in commands if re.match(r"\s*(open|xdg-open|start)\s", line)] == []
