"""Service-level targets are resolved in one place (``Scenario.service_level_target``): the segment's own for a
channel, else the channel's (its service_level, a backlog's sla_hours as seconds at 80%, or the default).
Compilation (the KPIs' thresholds), staffing's checks and the report's target lines all ask it (issue 14)."""

from __future__ import annotations

from pathlib import Path

from contactsim.scenario.compiled import compile_scenario
from contactsim.scenario.load import load_scenario
from contactsim.staffing import sl_checks

BANK = Path(__file__).parents[2] / "scenarios" / "retail_bank.yaml"


def test_every_reader_uses_the_one_resolution() -> None:
    sc = load_scenario(BANK)
    c = compile_scenario(sc)
    own = [(s, ch) for s, seg in sc.segments.items() for ch in seg.service_level]
    assert own, "the bank has a segment with its own target"
    backlog = [ch for ch, x in sc.channels.items() if x.sla_hours is not None]
    assert backlog, "and a backlog channel with sla_hours"
    for i, s in enumerate(c.segments):
        for k, ch in enumerate(c.channels):
            t = sc.service_level_target(ch, s)
            assert (c.sl_seconds[i, k], c.sl_share[i, k]) == (t.seconds, t.share)
            if (s, ch) in own:
                assert t == sc.segments[s].service_level[ch]
            else:
                assert t == sc.channels[ch].target
    for ch in backlog:
        assert sc.service_level_target(ch).seconds == sc.channels[ch].sla_hours * 3600.0
    for p in sc.pools:
        for seg, ch, seconds, share in sl_checks(sc, p):
            t = sc.service_level_target(ch, None if seg == "all" else seg)
            assert (seconds, share) == (t.seconds, t.share)
