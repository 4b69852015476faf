"""zerogo analysis: wall time and network batch size for N queries with 1 vs several analysis threads.

    python3 benchmarks/analysis_batching.py [--queries 8] [--visits 200] [--threads 1,4]

Each query is a KaTrain-style query for a different 9x9 position; every run
uses the same engine settings except --analysis-threads. Prints one line per
thread count: seconds, NN calls, mean positions per call.
"""

from __future__ import annotations

import argparse
import io
import json
import time

from gtp.server.analysis_engine import AnalysisEngine, AnalysisSettings

OPENING = ["E5", "C3", "G7", "C7", "G3", "E3", "E7", "C5", "G5", "D4", "F6", "D6"]


def run(queries: int, visits: int, threads: int, network: str) -> tuple[float, int, float]:
    """Seconds, network calls and mean batch for ``queries`` queries."""
    out = io.StringIO()
    engine = AnalysisEngine(AnalysisSettings(network=network, analysis_threads=threads, seed=1), out)
    lines = []
    for i in range(queries):
        moves = [["B" if j % 2 == 0 else "W", OPENING[j]] for j in range(i % len(OPENING))]
        lines.append(json.dumps({"id": f"q{i}", "moves": moves, "rules": "chinese", "komi": 7, "boardXSize": 9,
                                 "boardYSize": 9, "maxVisits": visits}))
    start = time.perf_counter()
    engine.serve(io.StringIO("\n".join(lines) + "\n"))
    seconds = time.perf_counter() - start
    (batcher,) = engine._batchers.values()
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert sum(1 for a in answers if not a.get("isDuringSearch")) == queries
    return seconds, batcher.calls, batcher.mean_batch()


def main() -> None:
    """Parse the options and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=8)
    ap.add_argument("--visits", type=int, default=200)
    ap.add_argument("--threads", default="1,4")
    ap.add_argument("--network", default="weights/zerogo-9x9.onnx")
    args = ap.parse_args()
    print("analysis-threads  seconds  nn-calls  mean-batch")
    for threads in (int(t) for t in args.threads.split(",")):
        seconds, calls, mean = run(args.queries, args.visits, threads, args.network)
        print(f"{threads:16d}  {seconds:7.2f}  {calls:8d}  {mean:10.2f}")


if __name__ == "__main__":
    main()
