"""Handicap stone placement: GTP's fixed points and the engine's free choice."""

from __future__ import annotations

from engine.board import IllegalMoveError

# GTP v2 section 4.1.1 order, in (x, y) with 0 = low edge / middle / high edge.
_FIXED_ORDER = {
    2: ["LL", "HH"],
    3: ["LL", "HH", "LH"],
    4: ["LL", "HH", "LH", "HL"],
    5: ["LL", "HH", "LH", "HL", "MM"],
    6: ["LL", "HH", "LH", "HL", "LM", "HM"],
    7: ["LL", "HH", "LH", "HL", "LM", "HM", "MM"],
    8: ["LL", "HH", "LH", "HL", "LM", "HM", "ML", "MH"],
    9: ["LL", "HH", "LH", "HL", "LM", "HM", "ML", "MH", "MM"],
}


def max_fixed_handicap(width: int, height: int) -> int:
    """The most fixed handicap stones GTP defines for this board (0: none)."""
    small = min(width, height)
    if small < 7:
        return 0
    if small == 7 or width % 2 == 0 or height % 2 == 0:
        return 4
    return 9


def _line(size: int, which: str) -> int:
    """The 0-based line (from the low edge) of a star point position letter."""
    edge = 2 if size < 12 else 3  # GNU Go (the GTP reference): 4th line from 12x12 up
    return {"L": edge, "M": size // 2, "H": size - 1 - edge}[which]


def fixed_points(n: int, width: int, height: int) -> list[int]:
    """Flat points of GTP's fixed handicap for n stones, in GTP's order.

    Raises IllegalMoveError when the board has no fixed placement for n.
    """
    limit = max_fixed_handicap(width, height)
    if not 2 <= n <= limit:
        raise IllegalMoveError(
            f"invalid number of handicap stones {n} for {width}x{height} (2 to {limit})"
        )
    points = []
    for code in _FIXED_ORDER[n]:
        col = _line(width, code[0])
        row_from_bottom = _line(height, code[1])
        points.append((height - 1 - row_from_bottom) * width + col)
    return points


def free_points(n: int, width: int, height: int) -> list[int]:
    """Exactly n distinct points for free handicap: star points first, then spread out."""
    area = width * height
    if not 2 <= n < area:
        raise IllegalMoveError(f"invalid number of handicap stones {n} for {width}x{height}")
    limit = max_fixed_handicap(width, height)
    points = fixed_points(min(n, limit), width, height) if limit >= 2 else []
    if len(points) > n:
        points = points[:n]
    chosen = set(points)
    # Fill the rest greedily: the point farthest from every chosen stone and the edge.
    while len(points) < n:
        best, best_key = -1, None
        for p in range(area):
            if p in chosen:
                continue
            r, c = divmod(p, width)
            edge = min(r, c, height - 1 - r, width - 1 - c)
            far = min((abs(r - q // width) + abs(c - q % width) for q in chosen), default=area)
            key = (min(far, 2 * edge + 2), far, -p)
            if best_key is None or key > best_key:
                best, best_key = p, key
        points.append(best)
        chosen.add(best)
    return points
