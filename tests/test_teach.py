"""declutter train (adapting the model to labelled pages) and declutter show, on small pages written here."""

from __future__ import annotations

import html
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from boilerplate import declutter, load_model
from boilerplate.annotate import LABELS_SUFFIX
from boilerplate.errors import InputError
from boilerplate.model import DEFAULT_MODEL_PATH, TRAIN_EXTRA_HINT, sha256_of
from boilerplate.teach import (
    LABELLED_WEIGHT,
    MODEL_FILE,
    SAMPLE_LINES,
    labelled_files,
    load_sample,
    sample_path,
    train_folder,
    write_sample,
)

TOPICS = ("harbour", "bridge", "library", "railway", "school", "market", "hospital", "park")
#: A member appeal that reads like the story: the shipped model keeps it (score about 0.9).
APPEAL = ("Reporting like this takes months, and independent local journalism depends on readers like you. "
          "Become a member of the Gazette today and support the newsroom that covers your town.")


def gazette_page(number: int) -> str:
    """A page of a made-up local site: a menu, a headline, four paragraphs, the appeal, a footer."""
    rng = random.Random(number)
    topic = TOPICS[number % len(TOPICS)]
    paragraphs = [
        f"The {topic} project in the town centre entered its {rng.choice(['first', 'second', 'final'])} phase "
        f"this week, council officials said on {rng.choice(['Monday', 'Tuesday', 'Friday'])}, after "
        f"{rng.randint(3, 30)} months of consultation with residents and local businesses about its cost and "
        "its design." for _ in range(4)]
    paragraphs[1] = (f"Residents who spoke at the meeting were divided: some welcomed the new {topic}, others "
                     "worried about noise, traffic and the years of building work ahead of them.")
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return ("<!DOCTYPE html><html><head><title>Gazette</title></head><body><nav><ul><li><a href='/'>Home</a>"
            "</li><li><a href='/news'>News</a></li><li><a href='/sport'>Sport</a></li></ul></nav>"
            f"<article><h1>The {topic} project moves ahead</h1>{body}<div class='member-note'><p>{APPEAL}</p>"
            "</div></article><footer><p>Copyright The Gazette</p></footer></body></html>")


def label_site(folder: Path, numbers: range) -> None:
    """Gazette pages with their labels: the model's own, but the appeal is boilerplate (a user's correction)."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in numbers:
        page = gazette_page(number)
        (folder / f"story{number}.html").write_text(page, encoding="utf-8")
        records = [{"text": line.text, "label": "boilerplate" if line.text == APPEAL else line.label.value,
                    "score": line.score, "reason": line.reason} for line in declutter(page).lines]
        (folder / f"story{number}{LABELS_SUFFIX}").write_text(
            "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def appeal_label(page: str, model: Path | None) -> str:
    """What a model decides for the appeal on a page."""
    return next(line.label.value for line in declutter(page, model=model).lines if line.text == APPEAL)


@pytest.fixture(scope="module")
def adapted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(labelled folder, model folder): six Gazette pages labelled, the shipped model adapted to them."""
    root = tmp_path_factory.mktemp("gazette")
    label_site(root / "site", range(6))
    train_folder(root / "site", root / "model")
    return root / "site", root / "model"


def test_base_model_keeps_the_appeal() -> None:
    """The premise: without teaching, the appeal is kept as article text."""
    assert appeal_label(gazette_page(9), None) == "content"


def test_adapted_model_drops_what_it_was_taught_on_new_pages(adapted: tuple[Path, Path]) -> None:
    _, model = adapted
    for number in (9, 12, 15):  # pages it never saw
        page = gazette_page(number)
        assert appeal_label(page, model) == "boilerplate"
        base, taught = declutter(page), declutter(page, model=model)
        assert taught.text == base.text.replace(APPEAL, "").strip()  # the story itself is whole


