"""The house rules of imports, read from the source with ``ast`` (lazy imports included).

- No cycle between packages (folders): ``streams.core`` → ``streams.logic`` is fine,
  ``streams.desk`` ↔ ``streams.kafka`` both ways is not.
- ``schemas`` imports nothing of ours; ``sinks`` never imports ``streams``.
- ``streams.core`` is leaf infrastructure, ``streams.logic`` is pure decisions: each
  imports only the floors below it.
- Nothing imports the CLI, and our own code is never imported by a module-name string.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("schemas", "sinks", "streams")
# What each room may import of ours (besides itself).
ALLOWED: Mapping[str, tuple[str, ...]] = {
    "schemas": (),
    "streams.core": ("schemas", "sinks"),
    "streams.logic": ("schemas", "streams.core"),
}


def _package_of(module: str, is_package: bool) -> str:
    return module if is_package else module.rpartition(".")[0] or module


def read_imports(root: Path, tops: Iterable[str] = OURS) -> dict[str, set[str]]:
    """Map each of our modules to the modules of ours it imports, at any depth of the file."""
    graph: dict[str, set[str]] = {}
    for top in tops:
        for path in sorted((root / top).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            module = ".".join(parts[:-1] if is_package else parts)
            here = _package_of(module, is_package)
            found: set[str] = set()
            for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    found.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom):
                    base = node.module or ""
                    if node.level:
                        anchor = here.split(".")[: len(here.split(".")) - node.level + 1]
                        base = ".".join([*anchor, base] if base else anchor)
                    found.add(base)
                    # `from streams.web import intake` imports the module streams.web.intake.
                    found.update(
                        f"{base}.{a.name}"
                        for a in node.names
                        if (root / Path(*base.split("."), f"{a.name}.py")).exists()
                        or (root / Path(*base.split("."), a.name)).is_dir()
                    )
            graph[module] = {m for m in found if m.split(".")[0] in OURS}
    return graph


def folder_of(module: str, root: Path) -> str:
    """The package (folder) a module lives in; a package is its own folder."""
    if (root / Path(*module.split("."))).is_dir():
        return module
    return module.rpartition(".")[0] or module


def folder_graph(graph: Mapping[str, set[str]], root: Path) -> dict[str, set[str]]:
    """Edges between folders, leaving out a folder's imports of itself."""
    folders: dict[str, set[str]] = {}
    for module, imported in graph.items():
        source = folder_of(module, root)
        targets = {folder_of(m, root) for m in imported} - {source}
        folders.setdefault(source, set()).update(targets)
    return folders


def find_cycle(edges: Mapping[str, set[str]]) -> list[str] | None:
    """One cycle of folders, as a path that ends where it starts, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def broken_rules(graph: Mapping[str, set[str]], root: Path) -> list[str]:
    """Every import that a room may not make."""
    problems = []
    for module, imported in sorted(graph.items()):
        for target in sorted(imported):
            if module.startswith("sinks") and target.startswith("streams"):
                problems.append(f"{module} imports {target}: sinks/ stands below streams/")
            into_cli = target == "streams.cli" or target.startswith("streams.cli.")
            if into_cli and not module.startswith("streams.cli"):
                problems.append(f"{module} imports {target}: nothing imports the CLI")
            for room, allowed in ALLOWED.items():
                if (module == room or module.startswith(room + ".")) and not (
                    target == room
                    or target.startswith(room + ".")
                    or any(target == a or target.startswith(a + ".") for a in allowed)
                ):
                    problems.append(
                        f"{module} imports {target}: {room} may import only {allowed or 'nothing of ours'}"
                    )
    return problems


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return read_imports(ROOT)


def test_no_cycle_between_folders(graph: dict[str, set[str]]) -> None:
    assert find_cycle(folder_graph(graph, ROOT)) is None


def test_every_import_points_down(graph: dict[str, set[str]]) -> None:
    assert broken_rules(graph, ROOT) == []


def test_no_module_name_strings_for_our_own_code() -> None:
    offenders = []
    for top in OURS:
        for path in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and str(node.args[0].value).split(".")[0] in OURS
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def _plant(tmp_path: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_a_planted_cycle_is_found_even_through_a_lazy_import(tmp_path: Path) -> None:
    root = _plant(
        tmp_path,
        {
            "streams/__init__.py": "",
            "streams/desk/__init__.py": "",
            "streams/desk/queue.py": "from streams.kafka.publish import send\n",
            "streams/kafka/__init__.py": "",
            "streams/kafka/publish.py": "def send():\n    from streams.desk import queue\n",
        },
    )
    cycle = find_cycle(folder_graph(read_imports(root, ["streams"]), root))
    assert cycle == ["streams.desk", "streams.kafka", "streams.desk"]


def test_planted_upward_imports_are_named(tmp_path: Path) -> None:
    root = _plant(
        tmp_path,
        {
            "schemas/__init__.py": "import sinks.models\n",
            "sinks/__init__.py": "",
            "sinks/models.py": "def f():\n    from streams.core import settings\n",
            "streams/__init__.py": "",
            "streams/core/__init__.py": "",
            "streams/core/settings.py": "from streams.kafka import topics\n",
            "streams/kafka/__init__.py": "",
            "streams/kafka/topics.py": "from streams.cli import main\n",
            "streams/cli/__init__.py": "",
            "streams/cli/main.py": "",
        },
    )
    problems = broken_rules(read_imports(root), root)
    assert any(p.startswith("schemas imports sinks.models") for p in problems)
    assert any(p.startswith("sinks.models imports streams.core") for p in problems)
    assert any(p.startswith("streams.core.settings imports streams.kafka") for p in problems)
    assert any(p.startswith("streams.kafka.topics imports streams.cli") for p in problems)
