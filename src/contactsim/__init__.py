"""contactsim: discrete-event simulation of differentiated contact-centre service.

The Python API in four calls::

    import contactsim as cs
    sc = cs.load_scenario("scenarios/retail_bank.yaml", {"pools.general_phone.discipline.type": "fcfs"})
    res = cs.simulate(sc, replications=20, workers=2)      # RunResult: .summary, .kpis, .contacts, .needs
    res.kpi("service_level", segment="premium", channel="phone")
    cmp = cs.compare([sc_a, sc_b])                          # paired differences on the same customers
    cal = cs.calibrate("calls.csv", out="centre.yaml")       # a scenario from the centre's own data
"""

from contactsim.compare import Comparison, compare
from contactsim.errors import ContactsimError, ScenarioError
from contactsim.experiment import RunResult, simulate
from contactsim.scenario import Scenario, apply_overrides, load_scenario, parse_scenario

try:
    from importlib.metadata import version as _version

    __version__ = _version("contactsim")
except Exception:  # pragma: no cover - running from a source tree without installation
    __version__ = "0+unknown"

__all__ = [
    "Calibration",
    "Comparison",
    "ContactsimError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "apply_overrides",
    "calibrate",
    "compare",
    "load_scenario",
    "parse_scenario",
    "simulate",
]


def __getattr__(name: str):
    """``calibrate`` and ``Calibration`` load on first use (scipy.stats and statsmodels are slow to import)."""
    if name in ("calibrate", "Calibration"):
        import importlib

        return getattr(importlib.import_module("contactsim.calibration"), name)
    raise AttributeError(f"module 'contactsim' has no attribute {name!r}")
