"""The design's dependency rules (DESIGN.md, "Layout"), checked on the source with `ast` so they cannot erode."""

import ast
from functools import cache
from itertools import pairwise
from pathlib import Path

from tests.support.imports import Import, cycles, python_files, scan, top

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "blobs", "uploads", "synctasks", "harvest", "files", "datasets")
FIRST_PARTY = ("core", "nexus_server", *APPS)

# App -> the other apps it may import; core is always allowed, nexus_server (the wiring) may import anything.
ALLOWED_APPS = {
    "accounts": set(),
    "blobs": set(),
    "synctasks": {"accounts", "blobs"},
    "harvest": {"synctasks", "accounts", "blobs"},
    "uploads": {"accounts", "blobs", "synctasks", "harvest"},
    "files": {"accounts", "blobs"},
    "datasets": {"accounts", "blobs"},
}
# What other apps may import of blobs: its service and selector layer and two primitives (the safe-zip
# reader and the streaming upload handler). Exactly these modules: not blobs.services' submodules.
BLOBS_PUBLIC = {"blobs.services", "blobs.selectors", "blobs.archives", "blobs.uploadhandler"}
BOTO = ("boto3", "botocore", "storages")
# The one module outside blobs that may import boto: it classifies boto's exceptions as outages.
BOTO_OUTSIDE_BLOBS = {"core.outages"}
MAX_LINES = 400


@cache
def project():
    return scan(ROOT, FIRST_PARTY)


def first_party_imports():
    """Imports between first-party modules, a module's imports of itself left out. Imports under
    `if TYPE_CHECKING:` are left out too: they only name a type for annotations (a model another app
    hands out), and a module that used such a name at run time would fail, so they carry no arrow."""
    return [
        i for i in project().imports if top(i.target) in FIRST_PARTY and i.importer != i.target and not i.type_checking
    ]


def report(title, offenders):
    lines = sorted({str(o) for o in offenders})
    return f"{title} ({len(lines)}):\n  " + "\n  ".join(lines)


def role(name, word):
    """Whether a module is named `word` or sits in a package named `word` (below its app)."""
    return word in name.split(".")[1:]


def is_api(name):
    """An `apis` module, or the package named `api` or a module in it (files.api, files.api.views); not a
    plain module named `api` such as nexus_server.settings.api, which holds settings."""
    return name.split(".")[-1] == "apis" or api_home(name) is not None


def api_home(name):
    """The package named `api` a module is (or sits in): files.api for files.api.views; else None."""
    parts = name.split(".")
    if name in project().packages and parts[-1] == "api":
        return name
    inner = [n for n, part in enumerate(parts[1:-1], start=1) if part == "api"]
    return ".".join(parts[: inner[-1] + 1]) if inner else None


# --- the rules -------------------------------------------------------------------------------------------


def test_core_imports_no_app_and_not_the_wiring():
    bad = [i for i in first_party_imports() if top(i.importer) == "core" and top(i.target) != "core"]
    assert not bad, report("core imports an app or nexus_server", bad)


def test_apps_never_import_the_wiring():
    bad = [i for i in first_party_imports() if top(i.importer) in APPS and top(i.target) == "nexus_server"]
    assert not bad, report("an app imports nexus_server", bad)


def test_apps_import_only_the_apps_they_may():
    bad = [
        i
        for i in first_party_imports()
        if top(i.importer) in APPS
        and top(i.target) in APPS
        and top(i.target) != top(i.importer)
        and top(i.target) not in ALLOWED_APPS[top(i.importer)]
    ]
    assert not bad, report("an app imports an app it may not", bad)


def package_cycles(imports):
    """Circles between top-level packages over every given import; each arrow shown with one example."""
    edges, example = {}, {}
    for i in imports:
        a, b = top(i.importer), top(i.target)
        if a != b:
            edges.setdefault(a, set()).add(b)
            example.setdefault((a, b), i)
    return [" -> ".join([path[0], *(f"{b} [{example[a, b]}]" for a, b in pairwise(path))]) for path in cycles(edges)]


def module_cycles(project_):
    """Circles between modules over imports that run at load time; each arrow shown with its line."""
    edges, line = {}, {}
    for i in project_.imports:
        if i.at_load and i.target in project_.modules and i.target != i.importer:
            edges.setdefault(i.importer, set()).add(i.target)
            line.setdefault((i.importer, i.target), i.line)
    return [" -> ".join([*(f"{a}:{line[a, b]}" for a, b in pairwise(path)), path[-1]]) for path in cycles(edges)]


def test_no_circle_between_packages():
    found = package_cycles(first_party_imports())
    assert not found, report("circles between packages (all imports, function-level included)", found)


