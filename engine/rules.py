"""Rule sets: ko rule, scoring method, suicide, komi and handicap compensation."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

SIMPLE_KO = "simple"
POSITIONAL_SUPERKO = "positional"
SITUATIONAL_SUPERKO = "situational"
KO_RULES = (SIMPLE_KO, POSITIONAL_SUPERKO, SITUATIONAL_SUPERKO)

AREA = "area"
TERRITORY = "territory"

# Extra points white receives per handicap stone, as each rule set counts them.
HANDICAP_NONE = "0"
HANDICAP_N = "N"
HANDICAP_N_MINUS_1 = "N-1"


class RulesError(ValueError):
    """An unknown rule set name or an inconsistent rule setting."""


MAX_KOMI = 1000.0  # more than any board's area: a larger komi is a typo or an attack


def check_komi(komi) -> float:
    """``komi`` as a float if it is a finite number within +-MAX_KOMI, else RulesError."""
    if isinstance(komi, bool):
        raise RulesError(f"komi must be a number, got {komi!r}")
    try:
        value = float(komi)
    except (TypeError, ValueError):
        raise RulesError(f"komi must be a number, got {komi!r}") from None
    if not math.isfinite(value) or abs(value) > MAX_KOMI:
        raise RulesError(f"komi must be a finite number between -{MAX_KOMI:g} and {MAX_KOMI:g}, "
                         f"got {komi!r}")
    return value


@dataclass(frozen=True)
class Rules:
    """How a game is played and counted."""

    name: str = "chinese"
    ko: str = POSITIONAL_SUPERKO
    scoring: str = AREA
    suicide: bool = False
    komi: float = 7.5
    handicap_bonus: str = HANDICAP_N

    def __post_init__(self) -> None:
        if self.ko not in KO_RULES:
            raise RulesError(f"unknown ko rule {self.ko!r}")
        if self.scoring not in (AREA, TERRITORY):
            raise RulesError(f"unknown scoring {self.scoring!r}")
        if self.handicap_bonus not in (HANDICAP_NONE, HANDICAP_N, HANDICAP_N_MINUS_1):
            raise RulesError(f"unknown handicap bonus {self.handicap_bonus!r}")
        check_komi(self.komi)

    def with_komi(self, komi: float) -> "Rules":
        """Return a copy with another komi."""
        return dataclasses.replace(self, komi=check_komi(komi))

    def handicap_compensation(self, handicap_stones: int) -> int:
        """Points added to white's score for black's handicap stones (0 without handicap)."""
        if handicap_stones < 2:
            return 0
        if self.handicap_bonus == HANDICAP_N:
            return handicap_stones
        if self.handicap_bonus == HANDICAP_N_MINUS_1:
            return handicap_stones - 1
        return 0


PRESETS: dict[str, Rules] = {
    "chinese": Rules("chinese", POSITIONAL_SUPERKO, AREA, False, 7.5, HANDICAP_N),
    "japanese": Rules("japanese", SIMPLE_KO, TERRITORY, False, 6.5, HANDICAP_NONE),
    "korean": Rules("korean", SIMPLE_KO, TERRITORY, False, 6.5, HANDICAP_NONE),
    "tromp-taylor": Rules("tromp-taylor", POSITIONAL_SUPERKO, AREA, True, 7.5, HANDICAP_NONE),
    "aga": Rules("aga", SITUATIONAL_SUPERKO, AREA, False, 7.5, HANDICAP_N_MINUS_1),
    "new-zealand": Rules("new-zealand", SITUATIONAL_SUPERKO, AREA, True, 7.0, HANDICAP_NONE),
}

_ALIASES = {
    "cn": "chinese", "jp": "japanese", "ko": "korean", "kr": "korean",
    "tromp_taylor": "tromp-taylor", "tromptaylor": "tromp-taylor", "tt": "tromp-taylor",
    "new_zealand": "new-zealand", "newzealand": "new-zealand", "nz": "new-zealand",
    "bga": "aga",
}


def default_komi(size: int) -> float:
    """The one komi used when none is given: 7 up to 9x9 (as the shipped 9x9 nets were trained), else 7.5."""
    return 7.0 if size <= 9 else 7.5


def rules_by_name(name: str, komi: float | None = None) -> Rules:
    """Return the named preset (case-insensitive; ``_`` or ``-``), optionally with komi."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in PRESETS:
        raise RulesError(
            f"unknown rules {name!r} (known: {', '.join(sorted(PRESETS))})"
        )
    rules = PRESETS[key]
    return rules if komi is None else rules.with_komi(komi)
