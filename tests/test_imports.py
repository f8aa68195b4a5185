"""The import graph of src/ogi, read from the source (AST) → no cycle, and no unexplained function-level import.

Every ``import`` of an ogi module counts, at module level or inside a function, absolute or relative; an
import under ``if TYPE_CHECKING:`` never runs and does not. An import inside a function is only there for a
measured start-up cost, so it must say so in a comment on its line or the line above.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


@dataclass(frozen=True, slots=True)
class Import:
    source: str  # the importing module
    target: str  # the imported ogi module
    line: int
    in_function: bool
    commented: bool  # a comment on the import's line or the line above


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name → file, for every .py file of ``package`` under ``root``."""
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def imports(root: Path, package: str) -> list[Import]:
    modules = module_names(root, package)
    found = []
    for name, path in modules.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        is_package = path.name == "__init__.py"
        for node, in_function in _import_nodes(ast.parse("\n".join(lines), str(path))):
            commented = "#" in lines[node.lineno - 1] or lines[node.lineno - 2].lstrip().startswith("#")
            for target in _targets(node, name, is_package, modules):
                found.append(Import(name, target, node.lineno, in_function, commented))
    return found


def _import_nodes(tree: ast.AST, in_function: bool = False):
    """(Import or ImportFrom node, inside a function?) for every import that runs."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, in_function
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _import_nodes(ast.Module(body=node.orelse, type_ignores=[]), in_function)
        else:
            yield from _import_nodes(node, in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    """The modules of ``modules`` an import statement loads: ``from a import b`` loads a.b when b is a module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in modules]
    if node.level:
        parts = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(parts[: len(parts) - (node.level - 1)] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    targets = [f"{base}.{alias.name}".lstrip(".") for alias in node.names]
    targets = [target for target in targets if target in modules]
    if len(targets) < len(node.names) and base in modules:
        targets.append(base)  # names defined in the module itself
    return targets


def cycles(edges: list[Import]) -> list[tuple[list[str], list[str]]]:
    """(modules, one cycle a → … → a through them) for each strongly connected group, by Tarjan's algorithm."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    groups = _strongly_connected(graph)
    found = []
    for group in groups:
        start = min(group)
        if len(group) > 1 or start in graph[start]:
            found.append((sorted(group), _cycle_through(start, group, graph)))
    return sorted(found)


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _cycle_through(start: str, group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """The shortest path start → … → start inside the group (breadth first)."""
    previous: dict[str, str] = {}
    queue = [start]
    for node in queue:
        for target in sorted(graph[node] & group):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [start, *reversed(path[:-1]), start] if node != start else [start, start]
            if target not in previous:
                previous[target] = node
                queue.append(target)
    raise AssertionError(f"{start} is in no cycle")


def test_no_import_cycle():
    found = cycles(imports(SRC, "ogi"))
    listed = [f"{', '.join(group)}: {' → '.join(cycle)}" for group, cycle in found]
    assert not found, "modules in an import cycle, and one cycle through them:\n" + "\n".join(listed)


def test_function_level_imports_say_why():
    unexplained = [
        f"{i.source}:{i.line} imports {i.target}" for i in imports(SRC, "ogi") if i.in_function and not i.commented
    ]
    assert not unexplained, "function-level imports without a comment saying why:\n" + "\n".join(unexplained)


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_graph_follows_relative_absolute_and_function_level_imports(tmp_path):
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from .a import run\n",
            "pkg/a.py": "from . import b\nimport os\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/b.py": "",
            "pkg/b.py": "def f():\n    from .sub.b import x\n    import pkg.a\n",
            "pkg/c.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from . import a\nelse:\n    from . import sub\n"
            ),
        },
    )
    edges = {(i.source, i.target, i.in_function) for i in imports(root, "pkg")}
    assert edges == {
        ("pkg", "pkg.a", False),
        ("pkg.a", "pkg.b", False),
        ("pkg.b", "pkg.sub.b", True),
        ("pkg.b", "pkg.a", True),
        ("pkg.c", "pkg.sub", False),
    }
    assert cycles(imports(root, "pkg")) == [(["pkg.a", "pkg.b"], ["pkg.a", "pkg.b", "pkg.a"])]


def test_a_function_level_import_is_explained_by_a_comment_on_its_line_or_above(tmp_path):
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "",
            "pkg/b.py": (
                "def f():\n    from . import a  # loads numpy: 40 ms\n"
                "def g():\n    # loads numpy: 40 ms\n    from . import a\n"
                "def h():\n    x = 1\n    from . import a\n"
            ),
        },
    )
    explained = {i.line: i.commented for i in imports(root, "pkg") if i.in_function}
    assert explained == {2: True, 5: True, 8: False}


def test_only_the_corpus_imports_sqlalchemy():
    """corpus/ is the one door to the database (issue #9): no other module speaks SQL."""
    outside = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "corpus" not in path.relative_to(SRC).parts
        and any(
            line.lstrip().startswith(("import sqlalchemy", "from sqlalchemy"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    )
    assert outside == []
