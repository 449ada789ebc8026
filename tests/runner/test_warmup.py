"""The command line starts compiling a cold domain's kernel helpers before loading the
scenario, and does nothing when it cannot tell or need not."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import pytest

from simengine.domains import DOMAINS
from simengine.jit import BackgroundCompile, Specialisation
from simengine.runner.warmup import compile_ahead
from tests.conftest import APPROACH
from tests.support.dummy_domain import DummyDomain

HELPERS = (Specialisation("math", "first", "(float64,)"),
           Specialisation("math", "second", "(float64,)"))


class ColdDomain(DummyDomain):
    """The dummy domain, claiming cold kernels with two helpers."""

    def kernels_cold(self) -> bool:
        return True

    def kernel_helpers(self) -> tuple[Specialisation, ...]:
        return HELPERS


class ColdNoHelpers(DummyDomain):
    """The dummy domain, claiming cold kernels and listing none to compile ahead."""

    def kernels_cold(self) -> bool:
        return True


@pytest.fixture
def cold_domain():
    DOMAINS.register("cold-probe", "tests.runner.test_warmup:ColdDomain")
    yield
    DOMAINS.unregister("cold-probe")


def test_a_cold_domain_gets_its_helpers_compiled_last_first(cold_domain, tmp_path: Path) -> None:
    path = tmp_path / "cold.yaml"
    path.write_text(APPROACH.read_text().replace("domain: dummy", "domain: 'cold-probe'"))
    ahead = compile_ahead(str(path))
    assert isinstance(ahead, BackgroundCompile)
    assert [s["function"] for s in ahead.specs] == ["second", "first"]


def test_warm_unknown_or_unreadable_scenarios_start_nothing(tmp_path: Path) -> None:
    assert isinstance(compile_ahead(str(APPROACH)), nullcontext)  # the dummy domain is warm
    (tmp_path / "odd.yaml").write_text("domain: no-such-domain\n")
    assert isinstance(compile_ahead(str(tmp_path / "odd.yaml")), nullcontext)
    assert isinstance(compile_ahead(str(tmp_path / "missing.yaml")), nullcontext)
    assert isinstance(compile_ahead("no-such-builtin"), nullcontext)


def test_a_nested_background_compile_starts_no_second_child() -> None:
    with BackgroundCompile(HELPERS) as outer, BackgroundCompile(HELPERS) as inner:
        assert outer.process is not None
        assert inner.process is None
    assert outer.process.poll() is not None  # stopped when the body ended


@pytest.mark.parametrize(("quiet", "said"), [(False, True), (True, False)])
def test_the_command_line_says_when_it_compiles_first(tmp_path: Path, quiet: bool,
                                                      said: bool) -> None:
    from click.testing import CliRunner

    from simengine.cli import cli

    DOMAINS.register("cold-quiet", "tests.runner.test_warmup:ColdNoHelpers")
    try:
        path = tmp_path / "cold.yaml"
        path.write_text(APPROACH.read_text().replace("domain: dummy", "domain: 'cold-quiet'"))
        args = ["run", str(path), "--runs", "3", "--workers", "1", "--out", str(tmp_path / "o"),
                "--set", "outputs=[]"]
        result = CliRunner().invoke(cli, args + (["-q"] if quiet else []))
    finally:
        DOMAINS.unregister("cold-quiet")
    assert result.exit_code == 0, result.output
    message = "compiling the dummy domain's kernels first"  # (its name, not the registry's)
    assert (message in result.stderr) is said
    assert "wrote 3 runs" in result.stdout
