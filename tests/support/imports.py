"""An import scanner for the architecture test: reads source with `ast`, never imports it."""

import ast
import os
from dataclasses import dataclass
from pathlib import Path

# Directories that are never part of the scanned code: generated (migrations), tests and benchmarks
# (they may reach anywhere), and the client, which is its own distribution.
SKIPPED_DIRS = {"migrations", "tests", "bench", "client", "__pycache__"}


@dataclass(frozen=True)
class Import:
    """One arrow: `importer` (a dotted module name) loads `target` at `line`."""

    importer: str
    line: int
    target: str
    in_function: bool  # inside a def: runs when called, not when the importer loads
    type_checking: bool  # under `if TYPE_CHECKING:`: never runs

    @property
    def at_load(self):
        """True when the import runs while the importer itself is loading."""
        return not (self.in_function or self.type_checking)

    def __str__(self):
        return f"{self.importer}:{self.line} -> {self.target}"


@dataclass
class Project:
    """The scanned modules (dotted name -> path), which of them are packages, and every import."""

    modules: dict
    packages: set
    imports: list
    trees: dict


def module_files(root, top_packages):
    """Dotted module name -> path for every .py file under the given top-level packages."""
    found = {}
    for top in top_packages:
        base = Path(root) / top
        if not (base / "__init__.py").is_file():
            continue
        for directory, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
            rel = Path(directory).relative_to(root).parts
            for filename in sorted(filenames):
                if not filename.endswith(".py"):
                    continue
                stem = filename[:-3]
                name = ".".join(rel) if stem == "__init__" else ".".join((*rel, stem))
                found[name] = Path(directory) / filename
    return found


def _is_type_checking(test):
    """`if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


class _Collector(ast.NodeVisitor):
    """Walks one module, resolving each import to the dotted names it loads."""

    def __init__(self, name, is_package, known_modules):
        self.name = name
        # The package relative imports are resolved against: a package's own name for its __init__.
        self.package = name.split(".") if is_package else name.split(".")[:-1]
        self.known = known_modules
        self.depth = 0
        self.type_checking = 0
        self.found = []

    def _add(self, node, target):
        self.found.append(Import(self.name, node.lineno, target, self.depth > 0, self.type_checking > 0))

    def _function(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_If(self, node):
        if _is_type_checking(node.test):
            self.visit(node.test)
            self.type_checking += 1
            for child in node.body:
                self.visit(child)
            self.type_checking -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node):
        if node.level:
            up = node.level - 1
            if up > len(self.package) - 1:
                raise ValueError(f"{self.name}:{node.lineno}: relative import beyond the top-level package")
            parts = self.package[: len(self.package) - up]
            base = ".".join([*parts, node.module] if node.module else parts)
        else:
            base = node.module
        if base == "__future__":
            return
        for alias in node.names:
            # `from pkg import name` loads the submodule pkg.name when there is one, else only pkg.
            sub = f"{base}.{alias.name}"
            self._add(node, sub if alias.name != "*" and sub in self.known else base)


def scan(root, top_packages):
    """Parses every module of the given top-level packages under root and collects their imports."""
    files = module_files(root, top_packages)
    packages = {name for name, path in files.items() if path.name == "__init__.py"}
    imports, trees = [], {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        trees[name] = tree
        collector = _Collector(name, name in packages, files)
        collector.visit(tree)
        imports.extend(collector.found)
    return Project(files, packages, imports, trees)


def top(name):
    """The top-level package of a dotted name."""
    return name.split(".", 1)[0]


def cycles(edges, limit=50):
    """Elementary circles of a directed graph given as {node: {successor, ...}}, each as a node list
    starting and ending at its smallest node; at most `limit` of them (a tangle is reported in part)."""
    found = []
    nodes = sorted(set(edges) | {n for succ in edges.values() for n in succ})
    for start in nodes:
        # Only circles whose smallest node is `start`: each circle is found exactly once.
        stack = [iter(sorted(edges.get(start, ())))]
        path, on_path = [start], {start}
        while stack and len(found) < limit:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                on_path.discard(path.pop())
            elif nxt == start:
                found.append([*path, start])
            elif nxt > start and nxt not in on_path and _reaches(edges, nxt, start, start):
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(sorted(edges.get(nxt, ()))))
    return found


def _reaches(edges, source, goal, floor):
    """Whether goal can be reached from source through nodes not below floor (prunes dead branches)."""
    seen, todo = {source}, [source]
    while todo:
        node = todo.pop()
        for nxt in edges.get(node, ()):
            if nxt == goal:
                return True
            if nxt > floor and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def python_files(root):
    """Every .py file of the repository outside virtualenvs, hidden directories and migrations."""
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and d not in {"migrations", "__pycache__", "node_modules"}
        )
        if Path(directory) == Path(root):
            # Runtime state and build output, not source.
            dirnames[:] = [d for d in dirnames if d not in {"var", "build", "dist"}]
        for filename in sorted(filenames):
            if filename.endswith(".py"):
                yield Path(directory) / filename
