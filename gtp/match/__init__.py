"""The GTP client side: one client class, the referee, the match runner, the statistics.

Order: engine ← gtp.server (its parsers only) ← gtp.match.
"""
