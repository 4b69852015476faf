"""``zerogo import-katago MODEL.bin.gz -o NET.onnx``: convert a KataGo network to ONNX.

Needs only numpy and onnx (no torch). Without ``-o`` the network goes into the
conversion cache (``~/.cache/zerogo/onnx/<sha256>.onnx``) that
``zerogo gtp --network MODEL.bin.gz`` uses, and its path is printed.
"""

from __future__ import annotations

import time
from pathlib import Path

import click


@click.command("import-katago")
@click.argument("model_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="ONNX file to write (default: the conversion cache, path printed).")
@click.option("--mish-op/--no-mish-op", default=False, show_default=True,
              help="Use ONNX's Mish operator instead of x*tanh(softplus(x)).")
def import_katago_command(model_file: Path, output: Path | None, mish_op: bool):
    """Convert a KataGo network file (.bin.gz, .txt.gz; model versions 8-14) to ONNX."""
    from engine.katago.cache import converted_path
    from engine.katago.modelfile import KataModelError, load_model
    try:
        from engine.katago.onnx_build import write_onnx
    except ImportError as exc:
        raise click.ClickException(f"converting KataGo networks needs the 'onnx' package "
                                   f"({exc}): pip install onnx") from None

    start = time.perf_counter()
    try:
        if output is None:
            path = converted_path(model_file, mish_op=mish_op)
            click.echo(str(path))
            return
        model = load_model(model_file)
        write_onnx(model, output, mish_op=mish_op)
    except KataModelError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{model_file.name} (KataGo model version {model.version}, {model.name}) -> "
               f"{output} in {time.perf_counter() - start:.1f} s", err=True)
