"""zerogo's playing core: rules, features, evaluator, search and time control (no torch).

Order: engine ← gtp ← nets; engine imports neither (stdlib, numpy, sgfmill; onnxruntime lazily).
"""
