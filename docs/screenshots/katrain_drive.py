"""Drive the real KaTrain GUI with zerogo as its engine and screenshot it.

Run by ``docs/screenshots/katrain.sh`` on an X display (Xvfb). It writes a
KaTrain config whose engine is ``exec zerogo analysis`` (KaTrain's "Override
KataGo command"), loads a 9x9 game, waits until zerogo has analysed every
move, steps to ``--move``, waits for the full analysis of that position and
saves the window with ``import``. It exits non-zero when zerogo's analysis did
not arrive, so a screenshot of an error is never kept.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import katrain
from sgfmill import sgf


def write_config(folder: Path, command: str, visits: int) -> Path:
    """KaTrain's package config with zerogo as the engine and analysis views on."""
    config = json.loads((Path(katrain.__file__).parent / "config.json").read_text())
    config["engine"].update(altcommand=command, max_visits=visits)   # the rest as KaTrain ships it
    config["general"]["debug_level"] = 1
    config["ui_state"].update(restoresize=True, size=[1300, 1000], left=0, top=0)
    path = folder / "config.json"   # KaTrain takes argv[1] as its config when it ends in config.json
    path.write_text(json.dumps(config, indent=1))
    return path


def write_game(source: Path, folder: Path) -> Path:
    """The moves of ``source`` without its comments, as KaTrain would load a game."""
    game = sgf.Sgf_game.from_bytes(source.read_bytes())
    clean = sgf.Sgf_game(size=game.get_size())
    root = clean.get_root()
    root.set("KM", game.get_komi())
    root.set("RU", "Chinese")
    for node in game.get_main_sequence()[1:]:
        colour, move = node.get_move()
        if colour is not None:
            clean.extend_main_sequence().set_move(colour, move)
    path = folder / "game.sgf"
    path.write_bytes(clean.serialise())
    return path


def parse_args() -> argparse.Namespace:
    """Command-line settings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--game", type=Path, required=True, help="9x9 SGF whose moves KaTrain loads")
    parser.add_argument("--work", type=Path, required=True, help="folder for KaTrain's config and the game")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write (the whole X screen)")
    parser.add_argument("--command", default="exec zerogo analysis", help="KaTrain's altcommand")
    parser.add_argument("--move", type=int, default=20, help="move to show")
    parser.add_argument("--visits", type=int, default=500, help="KaTrain's max_visits")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before giving up")
    return parser.parse_args()


class Driver:
    """Steps through KaTrain once per Kivy clock tick until the screenshot is taken."""

    def __init__(self, app, args: argparse.Namespace):
        self.app, self.args = app, args
        self.started = time.monotonic()
        self.stage = "load"
        self.failure = ""
        self.settled_at = 0.0

    def tick(self, _dt) -> bool:
        """One check; returns False to stop the Kivy clock event."""
        gui = self.app.gui
        if time.monotonic() - self.started > self.args.timeout:
            return self.fail(f"timed out at stage {self.stage}")
        if gui is None or gui.game is None:
            return True
        return getattr(self, f"stage_{self.stage}")(gui)

    def stage_load(self, gui) -> bool:
        """Wait for the quick analysis of every move of the loaded game."""
        nodes = gui.game.root.nodes_in_tree
        if all(node.analysis_complete for node in nodes):
            print(f"katrain_drive: {len(nodes)} positions analysed", file=sys.stderr)
            gui("redo", self.args.move)
            gui.analysis_controls.hints.checkbox.active = True
            gui.analysis_controls.ownership.checkbox.active = True
            gui.analysis_controls.eval.checkbox.active = True
            gui("analyze-extra", "extra")   # KaTrain's "extra analysis" (key A): max_visits more
            self.stage = "deep"
        return True

    def stage_deep(self, gui) -> bool:
        """Wait for the full-visit analysis of the shown position, then let it draw."""
        node = gui.game.current_node
        if node.analysis_complete and node.root_visits >= self.args.visits:
            if not self.settled_at:
                self.settled_at = time.monotonic()
                moves = node.candidate_moves
                print(f"katrain_drive: move {node.depth}: {node.root_visits} visits, "
                      f"{len(moves)} candidates, best {moves[0]['move']} "
                      f"winrate {node.winrate:.3f} score {node.score:.1f}", file=sys.stderr)
            elif time.monotonic() - self.settled_at > 3.0:
                subprocess.run(["import", "-window", "root", str(self.args.out)], check=True, timeout=60)
                self.app.stop()
                return False
        return True

    def fail(self, message: str) -> bool:
        """Remember why and close KaTrain."""
        self.failure = message
        self.app.stop()
        return False


def main() -> int:
    """Start KaTrain with the config and game, drive it, report success."""
    args = parse_args()
    config = write_config(args.work, args.command, args.visits)
    game = write_game(args.game, args.work)
    sys.argv = [sys.argv[0], str(config), str(game)]
    from kivy.clock import Clock

    from katrain.__main__ import KaTrainApp

    app = KaTrainApp()
    driver = Driver(app, args)
    Clock.schedule_interval(driver.tick, 0.5)
    app.run()
    if app.gui is not None and app.gui.engine is not None:
        app.gui.engine.shutdown(finish=False)
    if driver.failure or not args.out.exists():
        print(f"katrain_drive: no screenshot: {driver.failure or 'unknown'}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
