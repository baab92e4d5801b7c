"""The passes package stands alone: nothing from the rest of supplywatch is imported."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import passes

PROJECT_PACKAGES = {"service", "models", "migrations", "monitors", "dispatch", "reports", "core"}
OUTSIDE_LIBRARIES = {"cbor2", "cwt", "cryptography", "base45", "segno"}


def test_passes_imports_only_itself_the_standard_library_and_its_libraries() -> None:
    allowed = set(sys.stdlib_module_names) | OUTSIDE_LIBRARIES | {"passes", "__future__"}
    for path in Path(passes.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in PROJECT_PACKAGES, f"{path.name} imports {name}"
                assert top in allowed, f"{path.name} imports {name}"
