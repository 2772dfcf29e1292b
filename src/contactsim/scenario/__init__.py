"""Scenario files: the typed schema and the safe loader."""

from contactsim.scenario.load import apply_overrides, load_scenario, parse_scenario
from contactsim.scenario.schema import Scenario

__all__ = ["Scenario", "apply_overrides", "load_scenario", "parse_scenario"]
