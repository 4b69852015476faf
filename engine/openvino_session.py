"""OpenVINO's CPU plugin behind the part of ``onnxruntime.InferenceSession`` the evaluator uses.

Needs ``pip install 'zerogo[cpu-fast]'``; ``engine.runtimes`` opens it for the
``openvino`` settings (fp32, bf16, int8).

Static shapes: zerogo's nets are exported with a dynamic batch and board
(``N``, ``H``, ``W``), and OpenVINO's CPU plugin runs a dynamic-shape model
well below its static-shape speed on small nets (b6c64, 19x19, bf16, batch
16: 25% more time a position; the gap grows when the batch size changes
from call to call, as a search's does). So each call runs a copy compiled
for its board and a batch size from ``BATCH_BUCKETS``, the batch padded with
zeros up to it and the outputs cut back. A copy compiles in a fraction of a
second, made when a shape is first seen; the most recent ``MAX_COMPILED``
are kept. Batches above the largest bucket, and models that refuse a static
shape, run the dynamic model. So do nets larger than ``STATIC_MAX_BYTES``:
they are bound by their arithmetic, not by the per-layer cost of a dynamic
shape (KataGo's b15c192, 19x19, batch 32: within 5%), and every copy holds
its weights again (about 40 MB each for that net).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

OV_PRECISION = {"fp32": "f32", "bf16": "bf16", "int8": "f32"}
# batch sizes a static copy is compiled for: padding wastes at most a third of a run
BATCH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
MAX_COMPILED = 12
STATIC_MAX_BYTES = 16 << 20     # an ONNX file up to this size gets static copies (b10c128: 12.6 MB)


class _Meta:
    def __init__(self, meta: dict):
        self.custom_metadata_map = meta


class _Arg:
    def __init__(self, name: str, shape, type_: str = "tensor(float)"):
        self.name, self.shape, self.type = name, shape, type_


def batch_bucket(n: int) -> int | None:
    """The smallest static batch size that holds ``n`` positions (None: above the largest)."""
    return next((b for b in BATCH_BUCKETS if b >= n), None)


class OpenVinoSession:
    """OpenVINO's CPU plugin behind the part of ``onnxruntime.InferenceSession`` the evaluator uses."""

    def __init__(self, path: Path, precision: str, threads: int, meta: dict, static_shapes: bool = True):
        import openvino as ov
        self.core = ov.Core()
        self.path = str(path)
        self.model = self.core.read_model(self.path)
        self.config = {"INFERENCE_PRECISION_HINT": OV_PRECISION[precision], "PERFORMANCE_HINT": "LATENCY",
                       "NUM_STREAMS": "1", "ENABLE_CPU_PINNING": "NO"}
        if threads:
            self.config["INFERENCE_NUM_THREADS"] = str(threads)
        self.precision, self.meta = precision, meta
        self.static_shapes = static_shapes and Path(path).stat().st_size <= STATIC_MAX_BYTES
        self._inputs = [i.get_any_name() for i in self.model.inputs]
        # every name of each output -> its position among the outputs (the same in every compiled copy)
        self._outputs = {name: k for k, o in enumerate(self.model.outputs) for name in o.get_names()}
        self._compiled: OrderedDict = OrderedDict()     # (batch, feed shapes after the batch) -> request
        self._dynamic = None

    def get_providers(self) -> list[str]:
        """One name, like ONNX Runtime's provider list."""
        return [f"OpenVINO CPU {self.precision}"]

    def get_modelmeta(self) -> _Meta:
        """The source file's metadata (as checked by the evaluator)."""
        return _Meta(self.meta)

    def get_inputs(self) -> list[_Arg]:
        """Input names and shapes (None where the model's dimension is dynamic)."""
        return [_Arg(i.get_any_name(), [d.get_length() if d.is_static else None
                                        for d in i.get_partial_shape()]) for i in self.model.inputs]

    def get_outputs(self) -> list[_Arg]:
        """Output names."""
        return [_Arg(name, None) for name in self._outputs]  # every name of each output

    def run(self, names, feeds: dict) -> list[np.ndarray]:
        """Outputs ``names`` for ``feeds`` (copied: the request reuses its buffers)."""
        request, feeds, n = self._request(feeds)
        result = request.infer(feeds)     # the calling thread works too (no hand-over to OpenVINO's threads)
        return [np.array(result[self._outputs[name]][:n]) for name in names]

    def start(self, names, feeds: dict):
        """Begin a run on OpenVINO's threads; returns a function that waits and gives ``run``'s outputs.

        Wait before the next ``start``: runs of one batch bucket share a request.
        """
        request, feeds, n = self._request(feeds)
        request.start_async(feeds)

        def wait() -> list[np.ndarray]:
            request.wait()
            return [np.array(request.get_output_tensor(self._outputs[name]).data[:n]) for name in names]
        return wait

    def _request(self, feeds: dict):
        """(request, feeds padded to its batch, positions) for a call: a static copy, else the dynamic model."""
        n = len(next(iter(feeds.values())))
        bucket = batch_bucket(n) if self.static_shapes else None
        request = self._static_request(bucket, feeds) if bucket is not None else None
        if request is None:
            return self._dynamic_request(), feeds, n
        if bucket != n:
            feeds = {k: _pad_batch(v, bucket) for k, v in feeds.items()}
        return request, feeds, n

    def _static_request(self, bucket: int, feeds: dict):
        """The request compiled for ``bucket`` positions of the feeds' shapes (None: refused)."""
        key = (bucket,) + tuple(tuple(feeds[name].shape[1:]) for name in self._inputs)
        request = self._compiled.get(key)
        if request is not None:
            self._compiled.move_to_end(key)
            return request
        model = self.model.clone()
        try:
            model.reshape({name: [bucket, *feeds[name].shape[1:]] for name in self._inputs})
            request = self.core.compile_model(model, "CPU", self.config).create_infer_request()
        except (RuntimeError, KeyError) as exc:
            log.info("OpenVINO: no static copy of %s (%s); running its dynamic shape",
                     Path(self.path).name, str(exc).strip().splitlines()[0][:200])
            self.static_shapes = False
            return None
        self._compiled[key] = request
        if len(self._compiled) > MAX_COMPILED:
            self._compiled.popitem(last=False)
        return request

    def _dynamic_request(self):
        """The request of the model as exported (dynamic shapes), compiled on first use."""
        if self._dynamic is None:
            self._dynamic = self.core.compile_model(self.model, "CPU", self.config).create_infer_request()
        return self._dynamic


def _pad_batch(array: np.ndarray, size: int) -> np.ndarray:
    """``array`` with zero rows appended along the batch axis up to ``size`` rows."""
    out = np.zeros((size, *array.shape[1:]), array.dtype)
    out[:len(array)] = array
    return out
