"""Test-wide settings: only the Hypothesis profiles live here.

``HYPOTHESIS_PROFILE`` picks a profile; without it, ``CI=true`` selects "ci", anything else "dev".
"ci" is thorough and derandomized, so that a red build is reproducible and never flaky (a failure
still prints its reproduction blob); "dev" keeps Hypothesis' defaults for a fast, exploring run.
Neither has a deadline: tests have no wall-clock limits.
"""

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=500, deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
)
