"""Export to ONNX: metadata, parity with torch on random positions, fp16, the CLI."""

import numpy as np
import onnxruntime as ort
import pytest
import torch
from click.testing import CliRunner

from engine import features as F
from nets.export import (OUTPUT_NAMES, TOLERANCE, export_onnx, random_net,
                         random_positions)
from nets.cli import export_command
from nets.model import ExportWrapper

torch.set_num_threads(1)


def _session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "b2c16.onnx"
    model = random_net("b2c16", seed=3)
    diff = export_onnx(model, path, {"training_step": 5, "provenance": "test"})
    return model, path, diff


def test_metadata_and_names(exported):
    _, path, _ = exported
    s = _session(path)
    meta = s.get_modelmeta().custom_metadata_map
    assert meta["feature_version"] == str(F.FEATURE_VERSION)
    assert meta["config"] == "b2c16" and meta["training_step"] == "5"
    assert meta["provenance"] == "test" and meta["board_sizes"] == "9,13,19"
    assert [i.name for i in s.get_inputs()] == ["planes", "globals"]
    assert [o.name for o in s.get_outputs()] == list(OUTPUT_NAMES)


def test_parity_reported_and_independent(exported):
    """export_onnx's reported diff is small, and an independent run on 13x13 and 7x11 agrees."""
    model, path, diff = exported
    assert 0 <= diff <= TOLERANCE[False]
    s = _session(path)
    for w, h in [(13, 13), (7, 11)]:
        planes, glob = F.encode_batch(random_positions(5, w, h, seed=9))
        got = s.run(None, {"planes": planes, "globals": glob})
        with torch.no_grad():
            ref = ExportWrapper(model)(torch.from_numpy(planes), torch.from_numpy(glob))
        for r, g in zip(ref, got):
            assert r.shape == g.shape
            assert np.max(np.abs(r.numpy() - g)) < 1e-3


def test_fp16_export(tmp_path):
    path = tmp_path / "half.onnx"
    diff = export_onnx(random_net("b2c16"), path, fp16=True, check_sizes=(9,))
    assert diff <= TOLERANCE[True]
    s = _session(path)
    assert s.get_inputs()[0].type == "tensor(float16)"
    assert s.get_modelmeta().custom_metadata_map["precision"] == "fp16"


def test_random_net_is_seeded():
    a, b, c = random_net("b2c16", 1), random_net("b2c16", 1), random_net("b2c16", 2)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_cli_from_checkpoint(tmp_path):
    ck = tmp_path / "ck.pt"
    model = random_net("b2c16", 4)
    torch.save({"config": "b2c16", "model": model.state_dict(), "step": 42,
                "meta": {"provenance": "unit test run"}}, ck)
    out = tmp_path / "w" / "net.onnx"
    res = CliRunner().invoke(export_command, [str(ck), "-o", str(out), "--board-sizes", "9"])
    assert res.exit_code == 0, res.output
    assert "largest |torch - onnxruntime|" in res.output
    meta = _session(out).get_modelmeta().custom_metadata_map
    assert meta["training_step"] == "42" and meta["board_sizes"] == "9"
    assert meta["provenance"] == "unit test run"


def test_cli_needs_exactly_one_source(tmp_path):
    res = CliRunner().invoke(export_command, ["-o", str(tmp_path / "x.onnx")])
    assert res.exit_code == 2 and "CHECKPOINT or --random" in res.output
    res = CliRunner().invoke(export_command, ["--random", "b9c9", "-o", str(tmp_path / "x.onnx")])
    assert res.exit_code != 0 and "unknown net config" in str(res.exception)
