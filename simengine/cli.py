"""The ``simengine`` command. It only wraps :mod:`simengine.api`.

Only click is imported at start-up, so ``simengine --help`` is instant; every command imports
what it needs. User errors print as ``PATH:LINE:COL: field: message`` and exit with status 2
(130 for Ctrl-C) without a traceback; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from contextlib import ExitStack

import click

__all__ = ["main"]

_DEBUG = False


def _version() -> str:
    from simengine import __version__

    return __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(version=None, package_name="simengine", prog_name="simengine",
                      message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--plugin", "plugins", multiple=True, metavar="FILE|MODULE",
              help="Import a Python file or module that registers domains or renderers.")
def cli(debug: bool, plugins: Sequence[str]) -> None:
    """simengine: declarative scenarios → Monte Carlo simulation → labeled corpora."""
    global _DEBUG
    _DEBUG = debug
    if plugins:
        from simengine import api

        for plugin in plugins:
            api.load_plugin(plugin)


@cli.command()
@click.argument("scenario")
@click.option("--runs", "-n", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Number of Monte Carlo runs.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Root seed: same scenario + seed → byte-identical data files.")
@click.option("--out", "-o", default=None, help="Corpus folder or fsspec URL [default: out/NAME].")
@click.option("--workers", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: CPU count].")
@click.option("--shard-size", type=click.IntRange(min=1), default=None,
              help="Runs per shard file [default: the domain's constant].")
@click.option("--resume", is_flag=True, help="Finish or extend the corpus already in --out.")
@click.option("--force", is_flag=True, help="Replace what is in --out; ignore the disk check.")
@click.option("--output", "outputs", multiple=True, metavar="NAME",
              help="Add a stream or preset to record (repeatable).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a field by dotted path, e.g. weather.road=wet (repeatable).")
@click.option("--dry-run", is_flag=True, help="Print estimated rows, bytes and time; run nothing.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def run(scenario: str, runs: int, seed: int, out: str | None, workers: int | None,
        shard_size: int | None, resume: bool, force: bool, outputs: Sequence[str],
        overrides: Sequence[str], dry_run: bool, quiet: bool) -> None:
    """Run SCENARIO (a file or a built-in name) into a corpus."""
    if runs > 1 and workers != 1 and not dry_run:
        from simengine.runner.backends import start_fork_server

        # the workers' fork server loads the runner (about 2 s of imports and Numba set-up)
        # on the other core while this process validates the scenario
        start_fork_server()
    with ExitStack() as ahead:
        if not dry_run:  # a cold Numba cache: compile helpers on the other core from now on
            from simengine.runner.warmup import compile_ahead

            ahead.enter_context(compile_ahead(scenario))
        _run(scenario, runs, seed, out, workers, shard_size, resume, force, outputs, overrides,
             dry_run, quiet)


def _run(scenario: str, runs: int, seed: int, out: str | None, workers: int | None,
         shard_size: int | None, resume: bool, force: bool, outputs: Sequence[str],
         overrides: Sequence[str], dry_run: bool, quiet: bool) -> None:
    from simengine import api
    from simengine.errors import CorpusError

    scn = api.load_scenario(scenario, overrides=overrides, outputs=outputs)
    for warning in scn.warnings:
        click.echo(f"warning: {warning}", err=True)
    out = out or f"out/{scn.name}"
    if dry_run:
        est = api.dry_run(scn, out=out, runs=runs, seed=seed, workers=workers)
        click.echo(f"{scn.name}: {runs:,} runs (estimated from a {est.pilot_runs}-run pilot)")
        for table, rows in est.rows.items():
            click.echo(f"  {table:<20} {rows:>14,} rows")
        click.echo(f"  {'size':<20} {_bytes(est.bytes):>14}")
        click.echo(f"  {'time':<20} {est.seconds:>13.1f}s")
        if est.free_bytes is not None:
            click.echo(f"  {'free disk':<20} {_bytes(est.free_bytes):>14}")
        if not est.fits and not force:
            raise CorpusError(
                f"estimated size {_bytes(est.bytes)} exceeds the free disk "
                f"({_bytes(est.free_bytes or 0)}); pass --force to run anyway",
                file=out,
            )
        return
    if not quiet:
        click.echo(f"{scn.name}: {runs:,} runs, seed {seed} → {out}", err=True)
        if scn.domain.kernels_cold():  # otherwise a long silence before the progress bar moves
            click.echo(f"compiling the {scn.domain.name} domain's kernels first: once after "
                       "simengine is installed or edited, then they load from the cache",
                       err=True)
    summary = api.run(scn, out=out, runs=runs, seed=seed, workers=workers,
                      shard_size=shard_size, resume=resume, force=force,
                      progress=not quiet and sys.stderr.isatty())
    kept = summary.shards_total - summary.shards_run
    click.echo(
        f"wrote {summary.runs_simulated:,} runs in {summary.shards_run} shards"
        + (f" (kept {kept} verified shards)" if kept else "")
        + f" to {summary.out} in {summary.wall_s:.1f}s ({summary.runs_per_s:,.0f} runs/s)"
    )
    for label, counts in summary.label_counts.items():
        total = sum(counts.values()) or 1
        parts = ", ".join(f"{k} {v:,} ({100 * v / total:.2f}%)" for k, v in counts.items())
        click.echo(f"  {label}: {parts}")


@cli.command()
@click.argument("corpus")
@click.option("--runs", "runs_text", required=True, metavar="LIST",
              help="Runs to render: 17,423 or ranges 0-9 (inclusive).")
@click.option("--output", required=True, metavar="PRESET",
              help="A rendering preset: a built-in name (dashcam-1280) or a preset file.")
@click.option("--name", default=None, help="Folder inside the corpus [default: the preset name].")
@click.option("--force", is_flag=True, help="Replace an earlier re-render in the same folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def render(corpus: str, runs_text: str, output: str, name: str | None, force: bool,
           quiet: bool) -> None:
    """Render chosen runs of an existing CORPUS into a folder of their own."""
    from simengine import api
    from simengine.runner.rerender import parse_runs

    runs = parse_runs(runs_text)
    bar = _progress(len(runs), enabled=not quiet and sys.stderr.isatty(), unit="run")
    try:
        summary = api.render(corpus, runs, output, name=name, force=force,
                             progress=lambda done, total: bar.update(done - bar.n))
    finally:
        bar.close()
    click.echo(f"rendered {summary.frames:,} frames of {len(summary.runs):,} runs "
               f"({summary.files:,} files) to {summary.folder} in {summary.seconds:.1f}s")


def _progress(total: int, *, enabled: bool, unit: str):
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, disable=not enabled, file=sys.stderr, dynamic_ncols=True)


def _bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


@cli.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: Sequence[str]) -> None:
    """Validate scenario FILES (or built-in names); print every problem."""
    from simengine import api
    from simengine.errors import ScenarioError

    report = api.validate(files)
    problems = [p for ps in report.values() for p in ps]
    for name, ps in report.items():
        if not ps:
            click.echo(f"{name}: ok")
    if problems:
        raise ScenarioError(problems=problems)


@cli.command(name="list")
def list_() -> None:
    """Domains, renderers, streams, built-in scenarios and presets."""
    from simengine import api

    for section, rows in api.components().items():
        click.echo(f"{section}:")
        if not rows:
            click.echo("  (none)")
        width = max((len(name) for name, _ in rows), default=0)
        for name, text in rows:
            click.echo(f"  {name:<{width}}  {text}".rstrip())


@cli.command()
@click.option("--domain", default=None, help="Fill in this domain's world: and labels:.")
def schema(domain: str | None) -> None:
    """Print the JSON Schema of scenario files."""
    from simengine import api

    click.echo(json.dumps(api.scenario_schema(domain), indent=2))


def _add_commands() -> None:
    """Commands that live beside their feature (they import only click at load time)."""
    from simengine.audit.cli import audit

    cli.add_command(audit, name="audit")


_add_commands()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the command, turn user errors into located messages and exit codes."""
    from simengine.errors import UserError

    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserError as exc:
        if _DEBUG:
            raise
        click.echo(exc.format(), err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if _DEBUG:
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                   "(this is a bug in simengine; rerun with --debug for the traceback)", err=True)
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
