"""Shared test configuration: a derandomized hypothesis profile, so CI runs are reproducible
(`HYPOTHESIS_PROFILE=default pytest` overrides it locally), and the `lib`/`torch` fixtures.

Tests taking `lib` run once on chainrule and once on torch: the torch run proves that what the
test expects is torch's behaviour. Tests taking `torch` compare numbers from both; both
fixtures skip only when torch is not installed.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

import chainrule

settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(params=["chainrule", "torch"])
def lib(request):
    if request.param == "torch":
        return pytest.importorskip("torch")
    return chainrule


@pytest.fixture
def torch():
    return pytest.importorskip("torch")
