"""KataGo's rules language: shorthand names and JSON objects, both ways.

KataGo (``Rules::parseRules``, docs/GTP_Extensions.md) names rules by a
shorthand (``chinese``, ``japanese``, ``tromp-taylor``...) or a JSON object
with the keys ``ko`` (SIMPLE | POSITIONAL | SITUATIONAL), ``scoring`` (AREA |
TERRITORY), ``tax`` (NONE | SEKI | ALL), ``suicide`` (multi-stone suicide
legal), ``hasButton`` and ``whiteHandicapBonus`` ("0" | "N" | "N-1"), plus
optionally ``komi``. The meanings are KataGo's, which differ from zerogo's
own presets in one place: KataGo's ``chinese`` uses simple ko (as Chinese
tournaments do), ``chinese-ogs``/``chinese-kgs`` positional superko.

zerogo's ``Rules`` has no tax or button: ``tax`` must be the scoring's
natural one (NONE for area, SEKI for territory) and ``hasButton`` false;
anything else is refused with ``KataRulesError`` rather than silently
played under other rules.
"""

from __future__ import annotations

import json

from engine.rules import (
    AREA,
    HANDICAP_N,
    HANDICAP_N_MINUS_1,
    HANDICAP_NONE,
    POSITIONAL_SUPERKO,
    SIMPLE_KO,
    SITUATIONAL_SUPERKO,
    TERRITORY,
    Rules,
    RulesError,
)

KO_NAMES = {SIMPLE_KO: "SIMPLE", POSITIONAL_SUPERKO: "POSITIONAL", SITUATIONAL_SUPERKO: "SITUATIONAL"}
SCORING_NAMES = {AREA: "AREA", TERRITORY: "TERRITORY"}
BONUS_NAMES = {HANDICAP_NONE: "0", HANDICAP_N: "N", HANDICAP_N_MINUS_1: "N-1"}


class KataRulesError(RulesError):
    """Rules text that KataGo would not parse, or rules zerogo cannot play."""


def _spec(ko, scoring, suicide, bonus, tax="NONE"):
    return {"hasButton": False, "ko": ko, "scoring": scoring, "suicide": suicide, "tax": tax,
            "whiteHandicapBonus": bonus}


# KataGo's shorthands (Rules::parseRulesHelper) and what they mean.
SHORTHANDS = {
    "tromp-taylor": _spec("POSITIONAL", "AREA", True, "0"),
    "chinese": _spec("SIMPLE", "AREA", False, "N"),
    "chinese-ogs": _spec("POSITIONAL", "AREA", False, "N"),
    "chinese-kgs": _spec("POSITIONAL", "AREA", False, "N"),
    "japanese": _spec("SIMPLE", "TERRITORY", False, "0", "SEKI"),
    "korean": _spec("SIMPLE", "TERRITORY", False, "0", "SEKI"),
    "stone-scoring": _spec("SIMPLE", "AREA", False, "0", "ALL"),
    "aga": _spec("SITUATIONAL", "AREA", False, "N-1"),
    "bga": _spec("SITUATIONAL", "AREA", False, "N-1"),
    "french": _spec("SITUATIONAL", "AREA", False, "N-1"),
    "new-zealand": _spec("SITUATIONAL", "AREA", True, "0"),
    "aga-button": {**_spec("SITUATIONAL", "AREA", False, "N-1"), "hasButton": True},
}
_ALIASES = {"tromp_taylor": "tromp-taylor", "tromptaylor": "tromp-taylor", "chinese_ogs": "chinese-ogs",
            "chinese_kgs": "chinese-kgs", "stone_scoring": "stone-scoring", "new_zealand": "new-zealand",
            "newzealand": "new-zealand", "nz": "new-zealand", "new zealand": "new-zealand",
            "aga_button": "aga-button", "cn": "chinese", "jp": "japanese", "tt": "tromp-taylor"}
_KO = {v: k for k, v in KO_NAMES.items()}
_SCORING = {v: k for k, v in SCORING_NAMES.items()}
_BONUS = {v: k for k, v in BONUS_NAMES.items()}
_KEYS = {"ko", "scoring", "tax", "suicide", "multiStoneSuicideLegal", "hasButton", "whiteHandicapBonus",
         "komi", "friendlyPassOk", "taxRule", "koRule", "scoringRule"}


