"""``zerogo analysis``: KataGo's JSON analysis protocol, driven as KaTrain drives it.

The queries below are built exactly as KaTrain 1.14's ``KataGoEngine.request_analysis``
builds them (same keys, same overrideSettings); one test runs KaTrain's own
engine class (headless) against ``zerogo analysis``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

import pytest

from gtp.server.analysis_answer import position_hashes
from gtp.server.analysis_engine import AnalysisEngine, AnalysisSettings
from tests.gtp_session import REPO

NET = os.path.join(REPO, "weights", "zerogo-9x9.onnx")
MOVE_KEYS = {"move", "visits", "edgeVisits", "weight", "utility", "winrate", "scoreMean", "scoreSelfplay",
             "scoreLead", "scoreStdev", "prior", "lcb", "utilityLcb", "order", "pv"}
ROOT_KEYS = {"visits", "utility", "winrate", "scoreMean", "scoreStdev", "scoreLead", "scoreSelfplay", "weight",
             "rawWinrate", "rawLead", "rawScoreSelfplay", "thisHash", "symHash", "currentPlayer"}


def katrain_query(qid, moves, visits=24, stones=(), ownership=True, priority=0, extra=None, size=9):
    """The dict KaTrain's request_analysis sends (KaTrain 1.14, no next_move, ponder off)."""
    settings = {"reportAnalysisWinratesAs": "BLACK", "wideRootNoise": 0.0, "maxTime": 8.0, **(extra or {})}
    return {"id": qid, "rules": "japanese", "priority": priority, "analyzeTurns": [len(moves)],
            "maxVisits": visits, "komi": 6.5, "boardXSize": size, "boardYSize": size,
            "includeOwnership": ownership, "includeMovesOwnership": ownership, "includePolicy": True,
            "initialStones": [list(s) for s in stones], "initialPlayer": "B",
            "moves": [list(m) for m in moves], "overrideSettings": settings}


