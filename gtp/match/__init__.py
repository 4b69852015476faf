"""The GTP client side: one client class, the referee, the match runner, statistics. Order: engine ← gtp.server (parsers) ← gtp.match."""
