"""Build an ONNX graph from a parsed KataGo network (``onnx.helper`` only: no torch).

The graph follows zerogo's evaluator contract (``engine/evaluator.py``) and adds
KataGo's own outputs, all already post-processed the way KataGo's ``nneval``
does it, from the point of view of the side to move:

inputs
  ``planes [N, 22, H, W]``  KataGo's V7 spatial features; plane 0 is the
                            on-board mask (1 on the board, 0 off it), which
                            the graph uses for masking and global pooling, so
                            a board smaller than H x W works like in KataGo;
  ``globals [N, 19]``       KataGo's V7 global features (index 6: ko rule is
                            not simple, index 9: territory scoring; these two
                            decide, as in KataGo, whether "no result" is possible).
outputs (N, H, W dynamic)
  ``policy_logits [N, H*W+1]``  policy logits, row-major points then pass: for
                                version 12+ nets KataGo's mix of its two policy
                                channels, main + 0.2 * (optimistic - main) (0.2 is
                                KataGo's root policy optimism, the policy that
                                ``kata-raw-nn`` prints; metadata ``policy_optimism``);
                                the only channel before version 12;
  ``policy_optimistic_logits [N, H*W+1]``  the optimistic channel alone (v12+;
                                the main one again before);
  ``value [N]``                 P(win) - P(loss), in [-1, 1];
  ``score_lead [N]``            points the side to move leads by;
  ``ownership [N, H, W]``       tanh ownership, +1 = the side to move's, 0 off board;
  ``wdl [N, 3]``                P(win), P(loss), P(no result);
  ``score_mean [N]``            KataGo's self-play score mean ("scoreSelfplay");
  ``score_stdev [N]``           its standard deviation;
  ``var_time_left [N]``, ``shortterm_winloss_error [N]``, ``shortterm_score_error [N]``
                                KataGo's auxiliary estimates (-1 before version 9,
                                as KataGo reports them).

Metadata: ``feature_set`` (``katago-v7``), ``feature_version`` (the same, so an
engine that only knows zerogo's own features refuses the file clearly),
``katago_model_version``, ``source_file``, ``source_sha256``, ``config`` (the
model's name), ``board_sizes`` (``any``: the net is fully convolutional),
``training_step`` (samples in the name), ``provenance``, ``precision``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from engine.katago.layers import (
    Activation,
    BatchNorm,
    Conv,
    GlobalPoolingBlock,
    KataModel,
    NestedBottleneckBlock,
    OrdinaryBlock,
)

OPSET = 18
# KataGo's root policy optimism (its default rootPolicyOptimism; what kata-raw-nn prints)
POLICY_OPTIMISM = 0.2
FEATURE_SET = "katago-v7"
INPUT_NAMES = ("planes", "globals")
OUTPUT_NAMES = ("policy_logits", "value", "score_lead", "ownership")
KATAGO_OUTPUT_NAMES = ("policy_optimistic_logits", "wdl", "score_mean", "score_stdev",
                       "var_time_left", "shortterm_winloss_error", "shortterm_score_error")
OUTPUT_SHAPES = {"policy_logits": ["N", "moves"], "policy_optimistic_logits": ["N", "moves"],
                 "ownership": ["N", "H", "W"], "wdl": ["N", 3]}
# How Mish, x * tanh(softplus(x)), is written: "sigmoid" (the default: x * n / (2 - n),
# n = s * (2 - s), s = sigmoid(x); same values to 2e-6), "softplus" (literally), or
# "op" (ONNX's Mish operator). Measured on the b18c384nbt net, 19x19, 2 threads:
# see benchmarks/katago_nn_speed.py --mish.
MISH_FORMS = ("sigmoid", "softplus", "op")
NUM_SPATIAL = 22
NUM_GLOBAL = 19
KO_NOT_SIMPLE, TERRITORY_SCORING = 6, 9  # indices in the V7 globals


class _Graph:
    """Accumulates ONNX nodes and initializers with unique names."""

    def __init__(self, mish: str):
        self.nodes: list = []
        self.inits: list = []
        self.count = 0
        if mish not in MISH_FORMS:
            raise ValueError(f"mish form {mish!r}: use one of {', '.join(MISH_FORMS)}")
        self.mish = mish
        self.consts: dict = {}

    def name(self, hint: str) -> str:
        """A fresh tensor name."""
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, array, hint: str = "c") -> str:
        """An initializer holding ``array`` (float32 unless it is an integer array)."""
        arr = np.asarray(array)
        arr = arr.astype(np.int64 if arr.dtype.kind in "iu" else np.float32)
        key = (arr.dtype.str, arr.shape, arr.tobytes()) if arr.size <= 8 else None
        if key is not None and key in self.consts:
            return self.consts[key]
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(arr, name))
        if key is not None:
            self.consts[key] = name
        return name

    def op(self, op_type: str, inputs: list, hint: str | None = None, **attrs) -> str:
        """Add one single-output node; returns its output name."""
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def act(self, x: str, act: Activation) -> str:
        """Apply a KataGo activation."""
        if act.kind == "relu":
            return self.op("Relu", [x])
        if act.kind == "mish":
            if self.mish == "op":
                return self.op("Mish", [x])
            if self.mish == "softplus":
                return self.op("Mul", [x, self.op("Tanh", [self.op("Softplus", [x])])], "mish")
            # tanh(softplus(x)) = n / (2 - n) with n = s * (2 - s), s = sigmoid(x): one
            # vectorised transcendental instead of Softplus, which ONNX Runtime's CPU kernel
            # computes slowly (37% of the b18c384nbt net's time; this form: see MISH_FORMS)
            s = self.op("Sigmoid", [x])
            n = self.op("Mul", [s, self.op("Sub", [self.const(np.float32(2.0)), s])])
            t = self.op("Div", [n, self.op("Sub", [self.const(np.float32(2.0)), n])])
            return self.op("Mul", [x, t], "mish")
        return x


class _Builder:
    """Lowers a KataModel's layers to ONNX nodes."""

    def __init__(self, model: KataModel, mish: str, optimism: float):
        self.m = model
        self.optimism = optimism
        self.g = _Graph(mish)

    # -- primitives ---------------------------------------------------------------------
    def conv(self, x: str, conv: Conv, mul=None, add=None) -> str:
        """Convolution with 'same' zero padding; ``mul``/``add`` fold a following affine."""
        w = conv.weight.astype(np.float64)
        if mul is not None:
            w = w * mul[:, None, None, None]
        kh, kw = w.shape[2:]
        dy, dx = conv.dilation
        py, px = dy * (kh // 2), dx * (kw // 2)
        inputs = [x, self.g.const(w, "w")]
        if add is not None:
            inputs.append(self.g.const(add, "b"))
        return self.g.op("Conv", inputs, "conv", kernel_shape=[kh, kw], pads=[py, px, py, px],
                         dilations=[dy, dx])

    def affine(self, x: str, bn: BatchNorm) -> str:
        """A batch norm as x * mul + add."""
        mul, add = bn.affine()
        x = self.g.op("Mul", [x, self.g.const(mul.reshape(1, -1, 1, 1), "bnmul")])
        return self.g.op("Add", [x, self.g.const(add.reshape(1, -1, 1, 1), "bnadd")])

    def masked_act(self, x: str, act: Activation) -> str:
        """Activation, then zero off the board (KataGo masks after every norm + activation)."""
        return self.g.op("Mul", [self.g.act(x, act), self.mask], "masked")

    def bn_act(self, x: str, bn: BatchNorm, act: Activation) -> str:
        """Batch norm, activation, mask."""
        return self.masked_act(self.affine(x, bn), act)

    def matmul(self, x: str, weight: np.ndarray, mul=None) -> str:
        """Dense layer ``x [N, in] @ weight [in, out]`` (optionally scaling outputs by ``mul``)."""
        w = weight.astype(np.float64)
        if mul is not None:
            w = w * mul[None, :]
        return self.g.op("MatMul", [x, self.g.const(w, "mm")])

    def channel_bias(self, x: str, bias: str) -> str:
        """Add ``bias [N, C]`` to every point of ``x [N, C, H, W]``."""
        b = self.g.op("Unsqueeze", [bias, self.g.const(np.array([2, 3]))])
        return self.g.op("Add", [x, b])

    def pool_mean(self, x: str) -> str:
        """Mean over the board's points: ``[N, C]``."""
        s = self.g.op("ReduceSum", [x, self.axes_hw], keepdims=0)
        return self.g.op("Div", [s, self.area])

    def gpool(self, x: str) -> str:
        """KataGo's global pooling: mean, mean * (sqrt(area) - 14) / 10, max: ``[N, 3C]``."""
        mean = self.pool_mean(x)
        scaled = self.g.op("Mul", [mean, self.size_term])
        shifted = self.g.op("Add", [x, self.mask_minus_one])
        mx = self.g.op("ReduceMax", [shifted, self.axes_hw], keepdims=0)
        return self.g.op("Concat", [mean, scaled, mx], "gpool", axis=1)

    def value_pool(self, x: str) -> str:
        """Value-head pooling: mean, mean * s, mean * (s^2 - 0.1), s = (sqrt(area) - 14) / 10."""
        mean = self.pool_mean(x)
        a = self.g.op("Mul", [mean, self.size_term])
        b = self.g.op("Mul", [mean, self.size_term2])
        return self.g.op("Concat", [mean, a, b], "vpool", axis=1)

    # -- blocks ---------------------------------------------------------------------------
    def block(self, x: str, block) -> str:
        """One residual block of any kind; returns the new residual stream."""
        if isinstance(block, OrdinaryBlock):
            a = self.bn_act(x, block.pre_bn, block.pre_act)
            mul, add = block.mid_bn.affine()
            a = self.masked_act(self.conv(a, block.conv1, mul, add), block.mid_act)
            out = self.conv(a, block.conv2)
        elif isinstance(block, GlobalPoolingBlock):
            a = self.bn_act(x, block.pre_bn, block.pre_act)
            gmul, gadd = block.gpool_bn.affine()
            g = self.masked_act(self.conv(a, block.gpool_conv, gmul, gadd), block.gpool_act)
            mul, add = block.mid_bn.affine()
            r = self.conv(a, block.regular_conv, mul, add)
            r = self.channel_bias(r, self.matmul(self.gpool(g), block.gpool_to_bias.weight, mul))
            out = self.conv(self.masked_act(r, block.mid_act), block.final_conv)
        elif isinstance(block, NestedBottleneckBlock):
            a = self.bn_act(x, block.pre_bn, block.pre_act)
            inner = self.conv(a, block.pre_conv)
            for sub in block.blocks:
                inner = self.block(inner, sub)
            out = self.conv(self.bn_act(inner, block.post_bn, block.post_act), block.post_conv)
        else:  # pragma: no cover - the reader only makes the kinds above
            raise TypeError(f"unknown block {type(block).__name__}")
        return self.g.op("Add", [x, out], "res")

    # -- whole graph ----------------------------------------------------------------------
    def build(self) -> onnx.ModelProto:
        """The ONNX model for ``self.m``."""
        g, m = self.g, self.m
        planes = helper.make_tensor_value_info("planes", TensorProto.FLOAT,
                                               ["N", NUM_SPATIAL, "H", "W"])
        glob = helper.make_tensor_value_info("globals", TensorProto.FLOAT, ["N", NUM_GLOBAL])
        one = np.array([1])
        self.axes_hw = g.const(np.array([2, 3]))
        self.mask = g.op("Slice", ["planes", g.const(np.array([0])), g.const(one),
                                   g.const(one)], "mask")
        area4 = g.op("ReduceSum", [self.mask, self.axes_hw], keepdims=1)
        self.area = g.op("Reshape", [area4, g.const(np.array([-1, 1]))], "area")
        s = g.op("Sub", [g.op("Sqrt", [self.area]), g.const(np.float32(14.0))])
        self.size_term = g.op("Mul", [s, g.const(np.float32(0.1))], "size_term")
        sq = g.op("Mul", [self.size_term, self.size_term])
        self.size_term2 = g.op("Sub", [sq, g.const(np.float32(0.1))], "size_term2")
        self.mask_minus_one = g.op("Sub", [self.mask, g.const(np.float32(1.0))])

        t = m.trunk
        x = self.conv("planes", t.initial_conv)
        x = self.channel_bias(x, self.matmul("globals", t.initial_matmul.weight))
        for block in t.blocks:
            x = self.block(x, block)
        tip = self.bn_act(x, t.tip_bn, t.tip_act)

        outputs = self.policy(tip)
        outputs.update(self.value(tip))
        graph_outputs = []
        for name in OUTPUT_NAMES + KATAGO_OUTPUT_NAMES:
            g.nodes.append(helper.make_node("Identity", [outputs[name]], [name], name=name))
            graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                                               OUTPUT_SHAPES.get(name, ["N"])))
        graph = helper.make_graph(g.nodes, f"katago_{m.name}", [planes, glob], graph_outputs,
                                  g.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="zerogo import-katago")
        model.ir_version = min(model.ir_version, 9)
        return model

    def policy(self, tip: str) -> dict:
        """Policy head: main and optimistic logits ``[N, H*W+1]``."""
        g, h = self.g, self.m.policy
        gmul, gadd = h.g1_bn.affine()
        g1 = self.masked_act(self.conv(tip, h.g1_conv, gmul, gadd), h.g1_act)
        pooled = self.gpool(g1)
        mul, add = h.p1_bn.affine()
        p1 = self.conv(tip, h.p1_conv, mul, add)
        p1 = self.channel_bias(p1, self.matmul(pooled, h.gpool_to_bias.weight, mul))
        p2 = self.conv(self.masked_act(p1, h.p1_act), h.p2_conv)            # [N, P, H, W]
        flat = g.op("Reshape", [p2, g.const(np.array([0, h.channels, -1]))])
        passes = g.op("Unsqueeze", [self.matmul(pooled, h.gpool_to_pass.weight),
                                    g.const(np.array([2]))])                 # [N, P, 1]
        both = g.op("Concat", [flat, passes], axis=2)                         # [N, P, HW+1]
        main = g.op("Gather", [both, g.const(np.array(0))], "policy", axis=1)
        if h.channels == 1:
            return {"policy_logits": main, "policy_optimistic_logits": main}
        opt = g.op("Gather", [both, g.const(np.array(1))], "policy_opt", axis=1)
        # KataGo mixes the two channels' logits: main + optimism * (optimistic - main)
        delta = g.op("Mul", [g.op("Sub", [opt, main]), g.const(np.float32(self.optimism))])
        return {"policy_logits": g.op("Add", [main, delta], "policy_mixed"),
                "policy_optimistic_logits": opt}

    def value(self, tip: str) -> dict:
        """Value head: probabilities, scores and ownership, post-processed as KataGo does."""
        g, h, m = self.g, self.m.value, self.m
        mul, add = h.v1_bn.affine()
        v1 = self.masked_act(self.conv(tip, h.v1_conv, mul, add), h.v1_act)
        v2 = g.op("Add", [self.matmul(self.value_pool(v1), h.v2_mul.weight),
                          g.const(h.v2_bias.bias)])
        v2 = g.act(v2, h.v2_act)
        logits = g.op("Add", [self.matmul(v2, h.v3_mul.weight), g.const(h.v3_bias.bias)])
        # KataGo: "no result" is impossible unless the ko rule is simple or scoring is
        # territory; it subtracts 1e5 from that logit otherwise.
        ko = g.op("Gather", ["globals", g.const(np.array([KO_NOT_SIMPLE]))], axis=1)
        terr = g.op("Gather", ["globals", g.const(np.array([TERRITORY_SCORING]))], axis=1)
        no_nr = g.op("Mul", [ko, g.op("Sub", [g.const(np.float32(1.0)), terr])])   # [N, 1]
        penalty = g.op("Mul", [no_nr, g.const(np.array([[0.0, 0.0, 1e5]]))])
        wdl = g.op("Softmax", [g.op("Sub", [logits, penalty])], "wdl", axis=1)
        value = g.op("Sub", [self._pick(wdl, 0), self._pick(wdl, 1)], "value")
        has_result = g.op("Sub", [g.const(np.float32(1.0)), self._pick(wdl, 2)])

        sv = g.op("Add", [self.matmul(v2, h.sv3_mul.weight), g.const(h.sv3_bias.bias)])
        p = m.post

        def scaled(i, mult, conditional):
            out = g.op("Mul", [self._pick(sv, i), g.const(np.float32(mult))])
            return g.op("Mul", [out, has_result]) if conditional else out

        def softplus(i, mult, pre=1.0):
            x = self._pick(sv, i)
            if pre != 1.0:
                x = g.op("Mul", [x, g.const(np.float32(pre))])
            return g.op("Mul", [g.op("Softplus", [x]), g.const(np.float32(mult))])

        out = {"value": value, "wdl": wdl,
               "score_mean": scaled(0, p.score_mean, True),
               "score_stdev": softplus(1, p.score_stdev),
               "score_lead": scaled(2, p.lead, True)}
        if m.version >= 9:
            out["var_time_left"] = softplus(3, p.variance_time)
            if m.version >= 14:
                out["shortterm_winloss_error"] = softplus(4, np.sqrt(p.shortterm_value_error),
                                                          0.5)
                out["shortterm_score_error"] = softplus(5, np.sqrt(p.shortterm_score_error),
                                                        0.5)
            elif m.version >= 10:
                for key, i, mult in (("shortterm_winloss_error", 4, p.shortterm_value_error),
                                     ("shortterm_score_error", 5, p.shortterm_score_error)):
                    out[key] = g.op("Sqrt", [softplus(i, mult)])
            else:
                out["shortterm_winloss_error"] = softplus(4, 1.0)
                out["shortterm_score_error"] = softplus(5, 10.0)
        else:
            minus_one = g.op("Mul", [self._pick(sv, 0), g.const(np.float32(0.0))])
            minus_one = g.op("Sub", [minus_one, g.const(np.float32(1.0))])
            for key in ("var_time_left", "shortterm_winloss_error", "shortterm_score_error"):
                out[key] = minus_one
        own = g.op("Tanh", [self.conv(v1, h.ownership_conv)])
        own = g.op("Mul", [own, self.mask])
        out["ownership"] = g.op("Squeeze", [own, g.const(np.array([1]))], "ownership")
        return out

    def _pick(self, x: str, i: int) -> str:
        """Column ``i`` of ``x [N, K]`` as ``[N]``."""
        return self.g.op("Gather", [x, self.g.const(np.array(i))], axis=1)


