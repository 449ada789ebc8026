"""Loading models under test by entry point."""

from __future__ import annotations

import numpy as np
import pytest

from simengine.errors import UserError
from simengine.stress import ClosedLoopModel, OpenLoopModel, load_model


class Braker:
    """A closed-loop controller: brake hard when the gap is short."""

    def act(self, observation):
        return {"accel_mps2": np.where(observation["gap_m"] < 10, -6.0, 0.0)}


class Thresholder:
    def predict(self, batch):
        return {"pred_collision": np.asarray(batch.table["gap_m"]) < 1}


def test_load_closed_loop_model_and_drive_the_dummy_domain() -> None:
    from simengine.sampling.keys import RunKeys
    from simengine.scenario.scenario import load_scenario
    from tests.conftest import APPROACH

    model = load_model("tests.stress.test_models:Braker")
    assert isinstance(model, ClosedLoopModel)
    scn = load_scenario(APPROACH)
    keys = RunKeys.range(0, 0, 16)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    obs = scn.domain.reset(scn, params, keys)
    done = np.zeros(16, dtype=bool)
    for _ in range(200):
        obs, step_done = scn.domain.step(model.act(obs))
        done |= step_done
    assert done.all()
    assert (obs["speed_mps"] == 0).any()


def test_load_open_loop_model() -> None:
    assert isinstance(load_model("tests.stress.test_models:Thresholder"), OpenLoopModel)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("no_colon", "expected a model as package.module:Name"),
        ("tests.stress.nowhere:X", "cannot load model"),
        ("tests.stress.test_models:np", "neither predict(batch) nor act(observation)"),
    ],
)
def test_bad_models_are_user_errors(entry: str, message: str) -> None:
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_model(entry)
