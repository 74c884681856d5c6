"""The import rules of docs/architecture.md hold in the code: every package imports only the
packages its row allows (imports under `if TYPE_CHECKING:` are type hints, not dependencies),
and the table in the docs says the same as the rules here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "epicommons"
BASE = {
    "errors",
    "_files",
    "_lazy",
    "scoring",
    "backend",
    "doubts",
}  # the ground floor: no package of ours below them

# package -> what it may import besides BASE (the "may import" column of the architecture table)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "_files": {"errors"},
    "scoring": set(),
    "_lazy": set(),
    "backend": {"errors"},
    "doubts": set(),
    "world": set(),
    "model": {"world"},
    "policy": {"model", "world"},
    "risk": {"model", "policy", "world"},
    "surveillance": {"world"},
    "calibrate": {"model", "policy", "surveillance", "world"},
    "forecast": {"calibrate", "model", "surveillance", "world"},
    "assist": {"world"},
    "assess": {
        "assist",
        "calibrate",
        "forecast",
        "model",
        "policy",
        "report",
        "risk",
        "surveillance",
        "world",
    },  # fmt: skip
    "report": {"model", "world"},
    "studies": {"assist", "model", "policy", "report", "risk", "surveillance", "world"},
    "hub": {"assess", "assist", "report", "risk", "surveillance", "world"},
    "cli": {
        "assess",
        "assist",
        "calibrate",
        "forecast",
        "hub",
        "model",
        "policy",
        "report",
        "risk",
        "studies",
        "surveillance",
        "world",
    },  # fmt: skip
    "__main__": {"cli"},
    "__init__": set(),
}


def _imports(path: Path) -> set[str]:
    """The epicommons packages a module imports at run time."""
    rel = path.relative_to(PACKAGE)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hints = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    out = set()
    for node in ast.walk(tree):
        if id(node) in hints:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names = [node.module or ""]
            elif node.level > len(rel.parts) - 1:
                continue
            else:
                base = list(rel.parts[: len(rel.parts) - node.level])
                names = [".".join(["epicommons", *base, *([node.module] if node.module else [])])]
        for name in names:
            parts = name.split(".")
            if parts[0] == "epicommons" and len(parts) > 1:
                out.add(parts[1])
    return out


def test_every_package_imports_only_what_its_row_allows():
    broken = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        package = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        allowed = ALLOWED[package] | BASE | {package}
        broken += [f"{rel} imports {dep}" for dep in sorted(_imports(path) - allowed)]
    assert broken == []


def test_the_architecture_table_states_these_rules():
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([\w_]+)/?` \| .*? \| ([^|]*) \|$", text, flags=re.M))
    for package, allowed in ALLOWED.items():
        if package.startswith("__"):
            continue
        cell = rows[package]
        if "everything" in cell:
            continue
        named = set(re.findall(r"[a-z_]+", cell.split(";")[0])) & set(ALLOWED)
        assert named == allowed | (BASE - {package}) & named, (package, cell)
