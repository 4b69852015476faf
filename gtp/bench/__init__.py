"""Speed benchmarks that need no torch (board, search parts). Order: engine ← gtp.server/gtp.match ← gtp.bench."""
