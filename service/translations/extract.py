"""The catalogue's Python extractor: every call of a keyword, however deeply nested.

Babel's own Python extractor reads tokens and loses a message written inside another
one's arguments (``InvalidInput("…", errors=[field_problem(loc, "…")])``); this one walks
the syntax tree, so each call is found wherever it stands. It yields what Babel's
extractors yield, and Babel applies the keyword's argument spec (``field_problem:2``).
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def extract_python_calls(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, list[str | None], list[str]]]:
    """(line, keyword, positional arguments: a literal string or None, comments) for every
    call of a keyword in a Python file."""
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        if name is None or name not in keywords:
            continue
        arguments = [
            argument.value
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            else None
            for argument in node.args
        ]
        if arguments:
            yield node.lineno, name, arguments, []
