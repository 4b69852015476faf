"""zerogo bench nn: runs a tiny config end to end and prints rates against a measured peak."""

import re

from click.testing import CliRunner

from nets.bench_nn import time_call
from nets.cli import bench_nn_command


def test_bench_nn_tiny():
    res = CliRunner().invoke(bench_nn_command, [
        "--configs", "b2c16", "--sizes", "9", "--batches", "1,2", "--threads", "1",
        "--min-seconds", "0.01", "--peak-n", "512", "--settings", "onnxruntime:fp32,onnxruntime:int8"])
    assert res.exit_code == 0, res.output
    peak = float(re.search(r"peak: ([\d.]+) GFLOP/s", res.output).group(1))
    assert peak > 0
    rows = re.findall(r"(torch cpu|onnxruntime cpu|onnxruntime cpu int8) +9x9 +batch +(\d+): +([\d.]+) evals/s +"
                      r"([\d.]+) GFLOP/s +([\d.]+)% of peak", res.output)
    assert {(r[0], r[1]) for r in rows} == {("torch cpu", "1"), ("torch cpu", "2"),
                                            ("onnxruntime cpu", "1"), ("onnxruntime cpu", "2"),
                                            ("onnxruntime cpu int8", "1"), ("onnxruntime cpu int8", "2")}
    for _, _, evals, gflops, pct in rows:
        assert float(evals) > 0 and float(gflops) > 0
        # the printed GFLOP/s and peak are rounded to 0.05: allow for it (a slow machine prints small ones)
        tolerance = 100 * 0.05 * (1 + float(gflops) / peak) / peak + 0.06
        assert abs(float(gflops) / peak * 100 - float(pct)) < tolerance
    assert "end to end" in res.output


def test_time_call_counts_runs():
    calls = []
    per = time_call(lambda: calls.append(1), 0.0)
    assert len(calls) == 4 and per >= 0
