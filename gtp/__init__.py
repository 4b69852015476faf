"""zerogo's GTP front end: the engine (server/), the client side and matches (match/), benchmarks (bench/), the CLI.

Order: engine ← gtp ← nets; gtp imports engine only (inside: server ← match ← bench).
"""
