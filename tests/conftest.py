"""Shared test configuration: a derandomized hypothesis profile, so CI runs are reproducible.

`HYPOTHESIS_PROFILE=default pytest` (or any registered profile) overrides it locally.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
