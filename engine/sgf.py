"""SGF game records through sgfmill: load a file into a Game, save a Game back.

This is the one module of ``engine/`` that imports beyond stdlib and numpy:
sgfmill is a core playing dependency (``loadsgf`` in ``gtp/``, SGF datasets in
``nets/``), so both reach SGF through here and nobody hand-writes a parser.

sgfmill knows only square boards, so a rectangular ``SZ[w:h]`` is read and
written on a square board of side ``max(w, h)``; SGF letters are column then
row from the top, which is the same on both, and only the SZ value differs.

A missing KM means the komi of the rules preset (RU, chinese by default);
HA without AB stones means GTP's fixed handicap points.

Loading is all or nothing: a malformed or unsupported file, or an illegal
move in it, raises ``SgfError`` (with the move number) and returns no game.

Loading is bounded (``SgfLimits``): the file's size, its node count (all
variations; counted with one regular-expression pass before sgfmill builds
anything, so an 8 MB file of 1.68 M passes is refused in well under a second
instead of taking minutes and gigabytes) and the main line's moves. Writing
is linear in the game's length (each move node is added to the previous one,
not found again from the root).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sgfmill import sgf, sgf_grammar

from engine import coords
from engine.board import BLACK, WHITE, IllegalMoveError
from engine.game import Game
from engine.rules import RulesError, rules_by_name

log = logging.getLogger(__name__)

_RULE_NAMES = {
    "chinese": "chinese", "cn": "chinese", "goe": "chinese", "ing": "chinese",
    "japanese": "japanese", "jp": "japanese", "korean": "korean",
    "aga": "aga", "bga": "aga", "nz": "new-zealand", "new zealand": "new-zealand",
    "new-zealand": "new-zealand", "tromp-taylor": "tromp-taylor", "tromp taylor": "tromp-taylor",
}
_RU_WRITE = {
    "chinese": "Chinese", "japanese": "Japanese", "korean": "Korean", "aga": "AGA",
    "new-zealand": "NZ", "tromp-taylor": "Tromp-Taylor",
}
_EXTRA_PROPS = ("GN", "DT", "EV", "RO", "PC", "BR", "WR", "TM", "OT")
_COLOR = {"b": BLACK, "w": WHITE}


class SgfError(ValueError):
    """A malformed or unsupported SGF file, or one holding an illegal move."""


@dataclass(frozen=True)
class SgfLimits:
    """What loading accepts: bytes of SGF, nodes in the whole tree, moves in the main line.

    A long professional game has ~400 moves and ~50 KB; a record annotated
    with many variations may reach some MB. The defaults leave wide room
    above that while keeping sgfmill's parse tree (a few hundred bytes per
    node) under ~100 MB.
    """

    max_bytes: int = 16 << 20
    max_nodes: int = 200_000
    max_moves: int = 10_000


DEFAULT_LIMITS = SgfLimits()
_NODE_OR_VALUE = re.compile(rb";|\[(?:[^\\\]]|\\.)*\]", re.DOTALL)


def count_nodes(data: bytes, stop_after: int | None = None) -> int:
    """Nodes (``;`` outside property values) in SGF bytes, every variation included.

    Counting stops early once it passes ``stop_after``; memory stays constant.
    """
    if stop_after is not None and data.count(b";") <= stop_after:
        return data.count(b";")       # an upper bound already within the limit
    nodes = 0
    for match in _NODE_OR_VALUE.finditer(data):
        if match.end() - match.start() == 1 and data[match.start()] == 0x3B:   # ";"
            nodes += 1
            if stop_after is not None and nodes > stop_after:
                break
    return nodes


def check_limits(data: bytes, limits: SgfLimits = DEFAULT_LIMITS) -> None:
    """SgfError if the bytes are larger, or hold more nodes, than ``limits`` allow."""
    if len(data) > limits.max_bytes:
        raise SgfError(f"SGF is {len(data)} bytes, more than the limit of {limits.max_bytes}")
    if count_nodes(data, stop_after=limits.max_nodes) > limits.max_nodes:
        raise SgfError(f"SGF has more than {limits.max_nodes} nodes, the limit for loading")


def _parse_size(raw: bytes | None) -> tuple[int, int]:
    """Width and height from a raw SZ value (default 19)."""
    if raw is None:
        return 19, 19
    text = raw.decode("ascii", "replace").strip()
    try:
        parts = [int(x) for x in text.split(":")]
    except ValueError:
        raise SgfError(f"bad SZ property {text!r}") from None
    if len(parts) not in (1, 2):
        raise SgfError(f"bad SZ property {text!r}")
    width, height = parts[0], parts[-1]
    try:
        coords.check_size(width, height)
    except coords.CoordinateError as exc:
        raise SgfError(str(exc)) from None
    return width, height


def _parse_tree(data: bytes | str, limits: SgfLimits) -> tuple[sgf.Sgf_game, int, int]:
    """Parse the bytes with sgfmill (after ``check_limits``); the game, width and height."""
    encoding = None
    if isinstance(data, str):
        data, encoding = data.encode("utf-8"), "UTF-8"
    check_limits(data, limits)
    try:
        coarse = sgf_grammar.parse_sgf_game(data)
    except ValueError as exc:
        raise SgfError(f"malformed SGF: {exc}") from None
    root = coarse.sequence[0]
    gm = root.get("GM", [b"1"])[0].strip()
    if gm != b"1":
        raise SgfError(f"not a Go game record (GM[{gm.decode('ascii', 'replace')}])")
    width, height = _parse_size(root.get("SZ", [None])[0])
    root["SZ"] = [str(max(width, height)).encode()]
    try:
        tree = sgf.Sgf_game.from_coarse_game_tree(coarse, encoding)
    except ValueError as exc:
        raise SgfError(f"malformed SGF: {exc}") from None
    return tree, width, height


def _point(point, width: int, height: int) -> int:
    """Flat move of an sgfmill point on the square max(w, h) board (None = pass)."""
    if point is None:
        return width * height
    side = max(width, height)
    row_from_top, col = side - 1 - point[0], point[1]
    if not (0 <= row_from_top < height and 0 <= col < width):
        raise SgfError(f"SGF point {point} is off the {width}x{height} board")
    return row_from_top * width + col


def _sgfmill_point(move: int, width: int, height: int):
    """sgfmill point on the square max(w, h) board for a flat move (None = pass)."""
    if move == width * height:
        return None
    row, col = divmod(move, width)
    return (max(width, height) - 1 - row, col)


def _get(node, prop: str, default=None):
    """A property's interpreted value, SgfError when it cannot be read."""
    if not node.has_property(prop):
        return default
    try:
        return node.get(prop)
    except ValueError as exc:
        raise SgfError(f"bad {prop} property: {exc}") from None