def test_model_folder_records_what_it_was_adapted_from_and_on(adapted: tuple[Path, Path]) -> None:
    site, model = adapted
    stem = Path(MODEL_FILE).stem
    assert sorted(p.name for p in model.iterdir()) == sorted(
        [MODEL_FILE, f"{stem}.json", f"{stem}.npz", f"{stem}.sample.npz"])
    meta = json.loads((model / MODEL_FILE).with_suffix(".json").read_text(encoding="utf-8"))
    shipped = load_model()
    assert meta["adapted_from"]["model_version"] == shipped.version
    assert meta["adapted_from"]["sha256"] == sha256_of(DEFAULT_MODEL_PATH)
    assert meta["adapted_from"]["model"] == "shipped"
    on = {page["name"]: page for page in meta["adapted_on"]}
    assert sorted(on) == [f"story{n}.html" for n in range(6)]
    for name, page in on.items():
        assert page["sha256"] == sha256_of(site / name)
        assert page["labelled"] == page["lines"] == len(declutter(gazette_page(int(name[5:-5]))).lines)
    assert meta["threshold"] == shipped.threshold
    assert meta["adaptation"]["method"].startswith("stage one refitted on the base's sample")
    loaded = load_model(model)
    assert loaded.version != shipped.version and loaded.metadata["adapted_on"] == meta["adapted_on"]


