"""KataGo model files: the reader, the ONNX graph against a numpy forward pass, errors, cache, CLI."""

import gzip
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest
from click.testing import CliRunner

from engine.katago.cache import converted_path, is_katago_model
from engine.katago.modelfile import KataModelError, load_model, parse_model
from engine.katago.onnx_build import KATAGO_OUTPUT_NAMES, OUTPUT_NAMES, build_onnx
from gtp.server.cli import import_katago_command
from tests.katago_tiny import dump_model, forward, random_model

VERSIONS = (8, 9, 10, 11, 12, 13, 14)


def _session(proto_or_path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    src = proto_or_path.SerializeToString() if hasattr(proto_or_path, "SerializeToString") \
        else str(proto_or_path)
    return ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])


def _arrays(obj, prefix=""):
    """Every numpy array in a parsed model, by attribute path."""
    out = {}
    if isinstance(obj, np.ndarray):
        out[prefix] = obj
    elif isinstance(obj, list):
        for i, x in enumerate(obj):
            out.update(_arrays(x, f"{prefix}[{i}]"))
    elif hasattr(obj, "__dataclass_fields__"):
        for k in obj.__dataclass_fields__:
            out.update(_arrays(getattr(obj, k), f"{prefix}.{k}"))
    return out


def _write(tmp_path, data: bytes, name="net.bin.gz"):
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("binary", [True, False])
def test_reader_round_trip(tmp_path, version, binary):
    model = random_model(version, seed=version)
    name = "net.bin.gz" if binary else "net.txt.gz"
    parsed = load_model(_write(tmp_path, dump_model(model, binary), name))
    assert (parsed.name, parsed.version, parsed.post) == (model.name, version, model.post)
    assert parsed.policy.channels == (2 if version >= 12 else 1)
    want, got = _arrays(model), _arrays(parsed)
    assert want.keys() == got.keys() and len(want) > 50
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-6, err_msg=key)
    assert parsed.training_steps == 1234 and len(parsed.sha256) == 64


def _inputs(rng, n, h, w):
    planes = (rng.random((n, 22, h, w)) < 0.3).astype(np.float32)
    planes[:, 0] = 1.0
    glob = rng.normal(0, 0.5, (n, 19)).astype(np.float32)
    glob[:, 6] = [0, 1, 1, 0][:n]      # ko rule not simple
    glob[:, 9] = [0, 0, 1, 1][:n]      # territory scoring
    # the last position: a 3x4 board inside the 5x5 tensor (KataGo's mask convention)
    planes[n - 1, :, 3:, :] = 0
    planes[n - 1, :, :, 4:] = 0
    return planes, glob


@pytest.mark.parametrize("version", VERSIONS)
def test_onnx_matches_numpy_forward(version):
    model = parse_model(dump_model(random_model(version, seed=10 + version)), True, "tiny")
    sess = _session(build_onnx(model))
    assert [o.name for o in sess.get_outputs()] == list(OUTPUT_NAMES + KATAGO_OUTPUT_NAMES)
    planes, glob = _inputs(np.random.default_rng(version), 4, 5, 5)
    names = [o.name for o in sess.get_outputs()]
    out = dict(zip(names, sess.run(None, {"planes": planes, "globals": glob})))
    ref = forward(model, planes, glob)
    mask = planes[:, 0]

    on_board = np.append(mask.reshape(4, -1), np.ones((4, 1)), axis=1) > 0
    main, opt = ref["policy"][:, 0], ref["policy"][:, -1]
    mixed = main + 0.2 * (opt - main)      # KataGo's root policy optimism (v12+)
    for got, want in ((out["policy_logits"], mixed), (out["policy_optimistic_logits"], opt)):
        np.testing.assert_allclose(got[on_board], want[on_board], atol=2e-5)
    np.testing.assert_allclose(out["ownership"], np.tanh(ref["ownership"]) * mask, atol=2e-6)

    # value: KataGo's softmax, "no result" only under simple ko or territory scoring
    logits = ref["value_logits"].copy()
    logits[:, 2] -= 1e5 * glob[:, 6] * (1 - glob[:, 9])
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    wdl = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out["wdl"], wdl, atol=2e-6)
    assert out["wdl"][1, 2] == 0.0 and out["wdl"][0, 2] > 0 and out["wdl"][2, 2] > 0
    np.testing.assert_allclose(out["value"], wdl[:, 0] - wdl[:, 1], atol=2e-6)

    sv, post = ref["score_values"], model.post
    softplus = np.logaddexp(0, sv)
    np.testing.assert_allclose(out["score_mean"], sv[:, 0] * post.score_mean * (1 - wdl[:, 2]),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["score_lead"], sv[:, 2] * post.lead * (1 - wdl[:, 2]),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["score_stdev"], softplus[:, 1] * post.score_stdev, rtol=1e-4)
    if version < 9:
        assert np.all(out["var_time_left"] == -1) and np.all(out["shortterm_score_error"] == -1)
    else:
        np.testing.assert_allclose(out["var_time_left"], softplus[:, 3] * post.variance_time,
                                   rtol=1e-4)
        half = np.logaddexp(0, sv * 0.5)
        want_err = (half[:, 5] * np.sqrt(post.shortterm_score_error) if version >= 14 else
                    np.sqrt(softplus[:, 5] * post.shortterm_score_error) if version >= 10 else
                    softplus[:, 5] * 10)
        np.testing.assert_allclose(out["shortterm_score_error"], want_err, rtol=1e-4)


