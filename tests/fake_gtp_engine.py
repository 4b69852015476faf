"""A tiny misbehaving GTP engine for match-runner tests: ``python tests/fake_gtp_engine.py MODE``.

Modes: ``resign`` (resigns every genmove), ``illegal`` (answers an occupied or
off-board point), ``crash`` (exits on genmove), ``slow`` (sleeps 30 s on genmove),
``stuck-play`` (never answers ``play``), ``stuck-setup`` (never answers ``komi``),
``pass`` (passes).
"""

import sys
import time


def main(mode: str) -> None:
    """Answer GTP on stdin/stdout, misbehaving on genmove."""
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        name = words[0]
        if name == "quit":
            print("=\n", flush=True)
            return
        if (mode, name) in (("stuck-play", "play"), ("stuck-setup", "komi")):
            time.sleep(1000)
        if name == "genmove":
            if mode == "crash":
                sys.exit(3)
            if mode == "slow":
                time.sleep(30)
            reply = {"resign": "resign", "illegal": "Z99"}.get(mode, "pass")
            print(f"= {reply}\n", flush=True)
        elif name == "list_commands":
            print("= genmove\nplay\nquit\nboardsize\nclear_board\nkomi\n", flush=True)
        elif name == "final_score":
            print("? cannot score\n", flush=True)
        else:
            print("=\n", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