def test_cli_uses_the_model_folder(adapted: tuple[Path, Path], tmp_path: Path) -> None:
    """`declutter --model MODEL_DIR page.html` runs the adapted model."""
    _, model = adapted
    page = tmp_path / "new.html"
    page.write_text(gazette_page(9), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "boilerplate.cli", "--model", str(model), str(page)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "The harbour project" not in done.stdout and APPEAL not in done.stdout and "Residents who" in done.stdout


def test_the_sample_carries_the_labelled_lines(adapted: tuple[Path, Path]) -> None:
    """The model folder's sample is the shipped one plus every labelled line (both views), weighted higher."""
    _, model = adapted
    shipped = load_sample(DEFAULT_MODEL_PATH)
    carried = load_sample(model / MODEL_FILE)
    assert shipped is not None and carried is not None
    assert len(shipped.y) == SAMPLE_LINES and set(shipped.weight.tolist()) <= {1.0, LABELLED_WEIGHT}
    labelled = sum(page["labelled"] for page in load_model(model).metadata["adapted_on"])
    assert len(carried.y) == len(shipped.y) + 2 * labelled  # each HTML page is also learnt as text
    assert (carried.X[:len(shipped.y)] == shipped.X).all()
    assert (carried.weight[len(shipped.y):] == LABELLED_WEIGHT).all()


def test_adapting_an_adapted_model_keeps_its_pages(adapted: tuple[Path, Path], tmp_path: Path) -> None:
    _, model = adapted
    label_site(tmp_path / "more", range(20, 22))
    train_folder(tmp_path / "more", tmp_path / "again", base=model)
    meta = load_model(tmp_path / "again").metadata
    assert meta["adapted_from"]["model"] == str(model)
    assert meta["adapted_from"]["model_version"] == load_model(model).version
    assert [p["name"] for p in meta["adapted_from"]["adapted_on"]] == [f"story{n}.html" for n in range(6)]
    first, again = load_sample(model / MODEL_FILE), load_sample(tmp_path / "again" / MODEL_FILE)
    assert first is not None and again is not None and len(again.y) > len(first.y)
    assert appeal_label(gazette_page(9), tmp_path / "again") == "boilerplate"


def test_a_model_without_a_sample_is_adapted_by_continued_boosting(adapted: tuple[Path, Path],
                                                                    tmp_path: Path) -> None:
    """An older model file (no sample beside it) still adapts, and the command says how."""
    site, _ = adapted
    old = tmp_path / "old"
    old.mkdir()
    for suffix in (".joblib", ".json", ".npz"):
        shutil.copy(DEFAULT_MODEL_PATH.with_suffix(suffix), old / DEFAULT_MODEL_PATH.with_suffix(suffix).name)
    said: list[str] = []
    train_folder(site, tmp_path / "model", base=old, log=said.append)
    assert any("no base sample" in line for line in said)
    meta = load_model(tmp_path / "model").metadata
    assert meta["adaptation"]["method"].startswith("boosting continued")
    assert not sample_path(tmp_path / "model" / MODEL_FILE).exists()
    assert appeal_label(gazette_page(9), tmp_path / "model") == "boilerplate"


def test_a_sample_for_other_features_is_not_used(tmp_path: Path) -> None:
    path = sample_path(tmp_path / "m.joblib")
    write_sample(path, np.zeros((5, 3)), np.zeros(5))
    assert load_sample(tmp_path / "m.joblib") is None  # 3 columns: not this code's features


def test_a_folder_without_labels_is_an_error_never_a_silent_success(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(gazette_page(1), encoding="utf-8")
    with pytest.raises(InputError, match="no labelled page"):
        labelled_files(tmp_path)
    done = subprocess.run([sys.executable, "-m", "boilerplate.cli", "train", str(tmp_path), "-o",
                           str(tmp_path / "model")], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "no labelled page" in done.stderr
    assert not (tmp_path / "model").exists()


def test_labels_without_their_page_or_for_another_page_are_errors(tmp_path: Path) -> None:
    label_site(tmp_path, range(2))
    (tmp_path / "story1.html").unlink()
    with pytest.raises(InputError, match="story1.labels.jsonl has no page"):
        labelled_files(tmp_path)
    (tmp_path / "story1.html").write_text("<html><body><p>" + "Another page altogether, about the weather "
                                          "and the sea. " * 5 + "</p><p>A second paragraph here.</p></body></html>",
                                          encoding="utf-8")
    with pytest.raises(InputError, match="most lines have no label"):
        train_folder(tmp_path, tmp_path / "model")


def test_labels_of_one_kind_only_are_an_error(tmp_path: Path) -> None:
    label_site(tmp_path, range(1))
    path = tmp_path / f"story0{LABELS_SUFFIX}"
    records = [dict(json.loads(raw), label="content") for raw in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(InputError, match="both kinds"):
        train_folder(tmp_path, tmp_path / "model")


def test_train_without_scikit_learn_says_what_to_install(tmp_path: Path) -> None:
    """scikit-learn is the train extra's: without it, one line naming the extra."""
    label_site(tmp_path, range(1))
    code = ("import sys\nsys.modules['sklearn'] = None  # as if not installed\n"
            "from boilerplate.cli import main\n"
            f"sys.argv = ['declutter', 'train', {str(tmp_path)!r}, '-o', {str(tmp_path / 'model')!r}]\nmain()\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert TRAIN_EXTRA_HINT in done.stderr


def test_train_refuses_an_output_that_is_a_file(tmp_path: Path) -> None:
    label_site(tmp_path / "site", range(1))
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="is a file"):
        train_folder(tmp_path / "site", tmp_path / "taken")


def test_show_writes_a_static_annotated_page(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(gazette_page(3), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "boilerplate.cli", "show", str(page), "-o",
                           str(tmp_path / "view.html")], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    view = (tmp_path / "view.html").read_text(encoding="utf-8")
    lines = declutter(gazette_page(3)).lines
    assert view.count('class="line keep') == sum(line.label.value == "content" for line in lines)
    assert view.count('class="line drop') == sum(line.label.value == "boilerplate" for line in lines)
    assert "<script" not in view and 'data-mode="show"' in view
    dropped = next(line for line in lines if line.text == "Home")
    assert f'<span class="score">{dropped.score:.2f}</span>' in view and html.escape(dropped.reason) in view


def test_show_to_stdout_and_bad_input(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(gazette_page(4), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "boilerplate.cli", "show", str(page)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.startswith("<!DOCTYPE html>")
    missing = subprocess.run([sys.executable, "-m", "boilerplate.cli", "show", str(tmp_path / "nope.html")],
                             cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "nope.html" in missing.stderr