def test_mish_forms_give_the_same_outputs():
    model = parse_model(dump_model(random_model(14, seed=3)), True, "tiny")
    planes, glob = _inputs(np.random.default_rng(0), 2, 5, 5)
    feeds = {"planes": planes, "globals": glob}
    a = _session(build_onnx(model, mish="sigmoid")).run(None, feeds)
    for form in ("softplus", "op"):
        b = _session(build_onnx(model, mish=form)).run(None, feeds)
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, atol=2e-5)
    with pytest.raises(ValueError, match="mish form"):
        build_onnx(model, mish="swish")


def test_board_size_is_dynamic():
    """A 2x3 board alone gives the same outputs as the same board masked inside 5x5."""
    model = parse_model(dump_model(random_model(14, seed=4)), True, "tiny")
    sess = _session(build_onnx(model))
    planes, glob = _inputs(np.random.default_rng(5), 2, 5, 5)
    small = np.ascontiguousarray(planes[-1:, :, :3, :4])
    names = [o.name for o in sess.get_outputs()]
    big = dict(zip(names, sess.run(None, {"planes": planes[-1:], "globals": glob[-1:]})))
    alone = dict(zip(names, sess.run(None, {"planes": small, "globals": glob[-1:]})))
    pts = big["policy_logits"][0, :25].reshape(5, 5)[:3, :4].ravel()
    np.testing.assert_allclose(alone["policy_logits"][0, :12], pts, atol=1e-4)
    np.testing.assert_allclose(alone["policy_logits"][0, 12], big["policy_logits"][0, 25],
                               atol=1e-4)
    np.testing.assert_allclose(alone["ownership"][0], big["ownership"][0, :3, :4], atol=1e-5)
    for key in ("value", "score_lead", "score_mean", "wdl"):
        np.testing.assert_allclose(alone[key], big[key], atol=1e-4)


def test_metadata(tmp_path):
    path = _write(tmp_path, dump_model(random_model(12)), "tiny-net.bin.gz")
    meta = _session(converted_path(path, cache_dir=tmp_path / "cache")) \
        .get_modelmeta().custom_metadata_map
    model = load_model(path)
    assert meta["feature_set"] == "katago-v7" and meta["katago_model_version"] == "12"
    assert meta["source_file"] == "tiny-net.bin.gz" and meta["source_sha256"] == model.sha256
    assert meta["config"] == model.name and meta["training_step"] == "1234"
    assert meta["policy_optimism"] == "0.2"
    for key in ("feature_version", "board_sizes", "provenance"):
        assert meta[key]


# -- errors -------------------------------------------------------------------------------------
def _error(tmp_path, data: bytes, name="net.bin.gz") -> str:
    with pytest.raises(KataModelError) as info:
        load_model(_write(tmp_path, data, name))
    msg = str(info.value)
    assert name in msg
    return msg


