"""OpenVINO's CPU plugin behind the part of ``onnxruntime.InferenceSession`` the evaluator uses.

Needs ``pip install 'zerogo[cpu-fast]'``; ``engine.runtimes`` opens it for the
``openvino`` settings (fp32, bf16, int8).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


OV_PRECISION = {"fp32": "f32", "bf16": "bf16", "int8": "f32"}


class _Meta:
    def __init__(self, meta: dict):
        self.custom_metadata_map = meta


class _Arg:
    def __init__(self, name: str, shape, type_: str = "tensor(float)"):
        self.name, self.shape, self.type = name, shape, type_


class OpenVinoSession:
    """OpenVINO's CPU plugin behind the part of ``onnxruntime.InferenceSession`` the evaluator uses."""

    def __init__(self, path: Path, precision: str, threads: int, meta: dict):
        import openvino as ov
        core = ov.Core()
        model = core.read_model(str(path))
        config = {"INFERENCE_PRECISION_HINT": OV_PRECISION[precision], "PERFORMANCE_HINT": "LATENCY",
                  "NUM_STREAMS": "1", "ENABLE_CPU_PINNING": "NO"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = str(threads)
        self.compiled = core.compile_model(model, "CPU", config)
        self.request = self.compiled.create_infer_request()
        self.precision, self.meta = precision, meta
        self._outputs = {name: o for o in self.compiled.outputs for name in o.get_names()}

    def get_providers(self) -> list[str]:
        """One name, like ONNX Runtime's provider list."""
        return [f"OpenVINO CPU {self.precision}"]

    def get_modelmeta(self) -> _Meta:
        """The source file's metadata (as checked by the evaluator)."""
        return _Meta(self.meta)

    def get_inputs(self) -> list[_Arg]:
        """Input names and shapes."""
        return [_Arg(i.get_any_name(), [d.get_length() if d.is_static else None
                                        for d in i.get_partial_shape()]) for i in self.compiled.inputs]

    def get_outputs(self) -> list[_Arg]:
        """Output names."""
        return [_Arg(name, None) for name in self._outputs]  # every name of each output

    def run(self, names, feeds: dict) -> list[np.ndarray]:
        """Outputs ``names`` for ``feeds`` (copied: the request reuses its buffers)."""
        result = self.request.infer(feeds)
        return [np.array(result[self._outputs[n]]) for n in names]
