"""``zerogo ladder-nets``: Elo of shipped nets from the match folders a manifest lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gtp.cli import main
from nets.net_ladder import ManifestError, load, write

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"


def _manifest(tmp_path: Path, matches: list[dict], fixed: str = "gnugo-10") -> Path:
    spec = {"title": "t", "fixed": fixed,
            "players": {"student": {"compute_core_hours": 2.8}, "old": {"compute_core_hours": 1.4},
                        "gnugo-10": {"label": "GNU Go level 10"}},
            "matches": matches}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(spec))
    return path


def test_the_shipped_9x9_ladder_reads_its_match_folders(tmp_path):
    out = tmp_path / "ladder9"
    text = write(WEIGHTS / "ladder" / "9x9-manifest.json", out)
    fit = json.loads(out.with_suffix(".json").read_text())
    elo = {p: v["elo"] for p, v in fit["elo"].items()}
    # 93-7 against level 10 over 100 games: the joint fit keeps it near +449
    assert 350 < elo["b6c64-distil"] < 500
    assert elo["katago-b15"] > elo["b6c64-distil"] > elo["gen10"]
    rows = {(r["a"], r["b"], r["source"]): r for r in fit["matches"]}
    gnugo = rows[("b6c64-distil", "gnugo-10", "../distil9/match-b6c64-gnugo10")]
    assert (gnugo["wins"], gnugo["losses"], gnugo["games"]) == (93, 7, 100)
    teacher = rows[("b6c64-distil", "katago-b15", "../distil9/match-b6c64-teacher-1s")]
    assert teacher["elo"] == "-inf" and round(teacher["elo_95"][1]) == -287
    assert "+449 (+319..+580)" in text
    assert out.with_suffix(".png").stat().st_size > 10_000


def test_a_match_not_fitted_is_listed_but_leaves_the_fit_alone(tmp_path):
    base = [{"a": "student", "b": "gnugo-10", "wins": 15, "losses": 5, "source": "s1"},
            {"a": "old", "b": "gnugo-10", "wins": 10, "losses": 10, "source": "s2"}]
    extra = {"a": "student", "b": "old", "wins": 0, "losses": 20, "source": "s3", "fit": False}
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    write(_manifest(a, base), a / "out")
    text = write(_manifest(b, base + [extra]), b / "out")
    fa = json.loads((a / "out.json").read_text())["elo"]
    fb = json.loads((b / "out.json").read_text())["elo"]
    assert fa == fb
    assert "(*not fitted*)" in text
    fitted = write(_manifest(tmp_path, base + [dict(extra, fit=True)]), tmp_path / "out")
    assert json.loads((tmp_path / "out.json").read_text())["elo"]["old"]["elo"] > fb["old"]["elo"]
    assert "not fitted" not in fitted.split("| A |")[1]


def test_a_match_still_being_played_counts_the_games_its_journal_holds(tmp_path):
    """No results.json yet: the ladder takes the finished games from the match's games.jsonl."""
    from gtp.match.referee import MatchConfig
    from gtp.match.runner import run_match
    from tests.test_match import fake
    folder = tmp_path / "match-in-progress"
    folder.mkdir()
    config = MatchConfig(fake("resign-after:1"), fake("resign-after:1"), games=3, size=5, komi=0.5,
                         alternate=True)        # two passes each game: white wins by komi
    results, summary = run_match(config, progress=False, journal=str(folder / "games.jsonl"))
    with open(folder / "games.jsonl", "a", encoding="utf-8") as f:
        f.write('{"index": 3, "black_e')        # the game being played when a kill cut the line
    (_, rows) = load(_manifest(tmp_path, [{"a": "student", "b": "gnugo-10", "dir": "match-in-progress"}]))
    (row,) = rows
    assert (row["wins"], row["losses"], row["draws"]) == (summary.tally.wins, summary.tally.losses, 0) == (1, 2, 0)
    assert row["source"] == "match-in-progress (journal: 3 games so far, no results.json)"


@pytest.mark.parametrize("matches, message", [
    ([{"a": "student", "b": "nobody", "wins": 1, "losses": 0, "source": "x"}], "'nobody' is not listed"),
    ([{"a": "student", "b": "gnugo-10", "dir": "no-such-match"}], "no-such-match/results.json: no such file"),
    ([{"a": "student", "b": "gnugo-10", "wins": 3}], "give 'dir', or 'wins', 'losses' and 'source'"),
])
def test_bad_manifests_get_a_clear_error(tmp_path, matches, message):
    with pytest.raises(ManifestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(_manifest(tmp_path, matches))


def test_the_command_reports_a_bad_manifest_without_a_traceback(tmp_path):
    bad = _manifest(tmp_path, [{"a": "student", "b": "gnugo-10", "dir": "missing"}], fixed="gnugo-1")
    result = CliRunner().invoke(main, ["ladder-nets", str(bad), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "the fixed player 'gnugo-1' is not among the players" in result.output
    assert not (tmp_path / "out.md").exists()
