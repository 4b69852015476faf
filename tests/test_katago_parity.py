"""Parity with KataGo itself: zerogo's features + converted nets against KataGo 1.17.2's kata-raw-nn.

``../shared/katago-reference/`` holds 200 positions and what KataGo printed
for them with ``kata-raw-nn 0`` (symmetry 0) for two networks. Each position
is loaded from its SGF under its rules and komi, encoded with
``engine.katago.features``, evaluated by the converted ONNX network, and every
field must agree: |d policy| <= 1e-3 on every legal point and pass,
|d whiteWin| <= 2e-3, |d whiteLead| <= 0.05, |d ownership| <= 0.01.

The reference is from white's point of view (policy: the side to move's); the
network's outputs are the side to move's, so they are flipped for black.
The b15c192 net (model version 8) is checked on all 200 positions, the much
slower b18c384nbt (version 14) on every fifth (40, all sizes and rules).

The networks are found in ``$ZEROGO_KATAGO_NETS`` (default
``~/.cache/zerogo/katago-nets``); CI fetches them (``.ci/run``). When they are
missing the test fails and says how to get them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from engine.evaluation import Position
from engine.katago.cache import converted_path
from engine.katago.features import encode
from engine.rules import rules_by_name
from engine.sgf import load_sgf_file

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "katago-reference"
NETS = {  # reference file -> (network file, which positions)
    "g170e-b15c192": ("g170e-b15c192-s1672170752-d466197061.bin.gz", slice(None)),
    "kata1-b18c384nbt": ("kata1-b18c384nbt-s6582191360-d3422816034.bin.gz", slice(0, None, 5)),
}
TOLERANCE = {"policy": 1e-3, "whiteWin": 2e-3, "whiteLead": 0.05, "ownership": 0.01}


def nets_dir() -> Path:
    """Where the KataGo networks are."""
    return Path(os.environ.get("ZEROGO_KATAGO_NETS", "~/.cache/zerogo/katago-nets")).expanduser()


def _network(name: str) -> Path:
    path = nets_dir() / name
    if not path.is_file():
        pytest.fail(f"KataGo network {path} is missing: set ZEROGO_KATAGO_NETS to its folder, "
                    "or fetch it as .ci/run does (pip download --no-deps katrain==1.9.0 for "
                    "the b15c192 net, katrain==1.14.0 for b18c384nbt; unzip "
                    "katrain/models/*.bin.gz)")
    return path


def _reference(name: str) -> dict:
    path = REFERENCE / f"{name}.json"
    if not path.is_file():
        pytest.fail(f"KataGo reference outputs {path} are missing (expected next to the repo "
                    "in shared/katago-reference)")
    return json.loads(path.read_text())


def _position(entry: dict) -> Position:
    game = load_sgf_file(REFERENCE / "positions" / entry["sgf"])
    game.set_rules(rules_by_name(entry["rules"], entry["komi"]))
    return Position.from_game(game)


def _grid(rows, passed) -> np.ndarray:
    flat = np.array([[np.nan if x is None else x for x in row] for row in rows], float).ravel()
    return np.append(flat, passed)


def _softmax_legal(logits: np.ndarray, legal: np.ndarray) -> np.ndarray:
    x = np.where(legal, logits.astype(np.float64), -np.inf)
    e = np.exp(x - x.max())
    return e / e.sum()


def compare(entry: dict, out: dict, j: int) -> dict:
    """|KataGo - zerogo| per field for batch row ``j`` of the network outputs ``out``."""
    white = entry["to_move"] == "w"
    sign = 1.0 if white else -1.0
    wdl = out["wdl"][j]
    ref_policy = _grid(entry["policy"], entry["policyPass"])
    legal = ~np.isnan(ref_policy)
    policy = _softmax_legal(out["policy_logits"][j], legal)
    return {
        "policy": float(np.abs(policy[legal] - ref_policy[legal]).max()),
        "whiteWin": abs(float(wdl[0] if white else wdl[1]) - entry["whiteWin"]),
        "whiteLead": abs(sign * float(out["score_lead"][j]) - entry["whiteLead"]),
        "ownership": float(np.abs(sign * out["ownership"][j]
                                  - np.array(entry["whiteOwnership"], float)).max()),
        # reported, not asserted (KataGo prints them with 3-6 decimals)
        "noResult": abs(float(wdl[2]) - entry["noResult"]),
        "whiteScoreSelfplay": abs(sign * float(out["score_mean"][j])
                                  - entry["whiteScoreSelfplay"]),
    }


def evaluate_reference(name: str, cache_dir: Path, threads: int = 2) -> list[tuple[str, dict]]:
    """(sgf, errors) for every reference position checked for network ``name``."""
    net_file, which = NETS[name]
    onnx_path = converted_path(_network(net_file), cache_dir=cache_dir)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    entries = _reference(name)["positions"][which]
    groups: dict[tuple[int, int], list] = {}
    for entry in entries:
        pos = _position(entry)
        groups.setdefault((pos.board.height, pos.board.width), []).append((entry, pos))
    results = []
    for items in groups.values():
        for start in range(0, len(items), 8):
            chunk = items[start:start + 8]
            encoded = [encode(pos) for _, pos in chunk]
            feeds = {"planes": np.stack([p for p, _ in encoded]),
                     "globals": np.stack([g for _, g in encoded])}
            out = dict(zip(names, sess.run(None, feeds)))
            results += [(entry["sgf"], compare(entry, out, j)) for j, (entry, _) in
                        enumerate(chunk)]
    return results


@pytest.mark.parametrize("name", list(NETS))
def test_parity_with_katago(name, tmp_path_factory):
    results = evaluate_reference(name, tmp_path_factory.mktemp("onnx"))
    assert len(results) == len(_reference(name)["positions"][NETS[name][1]])
    worst = {k: max(errs[k] for _, errs in results) for k in results[0][1]}
    bad = [(sgf, {k: round(v, 5) for k, v in errs.items() if v > TOLERANCE.get(k, np.inf)})
           for sgf, errs in results
           if any(errs[k] > tol for k, tol in TOLERANCE.items())]
    assert not bad, (f"{len(bad)} of {len(results)} positions differ from KataGo "
                     f"(worst per field {worst}): {bad[:12]}")
