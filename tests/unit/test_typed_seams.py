"""No `Any` at module boundaries: a renamed field or a wrong type must fail `make test` (mypy).

Public functions, public methods and the fields of public classes in attribtui/ are read from the
source; their annotations may not name `Any`. A JSON document read from a file or the wire is
`vocab.JsonDict` (the one sanctioned alias) until it is decoded into a typed record.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "attribtui"
ANY = re.compile(r"\bAny\b")
# dataclasses.field() stand-ins: returning Any is what lets `port: int = setting(...)` type-check.
ALLOWED = {"attribtui/infra/config/schema.py setting(return)",
           "attribtui/infra/config/schema.py section(return)"}


def _public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _annotations(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[str, ast.expr]]:
    a = fn.args
    for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
        if arg is not None and arg.annotation is not None:
            yield arg.arg, arg.annotation
    if fn.returns is not None:
        yield "return", fn.returns


def _seams(tree: ast.Module) -> Iterator[tuple[str, int, str]]:
    """(where, line, annotation) of every public signature and public class field."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _public(node.name):
            for what, ann in _annotations(node):
                yield f"{node.name}({what})", ann.lineno, ast.unparse(ann)
        if isinstance(node, ast.ClassDef) and _public(node.name):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and _public(item.name):
                    for what, ann in _annotations(item):
                        yield f"{node.name}.{item.name}({what})", ann.lineno, ast.unparse(ann)
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) \
                        and _public(item.target.id):
                    yield f"{node.name}.{item.target.id}", item.lineno, ast.unparse(item.annotation)


def test_no_any_at_module_boundaries() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for where, line, ann in _seams(ast.parse(path.read_text(), str(path))):
            if ANY.search(ann) and f"{path.relative_to(ROOT.parent)} {where}" not in ALLOWED:
                found.append(f"{path.relative_to(ROOT.parent)}:{line} {where}: {ann}")
    assert not found, "Any at a module boundary (use a real type, or vocab.JsonDict):\n" + \
        "\n".join(found)


def test_the_rule_finds_what_it_should() -> None:
    """The scan itself: a public Any is found, a private one and JsonDict are not."""
    tree = ast.parse("def f(x: Any) -> JsonDict: ...\n"
                     "def _g(x: Any) -> Any: ...\n"
                     "class C:\n    y: dict[str, Any]\n    def m(self, z: int) -> list[Any]: ...\n")
    hits = [(w, a) for w, _, a in _seams(tree) if ANY.search(a)]
    assert hits == [("f(x)", "Any"), ("C.y", "dict[str, Any]"), ("C.m(return)", "list[Any]")]
