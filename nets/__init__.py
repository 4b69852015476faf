"""zerogo's offline training package (PyTorch): model, data, trainer, export, self-play, loop, ratings.

Order: engine ← gtp ← nets; nets may import both, plus torch and the training extras.
"""
