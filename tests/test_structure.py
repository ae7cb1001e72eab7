"""The shape of the code (issue H): no import cycles, not even through imports inside
functions; connectors/ depends on no app; no mall is named outside connectors/ (tests,
migrations and the demo data aside)."""

import ast
import re
from pathlib import Path

from connectors.base import registry

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "connectors", "monitoring", "orders", "shops", "tempostar", "twofactor")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every project module `name` imports, at module level or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(p for p in [*parts, base] if p)
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def test_no_import_cycles_even_inside_functions():
    found = modules()
    graph = {name: imports(name, path, set(found)) for name, path in found.items()}
    # A package's __init__ importing its own submodules is not a cycle of behaviour.
    cycles, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target.startswith(node + "."):
                continue
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_connectors_depend_on_no_app():
    found = modules()
    for name, path in found.items():
        if name.startswith("connectors"):
            apps = {t.split(".")[0] for t in imports(name, path, set(found))}
            assert apps <= {"connectors"}, (name, apps)


def test_no_mall_is_named_outside_connectors():
    words = set()
    for connector in registry.all():
        if len(connector.code) > 5:  # "base", "other": ordinary words, not names
            words.add(connector.code)
        words.add(connector.label)
    names = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    pattern = re.compile(rf"(?<![A-Za-z0-9_])(?:{names})(?![A-Za-z0-9_])")
    offenders = []
    for folder in ("shops", "orders", "monitoring", "api", "twofactor", "tempostar", "templates"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".html", ".txt", ".js") or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