class Session:
    """An in-process analysis engine fed line by line; answers collected as dicts."""

    def __init__(self, **settings):
        self.out = io.StringIO()
        self.engine = AnalysisEngine(AnalysisSettings(network=NET, seed=1, **settings), self.out)
        self.engine.start()

    def send(self, query) -> None:
        self.engine.handle_line(query if isinstance(query, str) else json.dumps(query))

    def answers(self) -> list[dict]:
        return [json.loads(line) for line in self.out.getvalue().splitlines()]

    def wait_for(self, predicate, timeout=60.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.answers()
            if predicate(got):
                return got
            time.sleep(0.02)
        raise AssertionError(f"timed out; answers so far: {self.answers()}")

    def close(self) -> list[dict]:
        self.engine.finish()
        return self.answers()


def finals(answers, qid):
    return [a for a in answers if a.get("id") == qid and a.get("isDuringSearch") is False]


def test_katrain_query_gets_katago_shaped_answer():
    s = Session(analysis_threads=1)
    moves = [("B", "E5"), ("W", "C3"), ("B", "G7")]
    s.send(katrain_query("QUERY:1", moves))
    got = s.close()
    # KaTrain's wideRootNoise 0.0 is understood; nothing to warn about
    assert not [a for a in got if "warning" in a or "error" in a], got
    (a,) = finals(got, "QUERY:1")
    assert a["turnNumber"] == 3 and set(a["rootInfo"]) == ROOT_KEYS
    assert a["rootInfo"]["visits"] >= 24 and a["rootInfo"]["currentPlayer"] == "W"
    infos = a["moveInfos"]
    assert infos and [m["order"] for m in infos] == list(range(len(infos)))
    for m in infos:
        assert MOVE_KEYS <= set(m) and m["pv"][0] == m["move"]
        assert len(m["ownership"]) == 81 and all(-1 <= x <= 1 for x in m["ownership"])
        assert m["scoreMean"] == m["scoreLead"] and m["edgeVisits"] == m["visits"]
    assert sum(m["visits"] for m in infos) == a["rootInfo"]["visits"] - 1
    assert len(a["ownership"]) == 81 and len(a["policy"]) == 82
    for vertex in ("E5", "C3", "G7"):   # occupied points are illegal: -1, as KataGo writes
        col, row = "ABCDEFGHJ".index(vertex[0]), 9 - int(vertex[1:])
        assert a["policy"][row * 9 + col] == -1
    assert abs(sum(p for p in a["policy"] if p >= 0) - 1.0) < 1e-3


def test_perspective_black_white_and_side_to_move():
    s = Session(analysis_threads=1)
    moves = [("B", "E5"), ("W", "C3")]   # black to move: BLACK == SIDETOMOVE, WHITE flips
    for qid, persp in (("b", "BLACK"), ("w", "WHITE"), ("s", "SIDETOMOVE")):
        s.send(katrain_query(qid, moves, extra={"reportAnalysisWinratesAs": persp}))
    got = s.close()
    b, w, m = (finals(got, q)[0] for q in "bws")
    assert b["rootInfo"]["winrate"] == m["rootInfo"]["winrate"]
    assert abs(b["rootInfo"]["winrate"] + w["rootInfo"]["winrate"] - 1) < 1e-6
    assert abs(b["rootInfo"]["scoreLead"] + w["rootInfo"]["scoreLead"]) < 1e-6
    assert b["ownership"] == m["ownership"] and all(abs(x + y) < 1e-6 for x, y in zip(b["ownership"], w["ownership"]))
    assert b["moveInfos"][0]["move"] == w["moveInfos"][0]["move"]
    move = b["moveInfos"][0]["move"]          # black's best move: its new stone is black's after it
    at = (9 - int(move[1:])) * 9 + "ABCDEFGHJ".index(move[0])
    assert b["moveInfos"][0]["ownership"][at] > 0.5 and w["moveInfos"][0]["ownership"][at] < -0.5


def test_score_utility_factors_in_override_settings():
    s = Session(analysis_threads=1)
    moves = [("B", "E5"), ("W", "C3")]   # black to move, values reported for black
    s.send(katrain_query("plain", moves))
    s.send(katrain_query("points", moves, extra={"staticScoreUtilityFactor": 0.1, "dynamicScoreUtilityFactor": 0.3}))
    s.send(katrain_query("bad", moves, extra={"dynamicScoreUtilityFactor": -1}))
    got = s.close()
    assert not [a for a in got if "warning" in a], got
    assert [a for a in got if a.get("id") == "bad" and "out of range" in a.get("error", "")]
    plain, points = finals(got, "plain")[0]["moveInfos"], finals(got, "points")[0]["moveInfos"]
    assert all(abs(m["utility"] - (2 * m["winrate"] - 1)) < 1e-6 for m in plain)
    # with the factors the utility carries the score bonus: a different number for every move
    assert all(abs(m["utility"] - (2 * m["winrate"] - 1)) > 1e-4 for m in points)
    # and the next query without them is back to plain values (settings are per query)
    s = Session(analysis_threads=1)
    s.send(katrain_query("points", moves, extra={"staticScoreUtilityFactor": 0.1}))
    s.send(katrain_query("after", moves))
    got = s.close()
    assert all(abs(m["utility"] - (2 * m["winrate"] - 1)) < 1e-6 for m in finals(got, "after")[0]["moveInfos"])


def test_errors_and_warnings_as_katago_reports_them():
    s = Session(analysis_threads=1)
    s.send("not json")
    s.send("[1,2]")
    s.send({"moves": []})
    s.send({"id": "size", "moves": [], "rules": "chinese", "boardXSize": 30, "boardYSize": 9})
    s.send({"id": "rules", "moves": [], "rules": "martian", "boardXSize": 9, "boardYSize": 9})
    s.send({"id": "ill", "moves": [["B", "E5"], ["W", "E5"]], "rules": "chinese", "boardXSize": 9, "boardYSize": 9})
    s.send({"id": "turn", "moves": [], "rules": "chinese", "boardXSize": 9, "boardYSize": 9, "analyzeTurns": [3]})
    s.send({"id": "komi", "moves": [], "rules": "chinese", "komi": 7.3, "boardXSize": 9, "boardYSize": 9})
    s.send({"id": "act", "action": "dance"})
    s.send({"id": "warn", "moves": [], "rules": "chinese", "boardXSize": 9, "boardYSize": 9, "maxVisits": 4,
            "colour": "blue", "overrideSettings": {"cpuctExploration": 2}})
    got = s.close()
    general = [a["error"] for a in got if "error" in a and "id" not in a]
    assert "could not parse input line as json request: not json" in general[0]
    assert general[1].startswith("Request line was valid json but was not an object")
    assert general[2] == 'Request must have a string "id" field'
    assert general[3].startswith("'action' field must be")
    by_id = {a["id"]: a for a in got if "id" in a and ("error" in a or "warning" in a)}
    assert by_id["size"] == {"id": "size", "field": "boardXSize", "error": "Must provide an integer from 2 to 25"}
    assert by_id["rules"]["field"] == "rules" and by_id["rules"]["error"].startswith("Could not parse rules: martian")
    assert by_id["ill"] == {"id": "ill", "field": "moves", "error": "Illegal move 1: E5"}
    assert by_id["turn"] == {"id": "turn", "field": "analyzeTurns", "error": "Invalid turn number: 3"}
    assert by_id["komi"]["field"] == "rules"
    warnings = {(a["field"], a["warning"]) for a in got if a.get("id") == "warn" and "warning" in a}
    assert warnings == {("colour", "Unexpected or unused field"),
                        ("overrideSettings", "Unknown config params: cpuctExploration")}
    assert finals(got, "warn")   # a warning does not stop the query
    assert not finals(got, "ill") and not finals(got, "size")


def test_analyze_turns_initial_stones_and_handicap_player():
    s = Session(analysis_threads=2)
    s.send({"id": "g", "initialStones": [["B", "C3"], ["B", "G7"]], "moves": [["W", "E5"], ["B", "C7"]],
            "rules": "tromp-taylor", "komi": 0.5, "boardXSize": 9, "boardYSize": 9, "analyzeTurns": [0, 1, 2],
            "maxVisits": 12, "includePVVisits": True})
    s.send({"id": "h", "initialStones": [["B", "C3"], ["B", "G7"]], "moves": [], "rules": "chinese",
            "boardXSize": 9, "boardYSize": 9, "maxVisits": 6})
    got = s.close()
    turns = sorted((a["turnNumber"], a["rootInfo"]["currentPlayer"]) for a in finals(got, "g"))
    assert turns == [(0, "W"), (1, "B"), (2, "W")]
    assert finals(got, "h")[0]["rootInfo"]["currentPlayer"] == "W"   # handicap stones: white moves first
    for a in finals(got, "g"):
        for m in a["moveInfos"]:
            assert len(m["pvVisits"]) == len(m["pv"]) == len(m["pvEdgeVisits"])
            assert m["pvVisits"][0] == m["visits"] and m["pvVisits"] == sorted(m["pvVisits"], reverse=True)


def test_terminate_running_and_queued_queries_priority_and_reports():
    s = Session(analysis_threads=1)
    s.send(katrain_query("long", [("B", "E5")], visits=1_000_000, ownership=False,
                         extra={"maxTime": 1000.0}) | {"reportDuringSearchEvery": 0.2})
    s.wait_for(lambda got: any(a.get("id") == "long" and a.get("isDuringSearch") for a in got))
    s.send(katrain_query("low", [], visits=8, ownership=False, priority=0))
    s.send(katrain_query("high", [], visits=8, ownership=False, priority=5))
    s.send(katrain_query("doomed", [], visits=8, ownership=False, priority=-5))
    s.send({"id": "t1", "action": "terminate", "terminateId": "doomed"})
    started = time.monotonic()
    s.send({"id": "t2", "action": "terminate", "terminateId": "long", "turnNumbers": [1]})
    got = s.wait_for(lambda got: finals(got, "long"))
    assert time.monotonic() - started < 2.0
    got = s.close()
    order = [a["id"] for a in got if a.get("isDuringSearch") is False]
    assert order.index("doomed") < order.index("long") < order.index("high") < order.index("low")
    assert finals(got, "doomed") == [{"id": "doomed", "turnNumber": 0, "isDuringSearch": False, "noResults": True}]
    assert {"id": "t2", "action": "terminate", "terminateId": "long", "turnNumbers": [1]} in got
    long_final = finals(got, "long")[0]
    assert long_final["rootInfo"]["visits"] > 1 and long_final["moveInfos"]
    during = [a for a in got if a.get("id") == "long" and a.get("isDuringSearch")]
    assert during and all(d["rootInfo"]["visits"] <= long_final["rootInfo"]["visits"] for d in during)


def test_concurrent_queries_share_network_batches():
    s = Session(analysis_threads=4, batch_size=4)
    for i in range(4):
        s.send(katrain_query(f"q{i}", [("B", "E5"), ("W", "C3")][: i % 3], visits=48, ownership=False))
    got = s.close()
    assert all(len(finals(got, f"q{i}")) == 1 for i in range(4))
    (batcher,) = s.engine._batchers.values()
    assert batcher.mean_batch() > 4.0, batcher.mean_batch()   # several searches per network call


def test_special_actions():
    s = Session(analysis_threads=1)
    s.send({"id": "v", "action": "query_version"})
    s.send({"id": "c", "action": "clear_cache"})
    s.send({"id": "t", "action": "terminate"})
    s.send({"id": "a", "action": "terminate_all", "turnNumbers": [0]})
    got = s.close()
    assert got[0]["id"] == "v" and got[0]["version"] and got[0]["git_hash"] == "<omitted>"
    assert {"id": "c", "action": "clear_cache"} in got
    assert {"id": "t", "field": "terminateId",
            "error": 'Requests for a terminate action must have a string "terminateId" field'} in got
    assert {"id": "a", "action": "terminate_all", "turnNumbers": [0]} in got


def test_position_hashes_symmetry():
    from engine.game import Game
    a, b = Game(9), Game(9)
    a.play_gtp("b", "C3")
    b.play_gtp("b", "G7")   # the same position rotated by 180 degrees
    assert position_hashes(a)[1] == position_hashes(b)[1]
    assert position_hashes(a)[0] != position_hashes(b)[0]


def test_stdout_is_json_only_and_stdin_end_finishes_queue():
    lines = [json.dumps(katrain_query(f"q{i}", [("B", "E5")], visits=10)) for i in range(3)]
    proc = subprocess.run([sys.executable, "-c", "from gtp.cli import main; main()", "analysis",
                           "--network", NET, "--analysis-threads", "2"],
                          input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120, cwd=REPO,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sorted(a["id"] for a in answers) == ["q0", "q1", "q2"]
    assert "NN avg batch size" in proc.stderr


@pytest.mark.parametrize("network, reason", [("missing.onnx", "does not exist"),
                                             ("bad.onnx", "not a readable ONNX network"),
                                             ("none", "no network")])
def test_a_network_that_cannot_load_stops_it_at_start_up(tmp_path, network, reason):
    """As KataGo's analysis engine: no ready line and no per-query 'internal error' for a bad --network."""
    (tmp_path / "bad.onnx").write_bytes(b"not onnx")
    path = network if network == "none" else str(tmp_path / network)
    query = json.dumps(katrain_query("q", [("B", "E5")], visits=4))
    proc = subprocess.run([sys.executable, "-c", "from gtp.cli import main; main()", "analysis", "--network", path],
                          input=query + "\n", capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"cannot analyse with network {path}" in proc.stderr and reason in proc.stderr
    assert "ready to begin" not in proc.stderr


def test_katrain_engine_class_drives_zerogo_analysis(tmp_path):
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_WINDOW", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_HOME", str(tmp_path / "kivy"))
    try:
        from katrain.core.engine import KataGoEngine
        from katrain.core.game import KaTrainSGF
    except ImportError as exc:
        pytest.fail(f"KaTrain is needed: pip install kivy==2.3.1 chardet && pip install --no-deps "
                    f"katrain==1.14.0 ({exc})")

    class FakeKaTrain:
        """What KataGoEngine asks of the app: a log, a popup hook, update_state."""

        def __init__(self):
            self.lines, self.errors = [], []

        def log(self, message, level):
            self.lines.append(str(message))
            if level == 0:   # OUTPUT_ERROR
                self.errors.append(str(message))

        def __call__(self, *args):
            self.errors.append(repr(args))

        def update_state(self, *args, **kwargs):
            pass

    app = FakeKaTrain()
    command = f'exec "{sys.executable}" -c "from gtp.cli import main; main()" analysis --network "{NET}"'
    config = {"altcommand": command, "max_visits": 16, "fast_visits": 8, "max_time": 8.0,
              "wide_root_noise": 0.0, "_enable_ownership": True, "threads": 2}
    engine = KataGoEngine(app, config)
    try:
        root = KaTrainSGF.parse_sgf("(;GM[1]FF[4]SZ[9]KM[6.5]RU[japanese];B[ee];W[cg];B[gc])")
        nodes = root.nodes_in_tree
        for node in nodes:
            node.analyze(engine)   # KaTrain's own call: request_analysis with its callback
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not all(n.analysis_complete for n in nodes):
            time.sleep(0.05)
        assert all(n.analysis_complete for n in nodes), app.lines[-10:]
        assert not app.errors, app.errors
        for node in nodes:
            assert 0 <= node.winrate <= 1 and node.score is not None
            assert len(node.ownership) == 81 and len(node.policy) == 82
            assert node.candidate_moves and node.candidate_moves[0]["move"]
        last = nodes[-1]
        assert last.analysis["root"]["currentPlayer"] == "W" and last.analysis["root"]["visits"] >= 16
    finally:
        engine.katago_process.stdin.close()   # end of input: zerogo analysis finishes and exits
        engine.katago_process.wait(timeout=30)
        engine.shutdown(finish=False)


def _blocks(line: str) -> list[str]:
    return [b.removeprefix("info ").strip() for b in line.split(" info ")]


def _kata_fields(block: str) -> dict:
    """One ``info move ...`` block of kata-analyze as {key: value or list}."""
    words = block.split()
    out, i = {}, 0
    while i < len(words):
        key = words[i]
        if key == "pv":
            j = i + 1
            while j < len(words) and words[j] not in ("pvVisits", "pvEdgeVisits", "rootInfo", "ownership"):
                j += 1
            out[key], i = words[i + 1:j], j
        else:
            out[key], i = words[i + 1], i + 2
    return out


def test_same_numbers_as_kata_analyze_for_the_same_position_and_visits():
    from tests.gtp_session import zerogo_gtp
    proc = subprocess.Popen(zerogo_gtp("--network", NET, "--size", "9", "--visits", "40", "--seed", "1"),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO,
                            text=True)
    try:
        proc.stdin.write("boardsize 9\nkata-set-rules chinese\nkomi 7\nplay B E5\nplay W C3\nkata-analyze 5\n")
        proc.stdin.flush()
        line, deadline = "", time.monotonic() + 60
        while time.monotonic() < deadline:
            text = proc.stdout.readline()
            if text.startswith("info"):
                line = text.strip()
                if sum(int(_kata_fields(b)["visits"]) for b in _blocks(line)) + 1 >= 40:
                    break
        proc.communicate("quit\n", timeout=30)   # keeps reading, so the stream can end
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    gtp = [_kata_fields(b) for b in _blocks(line)]
    s = Session(analysis_threads=1)
    s.send({"id": "same", "moves": [["B", "E5"], ["W", "C3"]], "rules": "chinese", "komi": 7, "boardXSize": 9,
            "boardYSize": 9, "maxVisits": 40, "overrideSettings": {"reportAnalysisWinratesAs": "SIDETOMOVE"}})
    (answer,) = finals(s.close(), "same")
    assert answer["rootInfo"]["visits"] == 40
    assert [m["move"] for m in answer["moveInfos"]] == [g["move"] for g in gtp]
    for m, g in zip(answer["moveInfos"], gtp):
        assert m["visits"] == int(g["visits"]) and m["pv"] == g["pv"]
        for key in ("winrate", "scoreLead", "prior", "lcb", "utility", "utilityLcb"):
            assert m[key] == pytest.approx(float(g[key]), rel=2e-5, abs=2e-6), key


def test_the_compiled_tree_answers_as_the_python_tree():
    """zerogo analysis --tree compiled (numba): the same moves, visits, PVs and values as the Python tree."""
    pytest.importorskip("numba", reason="numba is not installed")
    from engine import search as search_module
    answers, made = {}, []
    original = search_module.make_tree
    search_module.make_tree = lambda *args: made.append(original(*args)) or made[-1]
    try:
        for tree in ("compiled", "python"):
            s = Session(analysis_threads=1, tree=tree)
            s.send(katrain_query("q", [("B", "E5"), ("W", "C3"), ("B", "G7")], visits=60,
                                 extra={"reportAnalysisWinratesAs": "SIDETOMOVE"}))
            (answers[tree],) = finals(s.close(), "q")
    finally:
        search_module.make_tree = original
    assert [type(t).__name__ for t in made] == ["CompiledTree", "Tree"]
    ours, theirs = answers["compiled"], answers["python"]
    assert ours["rootInfo"]["visits"] == theirs["rootInfo"]["visits"] >= 60
    assert [(m["move"], m["visits"], m["pv"]) for m in ours["moveInfos"]] == \
        [(m["move"], m["visits"], m["pv"]) for m in theirs["moveInfos"]]
    for m, t in zip(ours["moveInfos"], theirs["moveInfos"]):
        assert m["winrate"] == pytest.approx(t["winrate"], abs=1e-6)
        assert m["scoreLead"] == pytest.approx(t["scoreLead"], abs=1e-4)
    assert ours["ownership"] == pytest.approx(theirs["ownership"], abs=1e-5)
