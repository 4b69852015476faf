"""The GTP engine: protocol framing, the command table by area (core, setup, time, analysis, GoGui), the player.

Order: engine ← gtp.server.
"""
