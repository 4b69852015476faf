"""StopRequest: the first SIGINT/SIGTERM is recorded, a second stops at once, handlers come back."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from gtp.match.stop_signals import StopNow, StopRequest


def test_first_signal_is_recorded_and_the_second_interrupts():
    before = signal.getsignal(signal.SIGTERM)
    with StopRequest() as stop:
        assert stop.signum is None
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.signum == signal.SIGTERM
        assert stop.exit_code == 128 + signal.SIGTERM
        with pytest.raises(StopNow) as now:     # a KeyboardInterrupt, exit status from the second
            os.kill(os.getpid(), signal.SIGINT)
        assert isinstance(now.value, KeyboardInterrupt)
        assert now.value.exit_code == 128 + signal.SIGINT
    assert signal.getsignal(signal.SIGTERM) is before


def test_outside_the_main_thread_it_installs_nothing():
    before = signal.getsignal(signal.SIGINT)
    seen = []

    def body():
        with StopRequest() as stop:
            seen.append((signal.getsignal(signal.SIGINT), stop.signum))

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert seen == [(before, None)]
