"""Figures from hand-made tidy tables: what each shows is checked against the numbers put in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from contactsim.report import figures as F
from contactsim.report.html import difference_sentences, run_sentences

A, B = "base", "more_agents"


def srow(
    scenario: str,
    metric: str,
    mean: float,
    half: float = 0.0,
    segment: str = "all",
    channel: str = "all",
    pool: str = "all",
    interval: str = "all",
    n: int = 5,
) -> dict:
    day, weekday, clock = interval.split() if interval != "all" else ("", None, "")
    return {
        "scenario": scenario,
        "segment": segment,
        "channel": channel,
        "pool": pool,
        "interval": interval,
        # the numeric columns summaries carry beside the label (metrics.INTERVAL_COLUMNS)
        "interval_start_s": ((int(day[1:]) - 1) * 86400 + int(clock[:2]) * 3600 + int(clock[3:]) * 60
                             if interval != "all" else float("nan")),
        "weekday": weekday,
        "metric": metric,
        "mean": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "n": n,
    }


def drow(
    metric: str, diff: float, half: float, segment: str = "all", channel: str = "all", base_mean: float = 1.0
) -> dict:
    return {
        "baseline": A,
        "scenario": B,
        "segment": segment,
        "channel": channel,
        "pool": "all",
        "interval": "all",
        "metric": metric,
        "baseline_mean": base_mean,
        "scenario_mean": base_mean + diff,
        "diff_mean": diff,
        "ci_low": diff - half,
        "ci_high": diff + half,
        "n": 5,
        "significant": abs(diff) > half,
    }


@pytest.fixture
def summary() -> pd.DataFrame:
    rows = []
    for sc, sl, cost in ((A, 0.70, 12.0), (B, 0.85, 13.0)):
        for seg, shift in (("gold", 0.05), ("basic", -0.05), ("all", 0.0)):
            rows += [
                srow(sc, "service_level", sl + shift, 0.02, seg),
                srow(sc, "abandon_rate", 0.1 - sl / 10, 0.01, seg),
                srow(sc, "csat", 3.5 + sl, 0.05, seg),
                srow(sc, "cost_per_resolved_need", cost + shift, 0.5, seg),
                srow(sc, "need_csat", 3.6 + sl, 0.05, seg),
                srow(sc, "asa_s", 40 * (1 - sl), 3, seg, "phone"),
            ]
    return pd.DataFrame(rows)


def traces(fig: go.Figure, kind: str) -> list:
    return [t for t in fig.data if t.type == kind]


def test_one_colour_per_scenario_across_figures(summary: pd.DataFrame) -> None:
    colours = F.scenario_colours([A, B])
    assert colours[A] != colours[B] and colours == F.scenario_colours([A, B, A])
    kpi = F.kpi_comparison(summary, colours=colours)
    scatter = F.cost_vs_satisfaction(summary, colours=colours)
    for fig in (kpi, scatter):
        for t in fig.data:
            if t.name in colours:
                c = t.marker.color
                assert (c == colours[t.name]) or set(c) == {colours[t.name]}, (t.type, t.name)
    # the default follows the order of the table, baseline first
    assert F.kpi_comparison(summary).data[0].marker.color == F.PALETTE[0]


def test_kpi_bars_carry_the_ci_and_stars_mark_only_significant_differences(summary: pd.DataFrame) -> None:
    diffs = pd.DataFrame(
        [
            drow("service_level", 0.15, 0.03, "gold"),
            drow("service_level", 0.01, 0.05, "basic"),
            drow("asa_s", -6.0, 1.0, "gold", "phone"),
        ]
    )
    fig = F.kpi_comparison(summary, diffs, metrics=["service_level", ("asa_s", "phone")])
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:2] == [
        "Service level (share answered within target)",
        "Average speed of answer, phone (seconds)",
    ]
    bars = traces(fig, "bar")
    assert [b.name for b in bars] == [A, B, A, B]
    sl_b = bars[1]
    assert list(sl_b.x) == ["basic", "gold", "all customers"]
    assert sl_b.y[1] == pytest.approx(0.90) and sl_b.error_y.array[1] == pytest.approx(0.02)
    stars = [t for t in traces(fig, "scatter") if t.mode == "text"]
    assert [(s.name or "", tuple(s.x)) for s in stars] == [("", ("gold",)), ("", ("gold",))]
    assert all(s.legendgroup == B for s in stars)  # never on the baseline
    assert "baseline base" in fig.layout.title.text


def test_frontier_keeps_only_undominated_points() -> None:
    pts = pd.DataFrame(
        {"cost": [10, 11, 12, 9, 13], "satisfaction": [3.5, 3.9, 3.8, 3.2, 4.1]}, index=list("abcde")
    )
    assert list(F.frontier(pts).index) == ["d", "a", "b", "e"]


def test_cost_vs_satisfaction_scales_to_a_sweep() -> None:
    rows = []
    for i in range(15):
        rows += [
            srow(f"p{i}", "cost_per_resolved_need", 10 + i, 0.2),
            srow(f"p{i}", "need_csat", 3 + 0.1 * i - 0.01 * i * i, 0.02),
        ]
    fig = F.cost_vs_satisfaction(pd.DataFrame(rows), currency="EUR")
    points = [t for t in fig.data if t.mode == "markers"]
    assert len(points) == 1 and len(points[0].x) == 15 and not points[0].showlegend
    front = next(t for t in fig.data if t.name == "efficient frontier")
    y = np.array(front.y)
    assert np.all(np.diff(y) > 0) and np.all(np.diff(front.x) > 0)
    assert fig.layout.xaxis.title.text == "Cost per resolved need (EUR)"


def test_funnel_waterfall_levels_and_total() -> None:
    levels = F.LEVELS
    wf = pd.DataFrame(
        [
            {"scenario": A, "level": lv, "metric": m, "mean": v, "ci_low": v - 1, "ci_high": v + 1, "n": 3}
            for m in ("needs", "cost")
            for lv, v in zip(levels, [5, 10, 20, 30, 35], strict=True)
        ]
    )
    fig = F.funnel_waterfall(wf, currency="EUR")
    w = traces(fig, "waterfall")
    assert len(w) == 2
    assert list(w[0].measure) == ["relative"] * 5 + ["total"]
    assert list(w[0].y[:5]) == [5, 10, 20, 30, 35]
    assert "total: 100" in w[0].hovertext[-1]
    assert "EUR" in fig.layout.yaxis2.title.text


def test_sankey_flows_add_up_to_the_needs() -> None:
    flows = pd.DataFrame(
        {
            "scenario": [A, A, A, B],
            "segment": ["gold", "gold", "basic", "gold"],
            "level": ["self_service", "personal_non_digital", "personal_non_digital", "preventive"],
            "terminal": ["self_served", "abandoned", "resolved", "prevented"],
            "needs": [4, 1, 5, 2],
        }
    )
    fig = F.needs_sankey(flows)
    s = traces(fig, "sankey")
    assert [t.name for t in s] == [A, B]
    values = np.array(s[0].link.value)
    assert values.sum() == pytest.approx(2 * 10)  # segment -> level, then level -> terminal
    labels = list(s[0].node.label)
    assert labels[:2] == ["basic", "gold"] and "abandoned" in labels


def test_staffing_against_offered_load_in_erlangs() -> None:
    rows = []
    for k, lab in enumerate(["d01 Mon 08:00", "d01 Mon 08:30"]):
        rows += [
            srow(A, "offered", 60 + 60 * k, channel="phone", interval=lab),
            srow(A, "aht_s", 300, channel="phone", interval=lab),
            srow(A, "offered", 10, channel="chat", interval=lab),
            srow(A, "aht_s", 360, channel="chat", interval=lab),
            srow(A, "agents", 8, pool="general", interval=lab),
            srow(A, "agents", 2, pool="vip", interval=lab),
            srow(A, "agents", 3, pool="chatters", interval=lab),
        ]
    fig = F.staffing_vs_load(
        pd.DataFrame(rows),
        {"general": ["phone"], "vip": ["phone"], "chatters": ["chat"]},
        1800.0,
        concurrency={"chat": 2},
    )
    by = {(t.name, t.yaxis): t for t in fig.data}
    phone_agents, phone_load = by[(f"{A}: staffed agents", "y2")], by[(f"{A}: offered load", "y2")]
    assert list(phone_agents.y) == [10, 10]  # both pools serving phone
    assert list(phone_load.y) == pytest.approx([60 * 300 / 1800, 120 * 300 / 1800])
    assert list(by[(f"{A}: offered load", "y")].y) == pytest.approx([10 * 360 / 1800 / 2] * 2)
    assert list(phone_load.x) == [8.0, 8.5]  # hours from the start of the run
    assert "load ÷ 2" in fig.layout.annotations[0].text


def test_intraday_service_level_shows_gaps_and_the_target() -> None:
    labels = ["d01 Mon 08:00", "d01 Mon 08:30", "d01 Mon 09:00"]
    rows = [
        srow(A, "service_level", 0.9, segment="gold", interval=labels[0]),
        srow(A, "service_level", 0.6, segment="gold", interval=labels[2]),
        srow(A, "service_level", 0.8, segment="all", interval=labels[0]),
        *(srow(A, "occupancy", 0.5, pool="p", interval=lab) for lab in labels),
    ]
    fig = F.intraday_service_level(pd.DataFrame(rows), {"gold": 0.9})
    gold = next(t for t in fig.data if t.yaxis == "y2")
    assert list(gold.y) == [0.9, None, 0.6] and list(gold.x) == [8.0, 8.5, 9.0]
    lines = [s for s in fig.layout.shapes if s.yref == "y2"]
    assert len(lines) == 1 and lines[0].y0 == lines[0].y1 == 0.9
    occ = F.intraday_occupancy(pd.DataFrame(rows))
    assert list(occ.data[0].y) == [0.5, 0.5, 0.5]


def test_channel_panels_show_the_busiest_channels_by_offered_contacts() -> None:
    """Past the panel limit the channel panels are the largest channels by offered contacts (busy hours are pool
    rows: weighing channels by them gave every channel 0 and the first names in the alphabet)."""
    lab = "d01 Mon 08:00"
    chans = [f"c{j:02d}" for j in range(F.MAX_PANELS + 2)]
    rows = [srow(A, "service_level", 0.8, channel=c, interval=lab) for c in chans]
    rows += [srow(A, "offered", 100.0 if j >= 2 else 1.0, channel=c) for j, c in enumerate(chans)]
    fig = F.intraday_service_level(pd.DataFrame(rows), channels=chans)
    shown = {a.text for a in fig.layout.annotations}
    assert {"c00", "c01"}.isdisjoint(shown) and set(chans[2:]) <= shown
    assert "showing the 8 largest of 10 channels (by offered contacts)" in fig.layout.title.text


def test_wait_ecdf_is_a_distribution_in_sensible_units() -> None:
    rng = np.random.default_rng(1)
    waits = pd.DataFrame(
        {
            "scenario": A,
            "segment": "gold",
            "channel": np.repeat(["phone", "email"], 500),
            "wait_s": np.concatenate([rng.exponential(30, 500), rng.exponential(6 * 3600, 500)]),
            "sl_threshold_s": np.repeat([20.0, 86400.0], 500),
        }
    )
    fig = F.wait_ecdf(waits, points=51)
    by_axis = {t.xaxis: t for t in fig.data}
    for t in by_axis.values():
        assert len(t.x) == 51 and t.y[0] == 0 and t.y[-1] == 1
        assert np.all(np.diff(np.array(t.x, dtype=float)) >= 0)
    assert fig.layout.xaxis.title.text == "wait (hours)" and fig.layout.xaxis2.title.text == "wait (seconds)"
    email = by_axis["x"]
    assert np.median(email.x) == pytest.approx(np.median(waits["wait_s"][500:]) / 3600, rel=0.05)
    assert {s.x0 for s in fig.layout.shapes} == {24.0, 20.0}  # the service-level thresholds


def test_empty_inputs_give_a_figure_that_says_so() -> None:
    empty = pd.DataFrame(
        columns=[
            "scenario",
            "segment",
            "channel",
            "pool",
            "interval",
            "metric",
            "mean",
            "ci_low",
            "ci_high",
            "n",
        ]
    )
    for fig in (
        F.kpi_comparison(empty),
        F.intraday_service_level(empty),
        F.intraday_occupancy(empty),
        F.staffing_vs_load(empty, {"p": ["phone"]}, 1800.0),
    ):
        assert fig.layout.annotations and "no " in fig.layout.annotations[0].text


def test_plain_language_summary_names_gains_losses_and_cost() -> None:
    diffs = pd.DataFrame(
        [
            drow("service_level", 0.12, 0.03, "gold"),
            drow("asa_s", -8.0, 2.0, "gold", "phone"),
            drow("service_level", -0.05, 0.02, "basic"),
            drow("abandon_rate", 0.02, 0.01, "basic"),
            drow("service_level", 0.01, 0.05, "all"),
            drow("cost", 1500.0, 400.0, "all", base_mean=100_000.0),
            drow("cost_per_resolved_need", 0.1, 0.3),
        ]
    )
    ((head, lines),) = difference_sentences(diffs, "EUR", "per week", live_channels=["phone"])
    assert head.startswith("more_agents compared with base")
    text = {cls: [t for c, t in lines if c == cls] for cls in ("gain", "loss", "")}
    assert any(
        t.startswith("gold gains: service level +12.0 pp") and "speed of answer on phone -8.0 s" in t
        for t in text["gain"]
    )
    assert any(
        t.startswith("basic loses: service level -5.0 pp") and "abandonment +2.0 pp" in t
        for t in text["loss"]
    )
    assert any(t.startswith("All customers: no significant change") for t in text[""])
    cost = [t for t in text["loss"] if t.startswith("Total cost")]
    assert cost == ["Total cost rises by EUR 1,500 per week (+1.50%); 95% CI +1,100 to +1,900 (significant)."]
    assert any("Cost per resolved need +0.10 EUR" in t and "not significant" in t for t in text[""])


def test_run_summary_compares_service_level_with_target(summary: pd.DataFrame) -> None:
    one = summary[summary["scenario"] == A]
    lines = run_sentences(one, {"gold": 0.5, "basic": 0.9}, "EUR", live_channels=["phone"])
    gold = next(t for c, t in lines if t.startswith("gold"))
    basic = next((c, t) for c, t in lines if t.startswith("basic"))
    assert "meets the blended 50% target" in gold and "speed of answer phone" in gold
    assert basic[0] == "loss" and "below the blended 90% target" in basic[1]
    assert any("blended: each contact is held to its own channel" in t for _c, t in lines)


def test_names_from_files_stay_text_in_figures(summary: pd.DataFrame) -> None:
    evil = '<a href="https://example.com">x</a>'
    s = summary.replace({"scenario": {B: evil}, "segment": {"gold": "<b>gold</b>"}})
    colours = F.scenario_colours([A, evil])
    fig = F.kpi_comparison(s, colours=colours)
    names = {t.name for t in fig.data}
    assert '&lt;a href="https://example.com"&gt;x&lt;/a&gt;' in names and evil not in names
    assert "&lt;b&gt;gold&lt;/b&gt;" in fig.data[0].x
    # the caller's colour mapping, keyed by the raw name, still applies
    assert next(t for t in fig.data if t.name.startswith("&lt;a")).marker.color == colours[evil]
