"""A bounded, seeded fuzz over every command in list_commands: no crash, well-formed replies, sane boards."""

from __future__ import annotations

import random

import pytest

from engine.evaluation import UniformEvaluator
from engine.mcts_player import MctsPlayer
from engine.search import SearchConfig
from tests.gtp_session import make_engine, session

WORDS = [
    "b", "w", "black", "white", "B", "W", "x", "pass", "PASS", "resign", "A1", "a1", "D4", "d4",
    "T19", "Z25", "J9", "I5", "A0", "A26", "AA1", "D²", "D٤", "D４", "D-4", "D+4", "D4.5", "",
    "0", "1", "2", "3", "5", "7", "9", "13", "19", "25", "26", "-1", "+9", "+-5", "-+5", "٩",
    "1e1", "1e999", "nan", "NaN", "inf", "-inf", "0.5", "6.5", "-7.5", "1_0", "99999999999999",
    "9" * 40, "0x10", "chinese", "japanese", "tromp-taylor", "aga", "nz", "korean", "new_zealand",
    "{", "}", '{"komi":NaN}', '{"komi":1e999}', '{"komi":6.5,"ko":"SIMPLE"}', '{"scoring":1}',
    "[]", "null", "interval", "10", "100", "ownership", "true", "false", "pv", "allow", "avoid",
    "maxmoves", "minmoves", "all", "alive", "dead", "seki", "canadian", "byoyomi", "absolute",
    "none", "game.sgf", "sub/game.sgf", "../x.sgf", "/etc/passwd", "/dev/zero", "nope.sgf",
    "é", "中", "\u200b", "\x7f", "x" * 300,
]


def _line(rng: random.Random, commands: list[str]) -> str:
    name = rng.choice(commands) if rng.random() < 0.95 else rng.choice(WORDS) or "x"
    args = [rng.choice(WORDS) for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4, 6]))]
    words = [name] + args
    if rng.random() < 0.3:
        words.insert(0, str(rng.choice([0, 1, 7, 42, 10**6])))
    return " ".join(w for w in words if w) .replace("#", "")


def _check_game(engine) -> None:
    board = engine.game.board
    assert board.recount_hash() == board.hash
    assert set(board.stones) <= {-1, 0, 1}
    assert len(board.stones) == engine.game.width * engine.game.height


def _fuzz(engine, seed: int, lines: int, chunk: int = 40) -> int:
    rng = random.Random(seed)
    commands = [c for c in session(["list_commands"], engine)[0][1:].split() if c != "quit"]
    assert len(commands) > 40
    replies_seen = 0
    for _ in range(lines // chunk):
        batch = [_line(rng, commands) for _ in range(chunk)]
        replies = session(batch, engine)
        assert len(replies) == len(batch), (batch, replies)
        for line, reply in zip(batch, replies):
            first = line.split()[0]
            prefix = first if first.isdigit() and first.isascii() and len(line.split()) > 1 else ""
            assert reply.startswith(("=" + prefix, "?" + prefix)), (line, reply)
            assert "internal error" not in reply, (line, reply)
        _check_game(engine)
        replies_seen += len(replies)
    return replies_seen


@pytest.fixture
def sgf_dir(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "game.sgf").write_bytes(b"(;GM[1]FF[4]SZ[9];B[cc];W[gg])")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fuzz_every_command_with_the_simple_player(sgf_dir):
    # time_per_move bounds the GoGui analysis commands (1 s each by default).
    assert _fuzz(make_engine(time_per_move=0.02), seed=14, lines=1600) == 1600
    assert not (sgf_dir.parent / "x.sgf").exists()


def test_fuzz_every_command_with_the_searcher(sgf_dir):
    player = MctsPlayer(UniformEvaluator(), SearchConfig(visits=8, batch_size=4,
                                                         max_tree_mb=16))
    engine = make_engine(player, time_per_move=0.02)
    assert _fuzz(engine, seed=1414, lines=800) == 800
