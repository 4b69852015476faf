"""GTP: final_score, final_status_list, kgs-genmove_cleanup and the GoGui status view give one answer."""

from __future__ import annotations

from tests.gtp_session import session


def ok(reply: str) -> str:
    assert reply.startswith("="), reply
    return reply[2:] if len(reply) > 1 else ""


def _lines() -> list[str]:
    """Black walls off the left, white the right; black's H5 is dead in white's area."""
    lines = ["boardsize 9", "komi 0.5"]
    for row in "987654321":
        lines += [f"play b D{row}", f"play w F{row}"]
    return lines + ["play b H5", "play w pass", "play b pass"]


def test_gogui_status_view_agrees_with_final_status_list_and_final_score():
    replies = session(_lines() + ["zerogo-status", "final_status_list dead", "final_score",
                                  "gogui-analyze_commands"])
    gfx, dead, score, commands = (ok(r) for r in replies[-4:])
    assert dead == "H5" and score == "W+0.5"
    lines = dict(line.split(" ", 1) for line in gfx.split("\n"))
    assert lines["MARK"] == "H5" and lines["TEXT"].startswith("W+0.5: 1 dead")
    assert "H5" in lines["WHITE"].split() and "A1" in lines["BLACK"].split()
    assert "E5" not in gfx.split()       # dame: no one's
    assert "gfx/Dead stones and territory/zerogo-status" in commands.split("\n")


def test_clean_up_genmove_attacks_the_dead_stone():
    replies = session(_lines() + ["kgs-genmove_cleanup w"])
    assert ok(replies[-1]) in ("H6", "H4", "J5", "G5")