def _word(data: dict, *keys: str) -> str | None:
    for key in keys:
        if key in data:
            if not isinstance(data[key], str):
                raise KataRulesError(f"{key} must be a string")
            return data[key].strip().upper()
    return None


def _from_spec(data: dict, base: Rules, name: str) -> Rules:
    """A zerogo Rules from KataGo's JSON fields (missing fields keep ``base``'s)."""
    unknown = set(data) - _KEYS
    if unknown:
        raise KataRulesError(f"unknown rules fields: {', '.join(sorted(unknown))}")
    ko = _word(data, "ko", "koRule")
    scoring = _word(data, "scoring", "scoringRule")
    tax = _word(data, "tax", "taxRule")
    bonus = _word(data, "whiteHandicapBonus")
    if ko is not None and ko not in _KO:
        raise KataRulesError(f"unknown ko rule {ko!r} (SIMPLE, POSITIONAL, SITUATIONAL)")
    if scoring is not None and scoring not in _SCORING:
        raise KataRulesError(f"unknown scoring rule {scoring!r} (AREA, TERRITORY)")
    if bonus is not None and bonus not in _BONUS:
        raise KataRulesError(f"unknown whiteHandicapBonus {bonus!r} (0, N, N-1)")
    suicide = data.get("suicide", data.get("multiStoneSuicideLegal", base.suicide))
    button = data.get("hasButton", False)
    for key, value in (("suicide", suicide), ("hasButton", button)):
        if not isinstance(value, bool):
            raise KataRulesError(f"{key} must be true or false")
    scoring_rule = _SCORING[scoring] if scoring else base.scoring
    natural_tax = "SEKI" if scoring_rule == TERRITORY else "NONE"
    if tax is not None and tax != natural_tax:
        raise KataRulesError(f"tax {tax} with {SCORING_NAMES[scoring_rule]} scoring is not supported "
                             f"(zerogo plays tax {natural_tax} with it)")
    if button:
        raise KataRulesError("button Go (hasButton true) is not supported")
    komi = base.komi
    if "komi" in data:
        if isinstance(data["komi"], bool) or not isinstance(data["komi"], (int, float)):
            raise KataRulesError("komi must be a number")
        komi = float(data["komi"])
    return Rules(name, _KO[ko] if ko else base.ko, scoring_rule, suicide, komi,
                 _BONUS[bonus] if bonus else base.handicap_bonus)


def parse_kata_rules(text_or_dict, base: Rules | None = None) -> Rules:
    """KataGo's rules (a shorthand, a JSON text or a dict) as zerogo Rules; komi kept from ``base``."""
    base = base or Rules()
    if isinstance(text_or_dict, dict):
        return _from_spec(text_or_dict, base, "custom")
    text = str(text_or_dict).strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise KataRulesError(f"cannot parse rules JSON: {exc}") from None
        if not isinstance(data, dict):
            raise KataRulesError("rules JSON must be an object")
        return _from_spec(data, base, "custom")
    key = text.lower()
    key = _ALIASES.get(key, key)
    if key not in SHORTHANDS:
        raise KataRulesError(f"unknown rules {text!r} (known: {', '.join(SHORTHANDS)})")
    return _from_spec(SHORTHANDS[key], base, key)


def kata_rules_dict(rules: Rules) -> dict:
    """zerogo Rules as KataGo's ``kata-get-rules`` fields (no komi).

    ``friendlyPassOk`` is KataGo's value for the same rules (KataGo 1.17: true
    for area scoring that removes dead stones after the game, false for
    Tromp-Taylor and territory scoring); zerogo scores the same way.
    """
    friendly = rules.scoring == AREA and rules.name not in ("tromp-taylor", "custom")
    return {"friendlyPassOk": friendly, "hasButton": False, "ko": KO_NAMES[rules.ko],
            "scoring": SCORING_NAMES[rules.scoring],
            "suicide": rules.suicide, "tax": "SEKI" if rules.scoring == TERRITORY else "NONE",
            "whiteHandicapBonus": BONUS_NAMES[rules.handicap_bonus]}


def kata_rules_json(rules: Rules) -> str:
    """``kata_rules_dict`` as KataGo prints it (sorted keys, no spaces)."""
    return json.dumps(kata_rules_dict(rules), sort_keys=True, separators=(",", ":"))
