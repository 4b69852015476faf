"""Speed benchmarks that need no torch (board, the search's measuring parts).

Order: engine ← gtp.server, gtp.match ← gtp.bench (torch benchmarks live in nets/).
"""
