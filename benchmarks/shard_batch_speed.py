"""Milliseconds to build one training batch: ``ShardSet.batch`` against ``sample`` row by row.

A GPU training step waits for its batch (``nets.train`` builds it in the
training process), so this is the floor under a step's time there. Both
ways are timed on the same batches of one epoch plan, alternating, after
every shard has been loaded.

Example (the figures in weights/README.md)::

    python benchmarks/shard_batch_speed.py weights/distil19/data/run7 weights/distil19/data/run9 \\
        weights/distil19/data/dagger1 --batches 60
"""

from __future__ import annotations

import time

import click

from nets.shards import ShardSet, epoch_plan, list_shards


@click.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--batch-size", default=256, show_default=True)
@click.option("--batches", default=60, show_default=True, help="Batches timed each way.")
def main(folders, batch_size, batches):
    """Time ShardSet.batch against sample() row by row on the shards in FOLDERS."""
    shards = ShardSet(list_shards(*folders))
    plan = epoch_plan(shards.lengths, shards.sizes, 0, 0, batch_size)
    for i in range(len(shards.paths)):
        shards.shard(i)
    spent = {"batch": 0.0, "row by row": 0.0}
    for items in plan[:batches]:
        for name, make in (("batch", shards.batch), ("row by row", shards.batch_row_by_row)):
            start = time.perf_counter()
            make(items)
            spent[name] += time.perf_counter() - start
    n = min(batches, len(plan))
    print(f"{len(shards.paths)} shards, {sum(shards.lengths)} positions, {n} batches of {batch_size}")
    for name, seconds in spent.items():
        print(f"  {name:>10}: {1000 * seconds / n:6.1f} ms a batch")
    print(f"  speed-up: {spent['row by row'] / spent['batch']:.2f}x")


if __name__ == "__main__":
    main()
