import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

# Randomised tests must never make CI flaky: the default profile (also CI's) is derandomised (the same
# examples on every run and machine), keeps no example database and has no deadline. The opt-in
# ``explore`` profile (HYPOTHESIS_PROFILE=explore) draws fresh random examples, many more of them (see
# helpers.examples), and prints how to reproduce a failure.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", derandomize=False, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
