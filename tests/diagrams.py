"""Board diagrams shared by several test files."""

# Seki with an eye each: the inner white chain (C6-E8, eye D7) and the inner
# black chain (C2-E5, eye D3) share the liberty D5; neither may approach.
# The outer black group (eyes A9, G9) and outer white group (A1, G1) live.
SEKI_WITH_EYES = """
   A B C D E F G
 9 . X X X X X .  9
 8 X X O O O X X  8
 7 X X O . O X X  7
 6 X X O O O X X  6
 5 O O X . X O O  5
 4 O O X X X O O  4
 3 O O X . X O O  3
 2 O O X X X O O  2
 1 . O O O O O .  1
   A B C D E F G
"""
