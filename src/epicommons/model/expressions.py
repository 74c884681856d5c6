"""Rate expressions: numbers or small arithmetic over parameter names, e.g. "(1 - p_a) * sigma".

Rates in scenario files are strings so that one parameter (a latent period, a fraction) can feed
several transitions; they are parsed with `ast` and evaluated with no access to Python builtins.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping

from epicommons.errors import InputError

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def names(expr: str | float) -> set[str]:
    """Parameter names an expression refers to."""
    if not isinstance(expr, str):
        return set()
    return {n.id for n in ast.walk(_parse(expr)) if isinstance(n, ast.Name)}


def evaluate(
    expr: str | float, parameters: Mapping[str, float], *, field: str | None = None
) -> float:
    """Value of a rate expression given parameter values."""
    if not isinstance(expr, str):
        return float(expr)
    tree = _parse(expr, field=field)

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in parameters:
                known = ", ".join(sorted(parameters)) or "none"
                raise InputError(
                    f"unknown parameter {node.id!r} in {expr!r} (known: {known})", field=field
                )
            return float(parameters[node.id])
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        raise InputError(
            f"unsupported expression {expr!r}: use numbers, names, + - * / **", field=field
        )

    try:
        return ev(tree)
    except ZeroDivisionError:
        raise InputError(f"division by zero in {expr!r}", field=field) from None


def _parse(expr: str, *, field: str | None = None) -> ast.Expression:
    try:
        return ast.parse(expr, mode="eval")
    except SyntaxError:
        raise InputError(f"cannot parse rate expression {expr!r}", field=field) from None