def test_truncated_file(tmp_path):
    raw = dump_model(random_model(14))
    msg = _error(tmp_path, raw[: len(raw) // 2])
    assert "truncated" in msg or "ends early" in msg
    path = tmp_path / "cut.bin.gz"
    path.write_bytes(gzip.compress(raw)[:300])
    with pytest.raises(KataModelError, match="cut.bin.gz.*(truncated|decompress)"):
        load_model(path)


@pytest.mark.parametrize("version", [15, 16])
def test_newer_versions_are_refused(tmp_path, version):
    raw = dump_model(random_model(14)).replace(b"\n14\n", f"\n{version}\n".encode(), 1)
    msg = _error(tmp_path, raw)
    assert f"version {version} is not supported" in msg and "8 to 14" in msg


def test_old_versions_are_refused(tmp_path):
    raw = dump_model(random_model(8)).replace(b"\n8\n", b"\n5\n", 1)
    assert "too old" in _error(tmp_path, raw)


@pytest.mark.parametrize("data", [b"hello world this is text\n", bytes(range(256)) * 4,
                                  b"", b"(;FF[4]SZ[19];B[dd])"])
def test_not_a_model(tmp_path, data):
    msg = _error(tmp_path, data)
    assert "not a KataGo model" in msg or "truncated" in msg or "binary data" in msg


def test_damaged_layers(tmp_path):
    raw = dump_model(random_model(14))
    assert "activation 'ACTIVATION_SWISH'" in _error(
        tmp_path, raw.replace(b"ACTIVATION_MISH", b"ACTIVATION_SWISH", 1))
    assert "block kind 'transformer_block'" in _error(
        tmp_path, raw.replace(b"ordinary_block", b"transformer_block", 1))
    assert "expected a binary weight block" in _error(tmp_path, raw.replace(b"@BIN@", b"@XYZ@", 1))
    assert "after the value head" in _error(tmp_path, raw + b"extra")


def test_missing_file(tmp_path):
    with pytest.raises(KataModelError, match="no such file"):
        load_model(tmp_path / "absent.bin.gz")
    with pytest.raises(KataModelError, match="no such file"):
        converted_path(tmp_path / "absent.bin.gz", cache_dir=tmp_path)


# -- cache and command line ---------------------------------------------------------------------
def test_cache_converts_once(tmp_path):
    assert is_katago_model("x/kata1-b18.bin.gz") and not is_katago_model("x/net.onnx")
    path = _write(tmp_path, dump_model(random_model(11)), "a.bin.gz")
    cache = tmp_path / "cache"
    first = converted_path(path, cache_dir=cache)
    assert first.parent == cache and first.name.startswith(load_model(path).sha256)
    stamp = first.stat().st_mtime_ns
    assert converted_path(path, cache_dir=cache) == first
    assert first.stat().st_mtime_ns == stamp
    same = tmp_path / "renamed.bin.gz"
    same.write_bytes(path.read_bytes())
    assert converted_path(same, cache_dir=cache) == first
    other = _write(tmp_path, dump_model(random_model(11, seed=9)), "b.bin.gz")
    assert converted_path(other, cache_dir=cache) != first
    assert sorted(p.suffix for p in cache.iterdir()) == [".onnx", ".onnx"]


def test_cached_conversion_does_not_import_onnx(tmp_path):
    """Finding a cached conversion must not import onnx: that import holds the GIL for a second or
    more, and the status net is looked up in a background thread while the GTP thread answers."""
    path = _write(tmp_path, dump_model(random_model(11)), "a.bin.gz")
    cache = tmp_path / "cache"
    first = converted_path(path, cache_dir=cache)
    code = ("import sys; from engine.katago.cache import converted_path; "
            f"p = converted_path({str(path)!r}, cache_dir={str(cache)!r}); "
            "print(p.name, 'onnx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [first.name, "False"]


def test_import_katago_command(tmp_path):
    path = _write(tmp_path, dump_model(random_model(13)), "tiny.bin.gz")
    out = tmp_path / "tiny.onnx"
    result = CliRunner().invoke(import_katago_command, [str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _session(out).get_modelmeta().custom_metadata_map["katago_model_version"] == "13"
    bad = _write(tmp_path, b"not a net", "bad.bin.gz")
    result = CliRunner().invoke(import_katago_command, [str(bad), "-o", str(out)])
    assert result.exit_code != 0 and "bad.bin.gz" in result.output


def test_conversion_does_not_import_torch(tmp_path):
    path = _write(tmp_path, dump_model(random_model(14)), "tiny.bin.gz")
    code = ("import sys; from gtp.cli import main; sys.argv = ['zerogo', 'import-katago', "
            f"{str(path)!r}, '-o', {str(tmp_path / 'x.onnx')!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "assert 'torch' not in sys.modules, 'torch imported'\nprint('ok')")
    env = dict(os.environ, ZEROGO_ONNX_CACHE=str(tmp_path / "cache"))
    res = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                         text=True, timeout=120, env=env, cwd=os.getcwd())
    assert res.returncode == 0 and "ok" in res.stdout, res.stderr
