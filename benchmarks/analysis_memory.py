"""RSS of ``zerogo gtp`` during a long kata-analyze on 19x19, then after stopping and clear_board.

Run from the repository root, e.g.
``python3 benchmarks/analysis_memory.py --minutes 10 --max-tree-mb 1024``.
Prints one line per sample (elapsed seconds, RSS in MB, visits in the last
report, analysis output so far) and a summary: the peak RSS against the limit
(tree cap + evaluation cache cap + the process's baseline before analysis).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (Linux /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Reader(threading.Thread):
    """Reads the engine's stdout: counts bytes, keeps the last analysis line and replies."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.bytes, self.last_info, self.replies = stream, 0, "", []

    def run(self) -> None:
        """Read until EOF."""
        for line in self.stream:
            self.bytes += len(line)
            if line.startswith("info "):
                self.last_info = line
            elif line.startswith(("=", "?")):
                self.replies.append(line.strip())


def visits_in(info: str) -> int:
    """Total visits of the candidates in one kata-analyze line."""
    return sum(int(v) for v in re.findall(r"\bvisits (\d+)", info))


def main() -> None:
    """Run the analysis, sample RSS, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--max-tree-mb", type=int, default=1024)
    ap.add_argument("--network", default=str(REPO / "weights" / "zerogo-9x9.onnx"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    args = ap.parse_args()
    cmd = [sys.executable, "-c", "from gtp.cli import main; main()", "gtp", "--network",
           args.network, "--threads", str(args.threads), "--max-tree-mb", str(args.max_tree_mb)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, bufsize=1)
    reader = Reader(proc.stdout)
    reader.start()

    def send(line: str, wait_replies: int | None = None) -> None:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        while wait_replies is not None and len(reader.replies) < wait_replies:
            time.sleep(0.05)

    send("boardsize 19", 1)
    send("clear_board", 2)
    baseline = rss_mb(proc.pid)
    print(f"baseline RSS before analysis: {baseline:.0f} MB", flush=True)
    send("kata-analyze b interval 100")
    start, peak = time.monotonic(), baseline
    while time.monotonic() - start < args.minutes * 60:
        time.sleep(args.sample)
        elapsed = time.monotonic() - start
        rss = rss_mb(proc.pid)
        peak = max(peak, rss)
        print(f"{elapsed:7.0f} s  RSS {rss:7.0f} MB  visits {visits_in(reader.last_info):8d}  "
              f"output {reader.bytes / 1e6:7.1f} MB", flush=True)
    send("", 3)                      # any line stops kata-analyze
    stopped = rss_mb(proc.pid)
    send("clear_board", 4)
    time.sleep(1.0)
    cleared = rss_mb(proc.pid)
    send("quit", 5)
    proc.wait(timeout=60)
    cache_mb = 256
    print(f"peak RSS {peak:.0f} MB; after stop {stopped:.0f} MB; after clear_board {cleared:.0f} MB; "
          f"limit = baseline {baseline:.0f} + tree {args.max_tree_mb} + cache {cache_mb} = "
          f"{baseline + args.max_tree_mb + cache_mb:.0f} MB; output "
          f"{reader.bytes / 1e6 / (args.minutes or 1):.1f} MB/min")


if __name__ == "__main__":
    main()