def _rules_for(root):
    """The Rules named by RU (unknown: chinese, with a warning) and KM."""
    name = str(_get(root, "RU", "chinese")).strip()
    preset = _RULE_NAMES.get(name.lower())
    if preset is None:
        log.warning("unknown SGF rules %r; playing under chinese rules", name)
        preset = "chinese"
    komi = _get(root, "KM")
    try:
        return rules_by_name(preset, None if komi is None else float(komi))
    except (RulesError, ValueError, TypeError) as exc:
        raise SgfError(f"bad rules or komi: {exc}") from None


def _setup(game: Game, root, width: int, height: int) -> None:
    """Handicap and AB/AW setup stones from the root node."""
    handicap = _get(root, "HA", 0) or 0
    black = [_point(p, width, height) for p in (_get(root, "AB") or ())]
    white = [_point(p, width, height) for p in (_get(root, "AW") or ())]
    try:
        if handicap >= 2 and not black and not white:
            game.fixed_handicap(handicap)
        elif handicap >= 2 and not white and len(black) == handicap:
            game.set_handicap(sorted(black))
        elif black or white:
            stones = [(BLACK, p) for p in black] + [(WHITE, p) for p in white]
            game.setup(stones, to_play=WHITE if handicap >= 2 else BLACK)
            game.handicap = handicap if handicap >= 2 else 0
    except IllegalMoveError as exc:
        raise SgfError(f"bad handicap or setup stones: {exc}") from None
    player = _get(root, "PL")
    if player is not None:
        game.setup([], to_play=_COLOR[player])


