import os

import numpy as np
import pytest

import braid as mx


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def pytest_report_header(config):
    return f"braid engine: {mx.engine_type()} (BRAID_ENGINE_TYPE={os.environ.get('BRAID_ENGINE_TYPE', '')})"
