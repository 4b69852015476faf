"""One answer of ``zerogo analysis``: a job's analysis report written as KataGo's JSON.

Keys and their order follow KataGo's analysis engine (docs/Analysis_Engine.md):
``moveInfos`` (with pvVisits, pvEdgeVisits and per-move ownership when asked),
``rootInfo`` (thisHash, symHash, currentPlayer), ``ownership`` and ``policy``,
every value in the job's ``perspective``.
"""

from __future__ import annotations

import hashlib

import numpy as np

from engine import coords
from engine.board import BLACK
from engine.mcts_player import MctsPlayer
from engine.player import AnalysisReport
from gtp.server.analysis_query import Job
from gtp.server.kata_values import flip_for, move_values, ownership_after, root_values, round8


def answer(job: Job, rep: AnalysisReport, player: MctsPlayer, during: bool) -> dict:
    """The JSON answer (a dict) for a job's report, in the job's perspective, as KataGo writes it."""
    game, color = job.game, job.game.to_play
    flip = flip_for(job.perspective, color)
    w, h = game.width, game.height
    infos = []
    for order, c in enumerate(rep.candidates):
        info = {k: (round8(v) if isinstance(v, float) else v) for k, v in move_values(c, flip).items()}
        pv = c.pv or [c.move]
        info.update(move=coords.to_gtp(c.move, w, h), order=order,
                    pv=[coords.to_gtp(m, w, h) for m in pv])
        if job.include_pv_visits:
            visits = (c.pv_visits or [c.visits])[:len(pv)]
            info.update(pvVisits=visits, pvEdgeVisits=visits)
        infos.append(info)
    if job.include_moves_ownership and infos and not during:
        for info, own in zip(infos, moves_ownership(job, rep, player)):
            if own is not None:
                info["ownership"] = own
    ret = {"id": job.id, "turnNumber": job.turn, "isDuringSearch": during, "moveInfos": infos,
           "rootInfo": root_info(rep, game, flip)}
    if job.include_ownership and rep.ownership is not None:
        ret["ownership"] = board_list(rep.ownership * color, job.perspective, color)
    if job.include_policy:
        ret["policy"] = policy_list(game, player)
    return ret


def root_info(rep: AnalysisReport, game, flip: bool) -> dict:
    """KataGo's rootInfo: the root's values, the raw network's, the position hashes and the player."""
    info = {k: (round8(v) if isinstance(v, float) else v) for k, v in root_values(rep.root, flip).items()}
    if rep.raw_winrate is not None:
        info["rawWinrate"] = round8(1.0 - rep.raw_winrate if flip else rep.raw_winrate)
        lead = -rep.raw_score if flip else rep.raw_score
        info.update(rawLead=round8(lead), rawScoreSelfplay=round8(lead))
    this, sym = position_hashes(game)
    info.update(thisHash=this, symHash=sym, currentPlayer="B" if game.to_play == BLACK else "W")
    return info


def board_list(black_view: np.ndarray, perspective: str, color: int) -> list[float]:
    """Ownership (black's view) in the reported perspective, row-major from the top left."""
    sign = -1.0 if perspective == "WHITE" or (perspective == "SIDETOMOVE" and color != BLACK) else 1.0
    return [round8(float(x) * sign) for x in np.asarray(black_view, dtype=float).reshape(-1)]


def moves_ownership(job: Job, rep: AnalysisReport, player: MctsPlayer) -> list:
    """The network's ownership after each listed move (black's view, then perspective)."""
    color = job.game.to_play
    owns = ownership_after(job.game, [c.move for c in rep.candidates], color, player.evaluator,
                           player.config.history)
    return [None if own is None else board_list(own * color, job.perspective, color) for own in owns]


def policy_list(game, player: MctsPlayer) -> list[float]:
    """The network's policy, -1 on illegal moves, pass last (KataGo's includePolicy)."""
    policy = np.asarray(player.policy(game), dtype=float)
    legal = game.legal_mask(game.to_play)
    return [round8(float(p)) if ok else -1 for p, ok in zip(policy, legal)]


def position_hashes(game) -> tuple[str, str]:
    """(thisHash, symHash): 32 hex digits for the stones, player to move and ko; symHash the least over symmetries."""
    stones = np.asarray(game.board.stones, dtype=np.int8).reshape(game.height, game.width)
    ko = np.zeros_like(stones)
    if game.board.ko_point >= 0:
        ko.reshape(-1)[game.board.ko_point] = 1
    views = [(stones, ko), (stones[::-1], ko[::-1]), (stones[:, ::-1], ko[:, ::-1]),
             (stones[::-1, ::-1], ko[::-1, ::-1])]
    if game.width == game.height:
        views += [(s.T, k.T) for s, k in list(views)]

    def digest(s, k) -> str:
        data = np.ascontiguousarray(s).tobytes() + np.ascontiguousarray(k).tobytes() + bytes([game.to_play & 0xFF])
        return hashlib.blake2b(data, digest_size=16).hexdigest().upper()

    hashes = [digest(s, k) for s, k in views]
    return hashes[0], min(hashes)