def test_no_circle_between_modules_at_load_time():
    # Imports inside functions are how a load-order circle is broken on purpose, so they are left out;
    # so are imports under `if TYPE_CHECKING:`, which never run.
    found = module_cycles(project())
    assert not found, report("circles between modules (module-level imports)", found)


def test_other_apps_reach_blobs_only_through_its_public_modules():
    bad = [
        i
        for i in first_party_imports()
        if top(i.importer) in APPS and top(i.importer) != "blobs" and top(i.target) == "blobs"
        if i.target not in BLOBS_PUBLIC
    ]
    assert not bad, report(f"an app imports blobs outside {sorted(BLOBS_PUBLIC)}", bad)


def test_boto_and_storages_only_inside_blobs():
    bad = [
        i
        for i in project().imports
        if top(i.target) in BOTO and top(i.importer) != "blobs" and i.importer not in BOTO_OUTSIDE_BLOBS
    ]
    assert not bad, report("boto3 / botocore / storages imported outside blobs", bad)


def test_only_urls_import_apis():
    bad = [
        i
        for i in first_party_imports()
        if is_api(i.target)
        and i.importer.split(".")[-1] != "urls"
        # Modules of one api package may use each other (files.api.views imports files.api.params).
        and not (api_home(i.target) and api_home(i.importer) == api_home(i.target))
    ]
    assert not bad, report("an apis module imported by something other than urls", bad)


def test_layers_inside_apps_point_down():
    def breaks_layering(i: Import):
        if role(i.importer, "models"):
            return is_api(i.target) or any(role(i.target, w) for w in ("services", "selectors", "tasks", "admin"))
        if role(i.importer, "services") or role(i.importer, "selectors"):
            return is_api(i.target) or role(i.target, "views") or role(i.target, "admin")
        return False

    bad = [i for i in first_party_imports() if breaks_layering(i)]
    assert not bad, report("a lower layer imports a higher one (models < services/selectors < apis)", bad)


def backend_isinstance_calls(project_, outside="blobs"):
    """`isinstance(x, <...Backend>)` calls outside the given package: code that branches on the backend."""
    found = []
    for name, tree in project_.trees.items():
        if top(name) == outside:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance"):
                continue
            if len(node.args) != 2:
                continue
            kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            for kind in kinds:
                label = kind.id if isinstance(kind, ast.Name) else getattr(kind, "attr", "")
                if label.endswith("Backend"):
                    found.append(f"{name}:{node.lineno} -> isinstance(..., {label})")
    return found


def test_no_branching_on_the_blob_backend_outside_blobs():
    found = backend_isinstance_calls(project())
    assert not found, report("isinstance(..., *Backend) outside blobs", found)


def test_no_module_over_400_lines():
    long = []
    for path in python_files(ROOT):
        with path.open(encoding="utf-8") as source:
            count = sum(1 for _ in source)
        if count > MAX_LINES:
            long.append(f"{path.relative_to(ROOT)}: {count} lines")
    assert not long, report(f"modules over {MAX_LINES} lines", long)


# --- the scanner itself, on a tiny package written for the purpose ---------------------------------------


def write_package(root):
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "from . import b\n",
        "pkg/b.py": "import pkg.a\n\n\ndef later():\n    from .sub import c\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": (
            "from typing import TYPE_CHECKING\n\nfrom ..a import thing\n\nif TYPE_CHECKING:\n    from pkg import b\n"
        ),
        "pkg/migrations/__init__.py": "import pkg.a\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return scan(root, ("pkg",))


def test_scanner_resolves_relative_imports(tmp_path):
    found = write_package(tmp_path)
    assert "pkg.migrations" not in found.modules
    # `from . import b`: b is a module, so the arrow goes to it; `from ..a import thing`: to the module a.
    assert Import("pkg.a", 1, "pkg.b", False, False) in found.imports
    assert Import("pkg.sub.c", 3, "pkg.a", False, False) in found.imports
    assert Import("pkg.b", 1, "pkg.a", False, False) in found.imports


def test_scanner_sees_function_level_and_type_checking_imports(tmp_path):
    found = write_package(tmp_path)
    assert Import("pkg.b", 5, "pkg.sub.c", True, False) in found.imports
    assert Import("pkg.sub.c", 6, "pkg.b", False, True) in found.imports


def test_cycle_finders_find_a_two_module_circle(tmp_path):
    found = write_package(tmp_path)
    # b -> sub.c runs only when later() is called and sub.c -> b only for type checkers: no circle there.
    assert module_cycles(found) == ["pkg.a:1 -> pkg.b:1 -> pkg.a"]
    imports = [Import("x.m", 1, "y.m", True, False), Import("y.n", 2, "x", False, False)]
    assert package_cycles(imports) == ["x -> y [x.m:1 -> y.m] -> x [y.n:2 -> x]"]
