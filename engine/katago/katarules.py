"""KataGo's rule fields, and how each zerogo rule set maps onto them.

KataGo describes rules by ko rule (SIMPLE, POSITIONAL, SITUATIONAL), scoring
(AREA, TERRITORY), tax (NONE, SEKI, ALL), multi-stone suicide, white's
handicap bonus (0, N, N-1), the button and friendly passes
(lightvector/KataGo ``cpp/game/rules.cpp``). zerogo's presets map onto what
KataGo's ``kata-set-rules NAME`` sets for the same name (``kata-get-rules``
as recorded in ``shared/katago-reference``): note that KataGo's "chinese"
uses the simple ko rule, while zerogo's own Chinese preset plays positional
superko. Rule sets that are not a preset map field by field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from engine.rules import (
    AREA,
    HANDICAP_N,
    HANDICAP_N_MINUS_1,
    HANDICAP_NONE,
    POSITIONAL_SUPERKO,
    PRESETS,
    SIMPLE_KO,
    SITUATIONAL_SUPERKO,
    TERRITORY,
    Rules,
)

KO_SIMPLE, KO_POSITIONAL, KO_SITUATIONAL = "SIMPLE", "POSITIONAL", "SITUATIONAL"
SCORING_AREA, SCORING_TERRITORY = "AREA", "TERRITORY"
TAX_NONE, TAX_SEKI, TAX_ALL = "NONE", "SEKI", "ALL"
WHB_ZERO, WHB_N, WHB_N_MINUS_ONE = "0", "N", "N-1"


@dataclass(frozen=True)
class KataRules:
    """KataGo's rule fields (komi lives in zerogo's ``Rules``)."""

    ko: str = KO_SIMPLE
    scoring: str = SCORING_AREA
    tax: str = TAX_NONE
    suicide: bool = False
    white_handicap_bonus: str = WHB_N
    has_button: bool = False
    friendly_pass_ok: bool = True

    def as_json(self) -> dict:
        """The fields as ``kata-get-rules`` prints them (without komi)."""
        return {"friendlyPassOk": self.friendly_pass_ok, "hasButton": self.has_button,
                "ko": self.ko, "scoring": self.scoring, "suicide": self.suicide,
                "tax": self.tax, "whiteHandicapBonus": self.white_handicap_bonus}


# What KataGo's kata-set-rules sets for each of zerogo's preset names.
KATAGO_PRESETS: dict[str, KataRules] = {
    "chinese": KataRules(KO_SIMPLE, SCORING_AREA, TAX_NONE, False, WHB_N, False, True),
    "japanese": KataRules(KO_SIMPLE, SCORING_TERRITORY, TAX_SEKI, False, WHB_ZERO, False, False),
    "korean": KataRules(KO_SIMPLE, SCORING_TERRITORY, TAX_SEKI, False, WHB_ZERO, False, False),
    "tromp-taylor": KataRules(KO_POSITIONAL, SCORING_AREA, TAX_NONE, True, WHB_ZERO, False, False),
    "aga": KataRules(KO_SITUATIONAL, SCORING_AREA, TAX_NONE, False, WHB_N_MINUS_ONE, False, True),
    "new-zealand": KataRules(KO_SITUATIONAL, SCORING_AREA, TAX_NONE, True, WHB_ZERO, False, True),
}

_KO = {SIMPLE_KO: KO_SIMPLE, POSITIONAL_SUPERKO: KO_POSITIONAL, SITUATIONAL_SUPERKO: KO_SITUATIONAL}
_WHB = {HANDICAP_NONE: WHB_ZERO, HANDICAP_N: WHB_N, HANDICAP_N_MINUS_1: WHB_N_MINUS_ONE}


def katago_rules(rules: Rules) -> KataRules:
    """KataGo's fields for a zerogo rule set: the preset's when ``rules`` is one (any komi)."""
    preset = PRESETS.get(rules.name)
    if preset is not None and dataclasses.replace(preset, komi=rules.komi) == rules:
        return KATAGO_PRESETS[rules.name]
    territory = rules.scoring == TERRITORY
    return KataRules(
        ko=_KO[rules.ko],
        scoring=SCORING_TERRITORY if territory else SCORING_AREA,
        tax=TAX_SEKI if territory else TAX_NONE,
        suicide=rules.suicide,
        white_handicap_bonus=_WHB[rules.handicap_bonus],
        has_button=False,
        friendly_pass_ok=rules.scoring == AREA and rules.ko != POSITIONAL_SUPERKO,
    )
