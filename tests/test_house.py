"""The house rules that keep boilerplate/ easy to live in, checked on the source itself."""

from __future__ import annotations

import ast

import pytest
from conftest import REPO

PACKAGE = REPO / "boilerplate"
#: No function in boilerplate/ is longer than this (issue 11).
MAX_FUNCTION_LINES = 50


def python_files():
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_functions_are_short(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, long


def test_compiled_functions_are_short():
    """The same rule for the Cython sources: a def/cdef block ends at the next line as indented or less."""
    for path in sorted(PACKAGE.glob("*.pyx")):
        lines = path.read_text(encoding="utf-8").split("\n")
        starts = [(i, len(line) - len(line.lstrip())) for i, line in enumerate(lines)
                  if line.lstrip().startswith(("def ", "cdef ", "cpdef ")) and line.rstrip().endswith(":")
                  and "(" in line]
        for i, indent in starts:
            end = i + 1
            while end < len(lines) and (not lines[end].strip()
                                        or len(lines[end]) - len(lines[end].lstrip()) > indent):
                end += 1
            body = [line for line in lines[i:end] if line.strip()]
            assert len(body) <= MAX_FUNCTION_LINES, f"{path.name}:{i + 1} {len(body)} lines"


def test_the_package_never_imports_training():
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(name == "training" or name.startswith("training.") for name in names), path
