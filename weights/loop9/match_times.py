"""Per-engine move times and results from zerogo match SGFs: python match_times.py DIR..."""
import re, sys, glob
from sgfmill import sgf
z_times, g_times, res = [], [], []
for d in sys.argv[1:]:
    for f in sorted(glob.glob(d + "/game*.sgf")):
        game = sgf.Sgf_game.from_bytes(open(f, "rb").read())
        root = game.get_root()
        zc = "b" if "zerogo" in root.get("PB") else "w"
        reason = re.search(r"game \d+: (\w+)", root.get("C")).group(1)
        r = root.get("RE")
        res.append((f, zc, r, reason, r[0].lower() == zc))
        for node in game.get_main_sequence()[1:]:
            c, mv = node.get_move()
            if c is None or not node.has_property("C"):
                continue
            m = re.search(r"time ([0-9.]+) s", node.get("C"))
            if m:
                (z_times if c == zc else g_times).append(float(m.group(1)))
w = sum(x[4] for x in res)
print(f"games {len(res)} zerogo wins {w} losses {len(res)-w}")
print("zerogo wins as black", sum(1 for x in res if x[4] and x[1]=='b'), "as white", sum(1 for x in res if x[4] and x[1]=='w'))
from collections import Counter
print("end reasons", Counter(x[3] for x in res))
for name, t in (("zerogo", z_times), ("gnugo", g_times)):
    t.sort()
    print(f"{name}: moves {len(t)} mean {sum(t)/len(t):.2f} s median {t[len(t)//2]:.2f} max {t[-1]:.2f} >1.5s {sum(x>1.5 for x in t)}")
