"""Registers the test-only domain and renderer (imported by conftest and the CLI wrapper)."""

from simengine.domains import DOMAINS
from simengine.renderers import RENDERERS

DOMAINS.register("dummy", "tests.support.dummy_domain:DummyDomain",
                 description="Test-only: a car closing on a stopped obstacle.")
RENDERERS.register("dummy-image", "tests.support.dummy_renderer:DummyRenderer",
                   description="Test-only: grey thumbnails.")
