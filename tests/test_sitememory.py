"""Site memory: the pure rule (boilerplate.sitememory), then batch mode and the CLI on small sites."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from conftest import REPO
from typer.testing import CliRunner

from boilerplate import Label, LineResult, declutter
from boilerplate.batch import Page, declutter_many, read_inputs, remember_sites, site_key
from boilerplate.cli import app
from boilerplate.sitememory import (
    MIN_PAGES,
    NO_SITE,
    SiteCounts,
    SiteRule,
    line_key,
    relabel,
    site_memory,
    site_of,
)

# --------------------------------------------------------------------------- the rule

C, B = Label.CONTENT, Label.BOILERPLATE


def lr(text: str, label: Label = C, score: float = 0.9) -> LineResult:
    return LineResult(text=text, label=label, score=score, reason="kept: score 0.90")


def test_site_of_is_the_host_without_www_and_port():
    assert site_of("https://www.Example.COM:8080/news/1?x=2") == "example.com"
    assert site_of("http://news.example.co.uk./a") == "news.example.co.uk"
    assert site_of(None) is None and site_of("") is None
    assert site_of("not a url") is None and site_of("mailto:someone") is None
    assert site_of("http://[::1") is None  # malformed: no site, no exception


def test_site_of_unwraps_wayback_captures():
    assert site_of("https://web.archive.org/web/20130602064219/http://www.forbes.com/x/") == "forbes.com"
    assert site_of("https://web-beta.archive.org/web/2013id_/https://bbc.co.uk/news") == "bbc.co.uk"
    assert site_of("https://web.archive.org/web/2013/www.cnn.com/a") == "cnn.com"
    assert site_of("https://web.archive.org/about") == "web.archive.org"


def test_line_key_ignores_case_width_and_spacing():
    assert line_key("  Most\u00a0READ \n") == line_key("most read") == "most read"
    assert line_key("ＡＢＣ") == "abc"  # NFKC: full-width letters
    assert line_key("Page 1") != line_key("Page 2")


def test_site_counts_count_distinct_pages_per_site():
    counts = SiteCounts()
    counts.add("a", ["Most read", "Story one", "Most read"])  # twice on a page: one page
    counts.add("a", ["MOST  read", "Story two"])
    counts.add("b", ["Most read"])
    assert counts.occurrences("a", ["Most read", "Story one", "Nowhere"]) == [2, 1, 0]
    assert counts.occurrences("b", ["most read", "Story one"]) == [1, 0]
    assert counts.occurrences("c", ["Most read"]) == [0]
    assert (counts.pages("a"), counts.pages("b"), counts.pages("c")) == (2, 1, 0)
    counts.add("a", ["Most read"])  # adding after a query counts too
    assert counts.occurrences("a", ["Most read", "Story two"]) == [3, 1]
    assert counts.sites() == {"a": 3, "b": 1}
    assert counts.occurrences("a", []) == []


def test_relabel_drops_content_lines_on_enough_pages_and_says_why():
    lines = (lr("Story paragraph."), lr("Most read", score=0.84), lr("Nav", B, 0.1), lr("Quote."))
    out = relabel(lines, [1, 14, 40, 2], site="example.com", site_pages=40)
    assert [line.label for line in out] == [C, B, B, C]
    assert out[1].reason == "dropped: repeats on 14 of 40 pages of example.com (score 0.84)"
    assert out[1].cues == ("repeated-on-site",)
    assert out[1].score == 0.84 and out[1].text == "Most read"
    assert out[2] is lines[2]  # already boilerplate: its own reason stays
    assert out[0] is lines[0] and out[3] is lines[3]


def test_relabel_threshold_is_min_pages_and_share():
    lines = (lr("Body."), lr("Widget"))
    assert relabel(lines, [1, MIN_PAGES - 1], site="s", site_pages=50) == lines
    assert relabel(lines, [1, MIN_PAGES], site="s", site_pages=50)[1].label is B
    rule = SiteRule(min_pages=3, min_share=0.2)  # 20 % of 50 pages: 10
    assert rule.needed(50) == 10 and rule.needed(10) == 3
    assert relabel(lines, [1, 9], site="s", site_pages=50, rule=rule) == lines
    assert relabel(lines, [1, 10], site="s", site_pages=50, rule=rule)[1].label is B


def test_relabel_never_empties_a_page():
    # The same article fetched at three URLs: every content line repeats.
    lines = (lr("Nav", B, 0.1), lr("Para one."), lr("Para two."))
    assert relabel(lines, [3, 3, 3], site="s", site_pages=3) == lines
    assert relabel((lr("x", B, 0.1),), [5], site="s", site_pages=5) == (lr("x", B, 0.1),)


def test_relabel_names_pages_without_a_site():
    out = relabel((lr("Body."), lr("Ad")), [1, 4], site=NO_SITE, site_pages=4)
    assert out[1].reason == "dropped: repeats on 4 of 4 pages without a known site (score 0.90)"


def test_relabel_checks_its_inputs():
    with pytest.raises(ValueError):
        relabel((lr("a"),), [1, 2], site="s", site_pages=2)
    with pytest.raises(ValueError):
        SiteRule(min_pages=1)
    with pytest.raises(ValueError):
        SiteRule(min_share=1.5)


def test_site_memory_groups_by_site_in_memory():
    shared = lr("Most read: the ten stories everyone clicked today.")
    pages = [("a.example", (lr(f"Story {i}."), shared)) for i in range(3)]
    pages.append(("b.example", (lr("Story b."), shared)))  # another site: not counted with a
    out = site_memory(pages)
    assert [[line.label for line in page] for page in out] == [[C, B]] * 3 + [[C, C]]
    assert out[0][1].reason.startswith("dropped: repeats on 3 of 3 pages of a.example")
    assert site_memory(pages, SiteRule(min_pages=4)) == [lines for _, lines in pages]


# --------------------------------------------------------------------------- batch mode

STORIES = [
    ["The city council voted on Tuesday to expand the bus network to the northern districts, "
     "a plan that had been debated for more than two years.",
     "Supporters said the new routes would cut commuting times for thousands of workers who "
     "now rely on cars, while critics questioned the cost.",
     "The expansion is expected to begin next spring, with the first three lines opening "
     "before the summer holidays, officials said."],
    ["Researchers at the university have found that a common garden plant can absorb heavy "
     "metals from contaminated soil faster than expected.",
     "The team grew the plants in soil taken from an old industrial site and measured the "
     "levels of lead and zinc over six months.",
     "They now hope to test the method on a larger plot, although they warned that the "
     "plants themselves must then be disposed of safely."],
    ["The national football team secured a narrow victory on Saturday evening, scoring the "
     "winning goal in the final minutes of the match.",
     "The coach praised his players for their patience, saying the side had struggled to "
     "break down a well organised defence for most of the game.",
     "The win leaves the team at the top of its qualifying group with two matches left to "
     "play before the tournament in the summer."],
]
#: A "Most read" list every page of the site carries, written like prose so
#: that the model keeps it on a page of its own.
MOST_READ = [
    "Most read",
    "Local bakery wins national award for its sourdough bread after a decade of trying to "
    "perfect the recipe.",
    "Heavy rain expected across the region this weekend as forecasters warn of possible "
    "flooding in low areas.",
    "Former mayor publishes memoir describing the years he spent in office and the "
    "decisions he regrets most.",
]


def site_page(i: int, paragraphs: list[str] = MOST_READ) -> str:
    story = "".join(f"<p>{p}</p>" for p in STORIES[i % len(STORIES)])
    extra = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>Story {i}</title></head><body><article><h1>Story {i}</h1>"
            f"{story}{extra}</article></body></html>")


def site_pages(host: str = "news.example", n: int = 3) -> list[dict]:
    return [{"html": site_page(i), "url": f"https://{host}/story-{i}"} for i in range(n)]


def story_text(i: int) -> str:
    return "\n".join(STORIES[i % len(STORIES)])


def test_premise_the_model_alone_keeps_the_most_read_list():
    text = declutter(site_page(0)).text
    assert all(line in text for line in MOST_READ), "the synthetic site needs a new shared list"


@pytest.mark.parametrize("jobs", [1, 2])
def test_declutter_many_site_memory_drops_the_shared_list(jobs):
    pages = site_pages()
    pages.insert(1, 42)  # a bad page keeps its place and gets its error record
    records = list(declutter_many(pages, jobs=jobs, site_memory=True, lines=True))
    assert [r.source for r in records] == [f"<page {i}>" for i in range(4)]
    assert records[1].error and records[1].status == "failed"
    good = [records[0], records[2], records[3]]
    assert [r.text for r in good] == [story_text(i) for i in range(3)]
    assert all(r.site == "news.example" and r.to_dict()["site"] == "news.example" for r in good)
    reasons = {line.text: line.reason for line in good[0].lines}
    assert reasons["Most read"].startswith("dropped: repeats on 3 of 3 pages of news.example (score ")
    assert all(line.label is Label.BOILERPLATE for line in good[0].lines if line.text in MOST_READ)


def test_declutter_many_site_memory_without_lines_and_off():
    records = list(declutter_many(site_pages(), jobs=1, site_memory=True))
    assert [r.text for r in records] == [story_text(i) for i in range(3)]
    assert all(r.lines is None for r in records)
    plain = list(declutter_many(site_pages(), jobs=1))
    assert all(r.site is None and "site" not in r.to_dict() for r in plain)
    assert all(MOST_READ[1] in r.text for r in plain)


def test_site_memory_keeps_sites_apart_and_respects_the_rule():
    pages = site_pages("a.example", 2) + site_pages("b.example", 2)
    records = list(declutter_many(pages, jobs=1, site_memory=True))
    assert all(MOST_READ[1] in r.text for r in records)  # two pages per site: not enough
    assert [r.site for r in records] == ["a.example"] * 2 + ["b.example"] * 2
    records = list(declutter_many(site_pages(n=3), jobs=1, site_memory=SiteRule(min_pages=4)))
    assert all(MOST_READ[1] in r.text for r in records)


def test_site_memory_keeps_an_article_seen_at_three_urls():
    same = [{"html": site_page(0, []), "url": f"https://news.example/a?v={i}"} for i in range(3)]
    records = list(declutter_many(same, jobs=1, site_memory=True))
    assert [r.text for r in records] == [story_text(0)] * 3


def test_site_memory_without_urls_uses_the_mapping_site_or_one_group():
    pages = [{"html": site_page(i), "site": "mine"} for i in range(3)]
    records = list(declutter_many(pages, jobs=1, site_memory=True))
    assert [r.site for r in records] == ["mine"] * 3
    assert [r.text for r in records] == [story_text(i) for i in range(3)]
    records = list(declutter_many([site_page(i) for i in range(3)], jobs=1, site_memory=True,
                                  lines=True))
    assert [r.site for r in records] == [NO_SITE] * 3
    assert "pages without a known site" in records[0].lines[-1].reason


def test_site_memory_bad_argument_raises_at_once():
    with pytest.raises(ValueError):
        declutter_many([], site_memory="yes")


def test_remember_sites_passes_failures_and_keeps_order():
    records = list(declutter_many(site_pages() + [b""], jobs=1, lines=True))
    records = [replace(r, site="s") for r in records]
    out = list(remember_sites(iter(records)))
    assert [r.source for r in out] == [r.source for r in records]
    assert out[3] == records[3] and out[3].error == "empty input"
    assert [r.text for r in out[:3]] == [story_text(i) for i in range(3)]
    assert all(r.lines is None for r in out)


def test_read_inputs_gives_each_page_a_fallback_site(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.html").write_text(site_page(0))
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(r) for r in [
        {"html": "<p>x</p>"}, {"html": "<p>y</p>", "site": "mine"},
        {"html": "<p>z</p>", "url": "https://www.z.example/1"}]) + "\n")
    pages = list(read_inputs([str(tmp_path / "site"), str(rows)]))
    assert [p.site for p in pages] == [str(tmp_path / "site") + os.sep, str(rows), "mine", str(rows)]
    assert [site_key(p) for p in pages][-1] == "z.example"
    assert site_key(Page("x")) == NO_SITE


# --------------------------------------------------------------------------- the CLI


@pytest.fixture
def site_dir(tmp_path):
    folder = tmp_path / "news"
    folder.mkdir()
    for i in range(3):
        (folder / f"story{i}.html").write_text(site_page(i), encoding="utf-8")
    return folder


def test_cli_site_memory_text_output(site_dir):
    result = CliRunner().invoke(app, [str(site_dir), "--site-memory", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "Most read" not in result.stdout and MOST_READ[1] not in result.stdout
    for i in range(3):
        assert f"==> {site_dir / f'story{i}.html'} <==\n{story_text(i)}\n" in result.stdout
    assert result.stderr.splitlines()[-1] == "declutter: 3 pages: 3 ok, 0 empty, 0 failed"
    plain = CliRunner().invoke(app, [str(site_dir), "--jobs", "1"])
    assert MOST_READ[1] in plain.stdout


def test_cli_site_memory_jsonl_records_with_a_failure(site_dir, tmp_path):
    (site_dir / "broken.html").write_bytes(b"")
    result = CliRunner().invoke(app, [str(site_dir), "--site-memory", "-f", "jsonl", "--lines",
                                      "-j", "2"])
    assert result.exit_code == 1, result.output
    records = [json.loads(row) for row in result.stdout.splitlines()]
    assert [r["source"] for r in records] == [str(p) for p in sorted(site_dir.iterdir())]
    assert set(records[0]) == {"source", "url", "error"}
    site = str(site_dir) + os.sep
    assert all(r["site"] == site for r in records[1:])
    dropped = [line for line in records[1]["lines"] if line["text"] in MOST_READ]
    assert [line["label"] for line in dropped] == ["boilerplate"] * 4
    assert dropped[0]["reason"].startswith(f"dropped: repeats on 3 of 3 pages of {site} (score ")
    assert result.stderr.splitlines()[-1] == "declutter: 4 pages: 3 ok, 0 empty, 1 failed"


def test_cli_site_min_pages(site_dir):
    result = CliRunner().invoke(app, [str(site_dir), "--site-memory", "--site-min-pages", "4",
                                      "-f", "jsonl", "-j", "1"])
    assert result.exit_code == 0
    assert all(MOST_READ[1] in json.loads(row)["text"] for row in result.stdout.splitlines())
    assert CliRunner().invoke(app, [str(site_dir), "--site-memory", "--site-min-pages", "1"]).exit_code == 2


def test_cli_jsonl_input_groups_by_url_host(tmp_path):
    rows = tmp_path / "crawl.jsonl"
    rows.write_text("\n".join(json.dumps(p) for p in site_pages("www.news.example")) + "\n")
    result = CliRunner().invoke(app, [str(rows), "--site-memory", "-f", "jsonl", "-j", "1"])
    records = [json.loads(row) for row in result.stdout.splitlines()]
    assert [r["site"] for r in records] == ["news.example"] * 3
    assert [r["text"] for r in records] == [story_text(i) for i in range(3)]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_display_only_on_a_terminal(site_dir, tmp_path):
    """stderr a terminal: a progress display (then the summary); piped: the summary only."""
    import pty

    cmd = [sys.executable, "-m", "boilerplate.cli", str(site_dir), "--site-memory", "-j", "1",
           "-o", str(tmp_path / "out.txt")]
    piped = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0
    assert piped.stderr == "declutter: 3 pages: 3 ok, 0 empty, 0 failed\n"
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=follower,
                                env={**os.environ, "TERM": "xterm", "COLUMNS": "80"})
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(leader)
    text = seen.decode("utf-8", "replace")
    assert "\x1b[" in text and "pages" in text  # rich drew (and cleared) its display
    assert text.rstrip().endswith("declutter: 3 pages: 3 ok, 0 empty, 0 failed")