def build_onnx(model: KataModel, mish: str = "sigmoid",
               policy_optimism: float = POLICY_OPTIMISM) -> onnx.ModelProto:
    """The ONNX graph (with metadata) for a parsed KataGo model."""
    proto = _Builder(model, mish, policy_optimism).build()
    meta = {
        "feature_set": FEATURE_SET,
        "feature_version": FEATURE_SET,
        "katago_model_version": str(model.version),
        "source_file": Path(model.source).name,
        "source_sha256": model.sha256,
        "config": model.name,
        "board_sizes": "any",
        "training_step": str(model.training_steps or 0),
        "provenance": (f"KataGo network {Path(model.source).name} (sha256 {model.sha256}), "
                       "converted by zerogo import-katago"),
        "precision": "fp32",
        "policy_optimism": str(policy_optimism if model.policy.channels > 1 else 0.0),
    }
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto


def write_onnx(model: KataModel, path, mish: str = "sigmoid",
               policy_optimism: float = POLICY_OPTIMISM) -> Path:
    """Convert ``model`` and save it at ``path`` (checked with ``onnx.checker``)."""
    proto = build_onnx(model, mish, policy_optimism)
    onnx.checker.check_model(proto)
    path = Path(path)
    onnx.save(proto, str(path))
    return path
