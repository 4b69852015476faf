"""The GTP engine: protocol framing, the command table by area, the player behind it. Order: engine ← gtp.server."""
