"""Stone colours: ``BLACK = 1``, ``WHITE = -1``, ``EMPTY = 0``, so the opponent of ``c`` is ``-c``.

Defined here, below every other module of ``engine/``; ``engine.board`` and
the rest import them from ``engine.board`` as before.
"""

BLACK = 1
WHITE = -1
EMPTY = 0
