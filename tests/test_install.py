"""What an install without the train extra can do: run declutter, and say how to get training."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from boilerplate.errors import ModelError
from boilerplate.model import (
    DEFAULT_MODEL_PATH,
    TRAIN_EXTRA_HINT,
    load_model,
    require_train_extra,
)

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "fixtures" / "pages" / "wire_service.html"
#: Run before the code under test: scikit-learn and joblib cannot be imported, as in an
#: install without the train extra.
WITHOUT = "import sys; sys.modules['sklearn'] = None; sys.modules['joblib'] = None\n"


def run_without_train_extra(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter where scikit-learn and joblib are not importable."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", WITHOUT + code], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120, check=False)


def test_declutter_runs_without_the_train_extra(tmp_path):
    proc = run_without_train_extra(
        "import runpy\n"
        f"sys.argv = ['declutter', {str(PAGE)!r}]\n"
        "runpy.run_module('boilerplate.cli', run_name='__main__')\n", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Reuters" in proc.stdout


def test_training_says_in_one_line_how_to_install_the_train_extra(tmp_path):
    proc = run_without_train_extra(
        "import runpy\n"
        "sys.argv = ['train', 'no-such-data']\n"
        "runpy.run_module('training.train', run_name='__main__')\n", tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "scikit-learn" in proc.stderr and TRAIN_EXTRA_HINT in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_model_without_trees_names_the_train_extra(tmp_path):
    """A model file without its .npz loads from the joblib: that needs the extra, and says so."""
    for suffix in (".joblib", ".json"):
        (tmp_path / ("m" + suffix)).write_bytes(DEFAULT_MODEL_PATH.with_suffix(suffix).read_bytes())
    proc = run_without_train_extra(
        "from boilerplate.model import load_model\n"
        f"load_model({str(tmp_path / 'm.joblib')!r})\n", tmp_path)
    assert proc.returncode != 0
    assert "ModelError" in proc.stderr and TRAIN_EXTRA_HINT in proc.stderr
    assert "has no .npz trees" in proc.stderr


def test_require_train_extra_passes_where_it_is_installed():
    require_train_extra("this test")  # the test extra brings the train extra
    assert load_model().threshold > 0


def test_require_train_extra_raises_a_model_error_naming_the_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ModelError, match=r"training needs scikit-learn and joblib \(sklearn is not"):
        require_train_extra("training")


def test_the_extras_are_declared():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = " ".join(project["dependencies"])
    assert "scikit-learn" not in runtime and "joblib" not in runtime
    extras = project["optional-dependencies"]
    assert any(d.startswith("scikit-learn") for d in extras["train"])
    assert f"{project['name']}[train]" in extras["test"]
    assert f"'{project['name']}[train]'" in TRAIN_EXTRA_HINT
