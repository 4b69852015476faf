"""zerogo's offline training package (PyTorch): model, data, trainer, export, loop."""
