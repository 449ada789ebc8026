"""``simengine audit CORPUS``: the leak audit from the command line (exit status 1 on a leak)."""

from __future__ import annotations

import click

__all__ = ["audit"]


@click.command()
@click.argument("corpus")
@click.option("--table", default="transactions", show_default=True,
              help="Table (folder) of the corpus to audit.")
@click.option("--label", default="is_fraud", show_default=True, help="Label column.")
@click.option("--max-rows", type=click.IntRange(min=100), default=50_000, show_default=True,
              help="Rows sampled (all positives up to half of them).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the sample and the folds.")
def audit(corpus: str, table: str, label: str, max_rows: int, seed: int) -> None:
    """Train quick classifiers (5-fold CV) on metadata-only columns and on every single column
    of CORPUS's TABLE, and report their AUC for LABEL."""
    import sys

    from simengine.audit import audit_corpus

    report = audit_corpus(corpus, table=table, label=label, max_rows=max_rows, seed=seed)
    click.echo(report.format())
    if not report.ok:
        sys.exit(1)
