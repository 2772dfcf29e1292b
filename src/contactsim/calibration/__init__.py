"""Calibration from centre data: a contact log or an interval history in, a runnable scenario out.

``contract`` reads and checks the data, ``estimate`` holds the estimators, ``core`` assembles the
commented scenario, ``api`` writes it with its observed KPIs and report (``report``), ``backtest``
compares a scenario's simulated KPIs with the observed ones, and ``export`` turns simulated contacts into
a log (round trips, the bundled sample). May import errors, scenario, erlang, experiment, io and report.
"""

from contactsim.calibration.api import calibrate
from contactsim.calibration.contract import INTERVALS, LOG, Data, parse_columns, read_data
from contactsim.calibration.core import Calibration

__all__ = ["INTERVALS", "LOG", "Calibration", "Data", "calibrate", "parse_columns", "read_data"]