def _play_moves(game: Game, nodes, width: int, height: int, max_moves: int | None,
                cap: int) -> None:
    """Play the main line's moves into the game; SgfError names the bad move or the cap."""
    for node in nodes:
        if max_moves is not None and len(game.moves) >= max_moves:
            return
        if len(game.moves) >= cap and (node.has_property("B") or node.has_property("W")):
            raise SgfError(f"the game has more than {cap} moves, the limit for loading")
        if node is not nodes[0] and any(node.has_property(p) for p in ("AB", "AW", "AE")):
            raise SgfError(f"setup stones after move {len(game.moves)} are not supported")
        try:
            color, point = node.get_move()
        except ValueError:
            raw = node.get_raw("B" if node.has_property("B") else "W")
            raise SgfError(f"move {len(game.moves) + 1} has a bad point {raw!r}") from None
        if color is None:
            continue
        number = len(game.moves) + 1
        move = _point(point, width, height)
        try:
            game.play(move, _COLOR[color])
        except IllegalMoveError as exc:
            vertex = coords.to_gtp(move, width, height)
            raise SgfError(f"move {number} ({color.upper()} {vertex}) is illegal: {exc}") from None


def load_sgf(data: bytes | str, max_moves: int | None = None,
             limits: SgfLimits = DEFAULT_LIMITS) -> Game:
    """Load an SGF record (main line, its first ``max_moves`` moves) into a new Game.

    Raises SgfError (never half-loads), also when the data exceed ``limits``.
    """
    tree, width, height = _parse_tree(data, limits)
    root = tree.get_root()
    game = Game(width, height, rules=_rules_for(root))
    _setup(game, root, width, height)
    _play_moves(game, tree.get_main_sequence(), width, height, max_moves, limits.max_moves)
    game.record.result = str(_get(root, "RE", "") or "")
    game.record.black_player = str(_get(root, "PB", "") or "")
    game.record.white_player = str(_get(root, "PW", "") or "")
    for prop in _EXTRA_PROPS:
        value = _get(root, prop)
        if value is not None:
            game.record.extra[prop] = value
    return game


def load_sgf_file(path, limits: SgfLimits = DEFAULT_LIMITS) -> Game:
    """Load an SGF file from disk; SgfError for unreadable, oversized or malformed files."""
    try:
        with open(path, "rb") as f:
            data = f.read(limits.max_bytes + 1)   # never more than the limit into memory
    except OSError as exc:
        raise SgfError(f"cannot read SGF file {path}: {exc.strerror or exc}") from None
    if len(data) > limits.max_bytes:
        raise SgfError(f"SGF file {path} is larger than the limit of {limits.max_bytes} bytes")
    return load_sgf(data, limits=limits)


def _write_root(root, game: Game, result: str | None) -> None:
    """Root properties: komi, rules, players, result, handicap and setup stones."""
    root.set("KM", game.komi)
    root.set("RU", _RU_WRITE.get(game.rules.name, game.rules.name))
    root.set("AP", ("zerogo", "0.1.0"))
    for prop, value in (("PB", game.record.black_player), ("PW", game.record.white_player),
                        ("RE", result if result is not None else game.record.result)):
        if value:
            root.set(prop, value)
    for prop, value in game.record.extra.items():
        if prop in _EXTRA_PROPS:
            root.set(prop, value)
    if game.handicap >= 2:
        root.set("HA", game.handicap)
    w, h = game.width, game.height
    black = {_sgfmill_point(p, w, h) for c, p in game.setup_stones if c == BLACK}
    white = {_sgfmill_point(p, w, h) for c, p in game.setup_stones if c == WHITE}
    if black or white:
        root.set_setup_stones(black, white)
    start = game.history_boards(len(game.moves) + 1)[-1].to_play
    if (black or white) and start == WHITE:
        root.set("PL", "w")


def game_to_sgf(game: Game, result: str | None = None,
                comments: dict[int, str] | None = None) -> bytes:
    """The game as SGF bytes; ``comments[n]`` goes on move n's node (0: the root)."""
    side = max(game.width, game.height)
    tree = sgf.Sgf_game(side)
    root = tree.get_root()
    _write_root(root, game, result)
    comments = comments or {}
    if comments.get(0):
        root.set("C", comments[0])
    node = root
    for number, (color, move) in enumerate(game.moves, start=1):
        node = node.new_child()   # not tree.extend_main_sequence(): that walks from the root
        node.set_move("b" if color == BLACK else "w",
                      _sgfmill_point(move, game.width, game.height))
        if comments.get(number):
            node.set("C", comments[number])
    data = tree.serialise()
    if game.width != game.height:
        data = data.replace(f"SZ[{side}]".encode(), f"SZ[{game.width}:{game.height}]".encode(), 1)
    return data


def save_sgf_file(game: Game, path, result: str | None = None,
                  comments: dict[int, str] | None = None) -> None:
    """Write the game to an SGF file."""
    with open(path, "wb") as f:
        f.write(game_to_sgf(game, result, comments))
