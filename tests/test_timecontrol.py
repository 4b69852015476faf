"""Time control: parsing, time_left updates, our own clock, and budgets that never lose on time."""

import math

import pytest

from engine.timecontrol import (Clock, TimeSettings, TimeSettingsError, budget, charge,
                                parse_kata_time_settings, parse_kgs_time_settings,
                                parse_time_settings, update_clock)

SYSTEMS = {
    "absolute": TimeSettings("absolute", 60.0),
    "byoyomi": TimeSettings("byoyomi", 10.0, 5.0, 3),
    "canadian": TimeSettings("canadian", 10.0, 30.0, 0, 10),
    "canadian-no-main": TimeSettings("canadian", 0.0, 20.0, 0, 5),
    "fischer": TimeSettings("fischer", 30.0, increment=2.0),
    "fischer-capped": TimeSettings("fischer-capped", 30.0, increment=3.0, main_time_cap=40.0, max_per_move=8.0),
    "byoyomi-no-main": TimeSettings("byoyomi", 0.0, 5.0, 1),
}


# ------------------------------------------------------------------ parsing
def test_gtp_time_settings_follows_the_spec():
    assert parse_time_settings("60", "0", "0") == TimeSettings("absolute", 60.0)
    assert parse_time_settings(300, 5, 0).system == "none"      # B > 0, S == 0: no limit
    assert parse_time_settings(0, 0, 0).system == "none"
    s = parse_time_settings(600, 300, 25)
    assert (s.system, s.main_time, s.period_time, s.stones) == ("canadian", 600.0, 300.0, 25)


def test_kgs_and_kata_time_settings():
    s = parse_kgs_time_settings(["byoyomi", "10", "5", "3"])
    assert (s.system, s.main_time, s.period_time, s.periods) == ("byoyomi", 10.0, 5.0, 3)
    assert parse_kgs_time_settings(["canadian", "0", "60", "10"]).stones == 10
    assert parse_kgs_time_settings(["none"]).system == "none"
    f = parse_kata_time_settings(["fischer-capped", "30", "3", "-1", "10"])
    assert (f.increment, f.main_time_cap, f.max_per_move) == (3.0, math.inf, 10.0)
    assert parse_kata_time_settings(["fischer", "60", "1"]).increment == 1.0
    assert parse_kata_time_settings(["absolute", "60"]).main_time == 60.0


@pytest.mark.parametrize("args", [[], ["hourglass", "5"], ["absolute"], ["byoyomi", "10", "x", "3"],
                                  ["byoyomi", "10", "5", "0"], ["canadian", "10", "5", "1.5"],
                                  ["absolute", "-5"], ["fischer", "10"]])
def test_bad_time_settings_raise_a_named_error(args):
    with pytest.raises(TimeSettingsError):
        parse_kata_time_settings(args)


# ------------------------------------------------------------ time_left
def test_time_left_main_time_and_byoyomi_periods():
    s = SYSTEMS["byoyomi"]
    c = update_clock(s, Clock.start(s), 7.5, 0)
    assert (c.main_left, c.in_overtime) == (7.5, False)
    c = update_clock(s, c, 4.2, 2)          # KGS: 2 periods left, 4.2 s of the current one
    assert (c.main_left, c.periods_left, c.period_left, c.in_overtime) == (0.0, 2, 4.2, True)


def test_time_left_canadian_counts_stones_and_absolute_ignores_count():
    s = SYSTEMS["canadian"]
    c = update_clock(s, Clock.start(s), 12.0, 3)
    assert (c.stones_left, c.period_left, c.in_overtime) == (3, 12.0, True)
    a = SYSTEMS["absolute"]
    assert update_clock(a, Clock.start(a), 42.0, 5).main_left == 42.0
    with pytest.raises(TimeSettingsError):
        update_clock(a, Clock.start(a), "soon", 0)


# --------------------------------------------------------------- charge
def test_charge_byoyomi_loses_only_whole_periods():
    s = SYSTEMS["byoyomi"]
    c = charge(s, Clock.start(s), 12.0)            # 10 s main, 2 s into the first period
    assert (c.main_left, c.periods_left, c.in_overtime, c.flagged) == (0.0, 3, True, False)
    c = charge(s, c, 11.0)                          # two full periods gone
    assert (c.periods_left, c.flagged) == (1, False)
    assert charge(s, c, 5.0).flagged


def test_charge_canadian_resets_after_the_stones_and_fischer_caps():
    s = TimeSettings("canadian", 0.0, 10.0, 0, 2)
    c = charge(s, Clock.start(s), 4.0)
    assert (c.stones_left, c.period_left) == (1, 6.0)
    c = charge(s, c, 5.0)                           # period done with 1 s to spare: fresh period
    assert (c.stones_left, c.period_left, c.flagged) == (2, 10.0, False)
    assert charge(s, charge(s, c, 6.0), 4.5).flagged
    f = SYSTEMS["fischer-capped"]
    assert charge(f, Clock(main_left=39.0), 1.0).main_left == 40.0  # 38 + 3, capped at 40
    assert charge(SYSTEMS["fischer"], Clock(main_left=10.0), 3.0).main_left == 9.0


# --------------------------------------------------------------- budget
def test_budget_is_ordered_pure_and_none_is_unlimited():
    assert budget(TimeSettings(), Clock(), 0, 81) == (0.0, math.inf, math.inf)
    for s in SYSTEMS.values():
        c = Clock.start(s)
        lo, target, hi = budget(s, c, 10, 81)
        assert 0 <= lo <= target <= hi
        assert budget(s, c, 10, 81) == (lo, target, hi)
        assert c == Clock.start(s)


@pytest.mark.parametrize("name", sorted(SYSTEMS))
@pytest.mark.parametrize("area", [81, 361])
def test_spending_the_maximum_every_move_never_loses_on_time(name, area):
    """A fake clock: each move takes its maximum plus overhead, for a long game.

    With overtime or an increment: 0.3 s overhead a move for 400 moves. Sudden
    death cannot pay for unbounded overhead, so there: 0.05 s a move for a
    game of 1.6 * area plies (130 on 9x9, 578 on 19x19), longer than real games,
    with 60 s on 9x9 and 60 * 361 / 81 = 267 s on 19x19.
    """
    s = SYSTEMS[name]
    if name == "absolute":
        s = TimeSettings("absolute", 60.0 * area / 81)
    c = Clock.start(s)
    plies, overhead = (int(1.6 * area), 0.05) if name == "absolute" else (800, 0.3)
    for move in range(0, plies, 2):
        lo, target, hi = budget(s, c, move, area, lag=1.0)
        c = charge(s, c, hi + overhead)
        assert not c.flagged, (name, move, hi, c)


def test_last_byoyomi_period_keeps_the_lag():
    s = SYSTEMS["byoyomi"]
    c = Clock(main_left=0.0, periods_left=1, period_left=5.0, in_overtime=True)
    lo, target, hi = budget(s, c, 100, 81, lag=1.0)
    assert hi <= 4.0 and lo > 0          # inside a period, time is free: use some of it
    assert not charge(s, c, hi + 0.9).flagged


def test_canadian_period_with_few_stones_left_spreads_what_is_left():
    s = SYSTEMS["canadian"]
    c = Clock(main_left=0.0, stones_left=2, period_left=6.0, in_overtime=True)
    lo, target, hi = budget(s, c, 100, 81, lag=1.0)
    assert hi <= 6.0 - 1.0 and target <= (6.0 - 1.0) / 2 + 1e-9
    one = Clock(main_left=0.0, stones_left=1, period_left=3.0, in_overtime=True)
    assert budget(s, one, 100, 81, lag=1.0)[2] <= 2.0


def test_emergency_when_time_is_nearly_gone():
    a = SYSTEMS["absolute"]
    assert budget(a, Clock(main_left=0.8), 50, 81, lag=1.0) == (0.0, 0.0, 0.0)
    c = Clock(main_left=0.0, stones_left=5, period_left=1.2, in_overtime=True)
    assert budget(SYSTEMS["canadian"], c, 50, 81, lag=1.0) == (0.0, 0.0, 0.0)


def test_fischer_capped_spends_what_the_cap_would_waste_and_respects_max_per_move():
    s = SYSTEMS["fischer-capped"]
    lo, target, hi = budget(s, Clock(main_left=40.0), 10, 81, lag=1.0)
    assert lo >= 3.0 - 1e-9       # 40 + 3 - 40 cap: 3 s are free
    assert hi <= 8.0


def test_byoyomi_main_time_adds_the_guaranteed_period():
    s = SYSTEMS["byoyomi"]
    _, target, hi = budget(s, Clock.start(s), 0, 81, lag=1.0)
    assert target > 4.0                    # 9 / moves + 4 s of the period
    assert hi <= 10.0 - 1.0 + 5.0 - 1.0    # never beyond main + one period - lags
