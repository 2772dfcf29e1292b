"""The report's figures: tidy DataFrames in, plotly ``Figure`` out; no file I/O, no engine objects.

Every function takes the long tables a run writes (``summary.csv`` rows with a ``scenario`` column,
``waterfall.csv``, or small frames read from the Parquet records) so the same figures serve a single
run, a comparison and a sweep, and can be called from a notebook. One colour per scenario everywhere:
pass the mapping from :func:`scenario_colours` (the default derives it from the order of appearance).
Names from files go into figures as plotly text, which plotly renders as text (its JSON escapes ``<``).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from contactsim.metrics import INTERVAL_COLUMNS

ALL = "all"
ALL_LABEL = "all customers"
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F7F7F", "#000000"]
"""Okabe-Ito (colour-blind safe) without its yellow, which is unreadable on white."""
TEMPLATE = "plotly_white"
LEVELS = ["preventive", "proactive", "self_service", "personal_digital", "personal_non_digital"]
LEVEL_LABELS = {
    "preventive": "preventive",
    "proactive": "proactive",
    "self_service": "self-service",
    "personal_digital": "personal digital",
    "personal_non_digital": "personal non-digital",
}
GOOD_TERMINALS = {"prevented", "proactive_resolved", "self_served", "resolved"}
SYMBOLS = ["square", "diamond", "triangle-up", "cross", "triangle-down", "star", "x", "pentagon"]
NAME_COLUMNS = (
    "scenario",
    "baseline",
    "segment",
    "channel",
    "pool",
    "interval",
    "metric",
    "level",
    "terminal",
)


@dataclass(frozen=True)
class MetricInfo:
    """How a KPI is named, shown and judged."""

    label: str
    unit: str
    """Axis unit; ``{currency}`` is filled in."""
    tickformat: str
    higher_is_better: bool
    is_share: bool = False


METRICS: dict[str, MetricInfo] = {
    "service_level": MetricInfo("Service level", "share answered within target", ".0%", True, True),
    "asa_s": MetricInfo("Average speed of answer", "seconds", ",.0f", False),
    "abandon_rate": MetricInfo("Abandonment", "share of offered contacts", ".1%", False, True),
    "csat": MetricInfo("CSAT proxy", "score 1-5", ".2f", True),
    "need_csat": MetricInfo("CSAT proxy per need", "score 1-5", ".2f", True),
    "cost_per_resolved_need": MetricInfo("Cost per resolved need", "{currency}", ",.2f", False),
    "cost": MetricInfo("Total cost", "{currency}", ",.0f", False),
    "occupancy": MetricInfo("Occupancy", "busy share of staffed time", ".0%", True, True),
}
KPI_METRICS = ("service_level", "asa_s", "abandon_rate", "csat", "cost_per_resolved_need")


def scenario_colours(names: Sequence[str], given: Mapping[str, str] | None = None) -> dict[str, str]:
    """One colour per scenario, in order (baseline first), after those ``given``; the palette repeats
    beyond eight."""
    out = dict(given or {})
    for n in names:
        if n not in out:
            out[n] = PALETTE[len(out) % len(PALETTE)]
    return out


def unit(metric: str, currency: str = "") -> str:
    info = METRICS.get(metric)
    return info.unit.format(currency=currency or "money") if info else ""


def segment_label(segment: str) -> str:
    return ALL_LABEL if segment == ALL else segment


def _colours(df: pd.DataFrame, colours: Mapping[str, str] | None) -> dict[str, str]:
    """The given mapping (names escaped like the data), extended with any scenario of ``df`` it lacks."""
    given = {_t(k): v for k, v in (colours or {}).items()}
    names = [str(n) for n in pd.unique(df["scenario"].astype(str))] if "scenario" in df.columns else []
    return scenario_colours(names, given)


def _t(text: object) -> str:
    """Plotly renders a small HTML subset in text: names read from files are escaped so they stay text."""
    return html.escape(str(text), quote=False)


def _safe(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with every name column escaped (a no-op for names the scenario schema allows)."""
    out = df
    for c in NAME_COLUMNS:
        if c in df.columns:
            uniq = [str(u) for u in pd.unique(df[c].astype(str))]
            if any(_t(u) != u for u in uniq):
                out = out.assign(**{c: df[c].astype(str).map({u: _t(u) for u in uniq})})
    return out


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _finite(values: Sequence[float] | np.ndarray) -> list[float | None]:
    """NaN -> None, so plotly draws nothing instead of a bogus value."""
    return [float(v) if v is not None and np.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def _error_bars(low: pd.Series, mid: pd.Series, high: pd.Series, colour: str) -> dict:
    """Asymmetric CI whiskers around ``mid``."""
    return {"type": "data", "array": _finite(high - mid), "arrayminus": _finite(mid - low), "color": colour,
            "thickness": 1, "width": 3}


def _select(
    summary: pd.DataFrame,
    metric: str | Sequence[str],
    *,
    segment: str | None = ALL,
    channel: str | None = ALL,
    pool: str | None = ALL,
    interval: str | None = ALL,
) -> pd.DataFrame:
    """Summary rows of one or more metrics at the given keys (None: any value)."""
    m = summary["metric"].isin([metric] if isinstance(metric, str) else list(metric))
    for col, val in (("segment", segment), ("channel", channel), ("pool", pool), ("interval", interval)):
        if val is not None:
            m &= summary[col].astype(str) == val
    return summary[m]


def segments_in(values: Sequence[str] | pd.Series) -> list[str]:
    """Segments in display order: named ones alphabetically, then all customers."""
    return sorted({str(v) for v in values}, key=lambda s: (s == ALL, s))


MAX_PANELS = 8
"""Rows of small multiples drawn per figure (segments, pools, channels); larger scenarios show the largest
ones and say how many are left out (all of them stay in summary.csv). Keeps figures readable and within
plotly's subplot spacing limits at the schema's maxima (200 segments, 200 pools, 50 channels)."""
MAX_BARS = 16
"""Segments drawn side by side in a bar panel."""


def _largest(keys: Sequence[str], weight: Mapping[str, float], n: int, keep_first: str | None = ALL) -> list[str]:
    """At most ``n`` of ``keys``: ``keep_first`` (the total) if present, then the largest by ``weight``,
    shown in their original order."""
    if len(keys) <= n:
        return list(keys)
    head = [k for k in keys if k == keep_first]
    rest = [k for k in keys if k != keep_first]
    chosen = set(sorted(rest, key=lambda k: (-float(weight.get(k, 0.0) or 0.0), k))[: n - len(head)])
    return head + [k for k in rest if k in chosen]


def _weights(summary: pd.DataFrame, metric: str, by: str) -> dict[str, float]:
    """Size of each segment / pool / channel for choosing the largest: the metric's interval-'all' mean."""
    rows = summary[(summary["metric"] == metric) & (summary["interval"] == ALL)]
    for other in ("segment", "channel", "pool"):
        if other != by and other in rows.columns:
            rows = rows[rows[other] == ALL]
    return rows.groupby(by)["mean"].sum().to_dict() if not rows.empty else {}


def _left_out(shown: int, total: int, what: str, by: str, has_all: bool = False) -> str:
    shown, total = shown - has_all, total - has_all  # the 'all' total row is not one of them
    return (f"<br><sup>showing the {shown} largest of {total} {what} (by {by}); every one is in summary.csv</sup>"
            if total > shown else "")


def _spacing(rows: int, wanted: float) -> float:
    """Vertical spacing plotly accepts for ``rows`` subplot rows (it must be at most 1 / (rows - 1))."""
    return 0.0 if rows <= 1 else min(wanted, 0.5 / (rows - 1))


def _base_layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "xanchor": "left"},
        height=height,
        margin={"l": 70, "r": 30, "t": 90 + 18 * max(title.count("<br>") - 1, 0), "b": 60},  # room for notes
        legend={"title": {"text": "scenario"}},
        font={"size": 12},
    )
    return fig


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _base_layout(fig, title, 300)


# --- time axis -----------------------------------------------------------------------------------------
def _time_axis(grid: pd.DataFrame) -> tuple[list[str], np.ndarray | list[str], dict]:
    """(labels in time order, x values, axis settings) for the intervals of ``_interval_grid``: hours from the
    start of the run (of the week for time-of-week rows) with a tick per day, from the rows' numeric
    ``interval_start_s`` and ``weekday``; the labels as categories where those are missing."""
    labels = list(grid.index)
    start = grid["interval_start_s"].to_numpy(dtype=float) if "interval_start_s" in grid else np.array([np.nan])
    if not len(labels) or not np.isfinite(start).all():
        ordered = sorted(labels)
        return ordered, ordered, {"type": "category", "title": {"text": "interval"}}
    order = np.argsort(start, kind="stable")
    ordered = [labels[i] for i in order]
    hours = start[order] / 3600.0
    weekdays = grid["weekday"].to_numpy(dtype=object)[order]
    days = sorted({int(h // 24) for h in hours})
    day_name = {int(h // 24): str(w) for h, w in zip(hours, weekdays, strict=True)}
    axis = {
        "tickvals": [d * 24 for d in days],
        "ticktext": [f"d{d + 1:02d} {day_name[d]}" for d in days],
        "title": {"text": "time (interval start, day of run)"},
    }
    if len(days) <= 8:  # a week: a tick every 12 hours, the day name at midnight and the time under it
        ticks = [d * 24 + h for d in range(days[0], days[-1] + 1) for h in (0, 12)]
        axis = {
            "tickvals": ticks,
            "ticktext": [f"{day_name.get(int(t // 24), '')} {int(t) % 24:02d}:00" if int(t) % 24 == 0
                         else f"{int(t) % 24:02d}:00" for t in ticks],
            "title": {"text": "day and time of day (interval start)"},
        }
    if len(days) <= 2:  # a single day: ticks every 2 hours read better
        ticks = np.arange(days[0] * 24, (days[-1] + 1) * 24 + 1, 2)
        axis = {
            "tickvals": list(ticks),
            "ticktext": [f"{int(t) % 24:02d}:00" for t in ticks],
            "title": {"text": "time of day (interval start)"},
        }
    return ordered, hours, axis


def _interval_grid(summary: pd.DataFrame) -> pd.DataFrame:
    """Every interval present anywhere in the summary (pool rows cover each measured interval), indexed by
    its label, with its numeric columns (``INTERVAL_COLUMNS``) where the summary has them."""
    rows = summary[summary["interval"].astype(str) != ALL]
    rows = rows.drop_duplicates("interval")
    cols = [c for c in INTERVAL_COLUMNS if c in rows.columns]
    return rows[cols].set_axis(pd.Index(rows["interval"].astype(str), name="interval"))


# --- KPI comparison ------------------------------------------------------------------------------------
Panel = str | tuple[str, str]
"""A KPI panel: a metric name (at the figure's channel) or (metric, channel)."""


def panels(specs: Sequence[Panel], channel: str = ALL) -> list[tuple[str, str]]:
    return [(_t(p), _t(channel)) if isinstance(p, str) else (_t(p[0]), _t(p[1])) for p in specs]


def panel_label(metric: str, channel: str = ALL) -> str:
    """'Average speed of answer, phone' ('all channels' is implied and left out)."""
    label = METRICS[metric].label if metric in METRICS else metric
    return label if channel == ALL else f"{label}, {channel}"


def kpi_comparison(
    summary: pd.DataFrame,
    differences: pd.DataFrame | None = None,
    *,
    metrics: Sequence[Panel] = KPI_METRICS,
    channel: str = ALL,
    currency: str = "",
    colours: Mapping[str, str] | None = None,
) -> go.Figure:
    """KPIs per segment and scenario with 95% CI bars, one panel per metric (or (metric, channel) pair);
    ``*`` above a bar whose paired difference to the baseline (``differences``, the comparison's paired
    table) has a 95% CI excluding zero."""
    summary, currency = _safe(summary), _t(currency)
    differences = _safe(differences) if differences is not None else None
    colours = _colours(summary, colours)
    specs = [
        (m, c) for m, c in panels(metrics, channel) if not _select(summary, m, segment=None, channel=c).empty
    ]
    if not specs:
        return _empty("KPIs per segment", "no KPI rows to show")
    sig: dict[tuple[str, str, str, str], tuple] = {}
    baseline = None
    if differences is not None and not differences.empty:
        d = _select(differences, sorted({m for m, _ in specs}), segment=None, channel=None)
        baseline = str(d["baseline"].iloc[0]) if not d.empty else None
        sig = {
            (str(r.scenario), str(r.segment), str(r.metric), str(r.channel)): r
            for r in d.itertuples(index=False)
        }
    segments = segments_in(
        pd.concat([_select(summary, m, segment=None, channel=c)["segment"] for m, c in specs])
    )
    n_segments = len(segments)
    segments = _largest(segments, _weights(summary, "offered", "segment"), MAX_BARS)
    x_labels = [segment_label(s) for s in segments]
    cols = 2 if len(specs) > 2 else 1
    rows = -(-len(specs) // cols)
    titles = [f"{panel_label(m, c)} ({unit(m, currency)})" if m in METRICS else m for m, c in specs]
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        vertical_spacing=_spacing(rows, min(0.12, 0.35 / rows)),
        horizontal_spacing=0.1,
    )
    for i, (m, ch) in enumerate(specs):
        r, c = divmod(i, cols)
        data = _select(summary, m, segment=None, channel=ch)
        for name, colour in colours.items():
            sub = data[data["scenario"] == name].set_index("segment")
            if sub.empty:
                continue
            sub = sub[~sub.index.duplicated()].reindex(segments)
            mean, lo, hi = (
                sub["mean"].to_numpy(float),
                sub["ci_low"].to_numpy(float),
                sub["ci_high"].to_numpy(float),
            )
            stars, hover = [], []
            for seg, mu, a, b in zip(segments, mean, lo, hi, strict=True):
                h = f"{name}<br>{segment_label(seg)}: {fmt_value(m, mu)} ({ci_text(m, a, b)})"
                dr = sig.get((name, seg, m, ch))
                if dr is not None:
                    h += (
                        f"<br>vs {baseline}: {fmt_value(m, dr.diff_mean, signed=True)} "
                        f"({ci_text(m, dr.ci_low, dr.ci_high, signed=True)})"
                        + (" significant" if dr.significant else " not significant")
                    )
                stars.append(dr is not None and bool(dr.significant))
                hover.append(h)
            fig.add_trace(
                go.Bar(
                    x=x_labels,
                    y=_finite(mean),
                    name=name,
                    legendgroup=name,
                    showlegend=i == 0,
                    offsetgroup=name,
                    marker={"color": colour},
                    hovertext=hover,
                    hoverinfo="text",
                    error_y={
                        "type": "data",
                        "array": _finite(hi - mean),
                        "arrayminus": _finite(mean - lo),
                        "visible": True,
                        "color": "#333",
                        "thickness": 1.2,
                        "width": 4,
                    },
                ),
                row=r + 1,
                col=c + 1,
            )
            if any(stars):  # the marker sits on top of the whisker, aligned with its bar
                top = np.where(np.isfinite(hi), hi, mean)
                fig.add_trace(
                    go.Scatter(
                        x=[x for x, s in zip(x_labels, stars, strict=True) if s],
                        y=_finite(top[np.array(stars)]),
                        mode="text",
                        text=["*"] * sum(stars),
                        textposition="top center",
                        textfont={"size": 18},
                        offsetgroup=name,
                        legendgroup=name,
                        showlegend=False,
                        hoverinfo="skip",
                        cliponaxis=False,
                    ),
                    row=r + 1,
                    col=c + 1,
                )
        lows = np.concatenate([[0.0], data["ci_low"].to_numpy(float), data["mean"].to_numpy(float)])
        highs = np.concatenate([[0.0], data["ci_high"].to_numpy(float), data["mean"].to_numpy(float)])
        lo_y, hi_y = np.nanmin(lows), np.nanmax(highs)
        pad = 0.12 * (hi_y - lo_y or 1.0)  # head-room for the * above the highest whisker
        fig.update_yaxes(range=[lo_y - (pad / 3 if lo_y < 0 else 0.0), hi_y + pad], row=r + 1, col=c + 1)
        if m in METRICS:
            fig.update_yaxes(
                tickformat=METRICS[m].tickformat, title_text=unit(m, currency), row=r + 1, col=c + 1
            )
    fig.update_layout(barmode="group", scattermode="group", bargap=0.25)
    note = "bars: mean over replications, whiskers: 95% CI"
    if baseline:
        note += f"; * = differs from baseline {baseline} (paired 95% CI excludes 0)"
    title = f"KPIs per customer segment<br><sup>{note}</sup>"
    return _base_layout(fig, title + _left_out(len(segments), n_segments, "segments", "offered contacts",
                                               ALL in segments),
                        300 * rows + 110)


def ci_text(metric: str, low: float, high: float, signed: bool = False) -> str:
    return f"95% CI {fmt_value(metric, low, signed)} to {fmt_value(metric, high, signed)}"


def fmt_value(metric: str, v: float, signed: bool = False) -> str:
    """A KPI value for hover text and sentences (percentage points for shares when signed)."""
    if v is None or not np.isfinite(v):
        return "n/a"
    info = METRICS.get(metric)
    sign = "+" if signed else ""
    if info is not None and info.is_share:
        return f"{v * 100:{sign}.1f} pp" if signed else f"{v:.1%}"
    if metric.endswith("_s"):
        return f"{v:{sign},.1f} s"
    if info is not None and "currency" in info.unit:
        return f"{v:{sign},.2f}"
    return f"{v:{sign},.3g}" if abs(v) < 1000 else f"{v:{sign},.0f}"


# --- cost vs satisfaction ------------------------------------------------------------------------------
def frontier(points: pd.DataFrame, x: str = "cost", y: str = "satisfaction") -> pd.DataFrame:
    """Points no other point beats on both axes (lower x, higher y), ordered by x."""
    p = points.dropna(subset=[x, y]).sort_values([x, y], ascending=[True, False])
    keep, best = [], -np.inf
    for idx, yy in zip(p.index, p[y], strict=True):
        if yy > best:
            keep.append(idx)
            best = yy
    return p.loc[keep]


def _info(metric: str, fallback: str) -> MetricInfo:
    return METRICS.get(metric, METRICS[fallback])


def cost_vs_satisfaction(
    summary: pd.DataFrame,
    *,
    cost_metric: str = "cost_per_resolved_need",
    satisfaction_metric: str = "need_csat",
    segments: Sequence[str] | None = (ALL,),
    currency: str = "",
    colours: Mapping[str, str] | None = None,
    max_legend: int = 10,
) -> go.Figure:
    """Each scenario (or sweep point) as cost against satisfaction with 95% CI bars, segments by symbol;
    the efficient frontier over the all-customer points when there are three or more. Beyond
    ``max_legend`` scenarios the points share one trace (names on hover) so a sweep stays readable."""
    summary, currency = _safe(summary), _t(currency)
    colours = _colours(summary, colours)
    both = _select(summary, [cost_metric, satisfaction_metric], segment=None)
    if segments is not None:
        both = both[both["segment"].isin([_t(x) for x in segments])]
    wide = both.pivot_table(
        index=["scenario", "segment"],
        columns="metric",
        values=["mean", "ci_low", "ci_high"],
        aggfunc="first",
        dropna=False,  # one replication: no CI, but the point still shows
    )
    if wide.empty or cost_metric not in wide["mean"] or satisfaction_metric not in wide["mean"]:
        return _empty("Cost against satisfaction", "no cost or satisfaction rows to show")
    pts = pd.DataFrame(
        {
            "cost": wide["mean"][cost_metric],
            "cost_lo": wide["ci_low"][cost_metric],
            "cost_hi": wide["ci_high"][cost_metric],
            "satisfaction": wide["mean"][satisfaction_metric],
            "sat_lo": wide["ci_low"][satisfaction_metric],
            "sat_hi": wide["ci_high"][satisfaction_metric],
        }
    ).reset_index()
    cost_info, sat_info = _info(cost_metric, "cost"), _info(satisfaction_metric, "csat")
    segs = segments_in(pts["segment"])
    symbol = {
        ALL: "circle",
        **{sg: SYMBOLS[i % len(SYMBOLS)] for i, sg in enumerate(x for x in segs if x != ALL)},
    }
    names = [n for n in colours if (pts["scenario"] == n).any()]
    many = len(names) > max_legend
    fig = go.Figure()
    for name, g in [(None, pts)] if many else [(n, pts[pts["scenario"] == n]) for n in names]:
        hover = [
            f"{sc} · {segment_label(sg)}<br>{cost_info.label}: {fmt_value(cost_metric, cx)} {currency} "
            f"({ci_text(cost_metric, cl, ch)})<br>"
            f"{sat_info.label}: {sy:.3f} ({ci_text(satisfaction_metric, sl, sh)})"
            for sc, sg, cx, cl, ch, sy, sl, sh in g[
                ["scenario", "segment", "cost", "cost_lo", "cost_hi", "satisfaction", "sat_lo", "sat_hi"]
            ].itertuples(index=False)
        ]
        colour = colours[name] if name else "#777"
        fig.add_trace(
            go.Scatter(
                x=_finite(g["cost"]),
                y=_finite(g["satisfaction"]),
                mode="markers",
                name=name or "scenarios",
                legendgroup=name or "scenarios",
                showlegend=not many,
                hovertext=hover,
                hoverinfo="text",
                marker={
                    "color": [colours[str(x)] for x in g["scenario"]],
                    "size": 12,
                    "symbol": [symbol[str(x)] for x in g["segment"]],
                    "line": {"width": 1, "color": "white"},
                },
                error_x=_error_bars(g["cost_lo"], g["cost"], g["cost_hi"], colour),
                error_y=_error_bars(g["sat_lo"], g["satisfaction"], g["sat_hi"], colour),
            )
        )
    if len(segs) > 1:  # a legend for the symbols: grey markers that draw nothing on the plot
        for sg in segs:
            fig.add_trace(
                go.Scatter(
                    x=[None],
                    y=[None],
                    mode="markers",
                    name=segment_label(sg),
                    legendgroup="segments",
                    legendgrouptitle={"text": "segment"},
                    marker={"color": "#777", "size": 10, "symbol": symbol[sg]},
                )
            )
    overall = pts[pts["segment"] == ALL]
    if len(overall) >= 3:
        f = frontier(overall)
        fig.add_trace(
            go.Scatter(
                x=_finite(f["cost"]),
                y=_finite(f["satisfaction"]),
                mode="lines",
                name="efficient frontier",
                line={"color": "#555", "dash": "dot"},
                hoverinfo="skip",
            )
        )
    fig.update_xaxes(
        title_text=f"{cost_info.label} ({unit(cost_metric, currency)})", tickformat=cost_info.tickformat
    )
    fig.update_yaxes(title_text=f"{sat_info.label} ({unit(satisfaction_metric)})", tickformat=".2f")
    return _base_layout(
        fig,
        "Cost against customer satisfaction<br><sup>further left is cheaper, higher is "
        "more satisfied; whiskers: 95% CI</sup>",
        560,
    )


# --- funnel --------------------------------------------------------------------------------------------
def funnel_waterfall(
    waterfall: pd.DataFrame, *, currency: str = "", colours: Mapping[str, str] | None = None
) -> go.Figure:
    """Needs and cost per funnel level (preventive -> non-digital) as stacked waterfalls, one per scenario."""
    waterfall, currency = _safe(waterfall), _t(currency)
    colours = _colours(waterfall, colours)
    if waterfall.empty:
        return _empty("Contact-strategy funnel", "no waterfall rows to show")
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=[
            "Needs handled at each level (per run, mean)",
            f"Cost at each level ({currency or 'money'}, per run, mean)",
        ],
    )
    x = [LEVEL_LABELS[lv] for lv in LEVELS] + ["total"]
    for name, colour in colours.items():
        for col, metric in ((1, "needs"), (2, "cost")):
            sub = waterfall[(waterfall["scenario"] == name) & (waterfall["metric"] == metric)].set_index(
                "level"
            )
            if sub.empty:
                continue
            sub = sub.reindex(LEVELS)
            vals = sub["mean"].fillna(0.0).to_numpy(float)
            fmt = "{:,.0f}" if metric == "needs" else "{:,.2f}"
            hover = [
                f"{name} · {LEVEL_LABELS[lv]}: {fmt.format(v)} (95% CI {_num(lo, fmt)} to {_num(hi, fmt)})"
                for lv, v, lo, hi in zip(LEVELS, vals, sub["ci_low"], sub["ci_high"], strict=True)
            ]
            hover.append(f"{name} · total: {fmt.format(vals.sum())}")
            fig.add_trace(
                go.Waterfall(
                    x=x,
                    y=[*_finite(vals), 0.0],
                    measure=["relative"] * len(LEVELS) + ["total"],
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    offsetgroup=name,
                    hovertext=hover,
                    hoverinfo="text",
                    increasing={"marker": {"color": colour}},
                    decreasing={"marker": {"color": colour}},
                    totals={"marker": {"color": _rgba(colour, 0.55), "line": {"color": colour, "width": 2}}},
                    connector={"line": {"color": "#999", "width": 1, "dash": "dot"}},
                ),
                row=1,
                col=col,
            )
    fig.update_layout(waterfallmode="group", waterfallgroupgap=0.15)
    fig.update_yaxes(title_text="needs", tickformat=",.0f", row=1, col=1)
    fig.update_yaxes(title_text=currency or "money", tickformat=",.0f", row=1, col=2)
    return _base_layout(
        fig,
        "Contact-strategy funnel: where needs end and what each level costs"
        "<br><sup>each bar adds the needs (cost) finished at that level; hover for 95% CI</sup>",
        520,
    )


def _num(v: float, fmt: str) -> str:
    return fmt.format(v) if v is not None and np.isfinite(v) else "n/a"


def needs_sankey(flows: pd.DataFrame, *, colours: Mapping[str, str] | None = None) -> go.Figure:
    """Needs from segment through funnel level to terminal state, one diagram per scenario.

    ``flows``: scenario, segment, level, terminal, needs (mean per replication).
    """
    flows = _safe(flows)
    colours = _colours(flows, colours)
    flows = flows[flows["needs"] > 0]
    if flows.empty:
        return _empty("Needs from segment to outcome", "no need records (run with records on)")
    names = [n for n in colours if (flows["scenario"] == n).any()]
    fig = go.Figure()
    gap = 0.08
    height = (1 - gap * (len(names) - 1)) / len(names)
    for k, name in enumerate(names):
        f = flows[flows["scenario"] == name]
        segs = segments_in(f["segment"])
        levels = [lv for lv in LEVELS if (f["level"] == lv).any()] + sorted(
            set(f["level"].astype(str)) - set(LEVELS)
        )
        terms = sorted(set(f["terminal"].astype(str)), key=lambda t: (t not in GOOD_TERMINALS, t))
        nodes = [*(f"seg:{s}" for s in segs), *(f"lvl:{lv}" for lv in levels), *(f"end:{t}" for t in terms)]
        idx = {n: i for i, n in enumerate(nodes)}
        a = f.groupby(["segment", "level"], observed=True)["needs"].sum().reset_index()
        b = f.groupby(["level", "terminal"], observed=True)["needs"].sum().reset_index()
        src = [idx[f"seg:{s}"] for s in a["segment"]] + [idx[f"lvl:{lv}"] for lv in b["level"]]
        dst = [idx[f"lvl:{lv}"] for lv in a["level"]] + [idx[f"end:{t}"] for t in b["terminal"]]
        val = [*a["needs"], *b["needs"]]
        node_colour = (
            ["#888"] * len(segs)
            + ["#bbb"] * len(levels)
            + ["#2ca25f" if t in GOOD_TERMINALS else "#d7301f" for t in terms]
        )
        labels = (
            [segment_label(s) for s in segs]
            + [LEVEL_LABELS.get(lv, lv) for lv in levels]
            + [t.replace("_", " ") for t in terms]
        )
        y0 = 1 - (k + 1) * height - k * gap
        fig.add_trace(
            go.Sankey(
                domain={"x": [0, 1], "y": [max(y0, 0), min(y0 + height, 1)]},
                name=name,
                node={
                    "label": labels,
                    "color": node_colour,
                    "pad": 12,
                    "thickness": 14,
                    "hovertemplate": "%{label}: %{value:,.0f} needs<extra></extra>",
                },
                link={
                    "source": src,
                    "target": dst,
                    "value": [float(v) for v in val],
                    "color": _rgba(colours.get(name, PALETTE[0]), 0.35),
                    "hovertemplate": "%{source.label} → %{target.label}: %{value:,.0f} needs<extra></extra>",
                },
                valueformat=",.0f",
            )
        )
        fig.add_annotation(
            text=f"<b>{name}</b>",
            x=0,
            y=min(y0 + height, 1) + 0.01,
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            font={"color": colours.get(name, PALETTE[0])},
        )
    return _base_layout(
        fig,
        "Needs from customer segment through funnel level to outcome (per run, mean)"
        "<br><sup>green: resolved at some level; red: unresolved, abandoned or unserved</sup>",
        max(420, 380 * len(names)),
    )


# --- intraday ------------------------------------------------------------------------------------------
def _intraday_panels(
    summary: pd.DataFrame,
    metric: str,
    by: str,
    rows_of: list[str],
    title: str,
    colours: dict[str, str],
    targets: Mapping[str, float] | None,
    y_label: str,
) -> go.Figure:
    grid = _interval_grid(summary)
    ordered, x, axis = _time_axis(grid)
    total = len(rows_of)
    # pools are sized by busy hours (pool rows only); segments and channels by offered contacts
    rows_of = _largest(rows_of, _weights(summary, "busy_hours" if by == "pool" else "offered", by), MAX_PANELS)
    title += _left_out(len(rows_of), total, {"segment": "segments", "channel": "channels", "pool": "pools"}[by],
                       "busy hours" if by == "pool" else "offered contacts", ALL in rows_of)
    fig = make_subplots(
        rows=len(rows_of),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=_spacing(len(rows_of), 0.06),
        subplot_titles=[segment_label(r) if by == "segment" else r for r in rows_of],
    )
    for i, key in enumerate(rows_of):
        for name, colour in colours.items():
            if by == "segment":
                sub = _select(summary, metric, segment=key, interval=None)
            elif by == "channel":
                sub = _select(summary, metric, channel=key, interval=None)
            else:
                sub = _select(summary, metric, segment=None, pool=key, interval=None)
            sub = sub[(sub["scenario"] == name) & (sub["interval"] != ALL)].set_index("interval")
            if sub.empty:
                continue
            sub = sub[~sub.index.duplicated()].reindex(ordered)
            fig.add_trace(
                go.Scatter(
                    x=list(x),
                    y=_finite(sub["mean"]),
                    mode="lines",
                    name=name,
                    legendgroup=name,
                    showlegend=i == 0,
                    line={"color": colour, "width": 1.6, "shape": "hv"},
                    connectgaps=False,
                    customdata=np.array(ordered, dtype=object),
                    hovertemplate=f"{name}<br>%{{customdata}}: %{{y:.1%}}<extra></extra>",
                ),
                row=i + 1,
                col=1,
            )
        if targets and key in targets and targets[key] is not None and np.isfinite(targets[key]):
            fig.add_hline(
                y=float(targets[key]),
                line={"color": "#d62728", "dash": "dash", "width": 1.5},
                annotation_text=f"target {targets[key]:.0%}",
                annotation_position="top left",
                row=i + 1,
                col=1,
            )
        fig.update_yaxes(tickformat=".0%", range=[0, 1.05], title_text=y_label, row=i + 1, col=1)
    fig.update_xaxes(**{k: v for k, v in axis.items() if k != "title"})
    fig.update_xaxes(title_text=axis["title"]["text"], row=len(rows_of), col=1)
    return _base_layout(fig, title, 150 + 220 * len(rows_of))


def intraday_service_level(
    summary: pd.DataFrame,
    targets: Mapping[str, float] | None = None,
    *,
    colours: Mapping[str, str] | None = None,
    channels: Sequence[str] | None = None,
) -> go.Figure:
    """Service level per interval against its target share (dashed).

    With ``channels`` (the live ones), one panel per channel over all segments, ``targets`` keyed by
    channel: a backlog's answers in hours never mix with calls answered in seconds. Without, one panel per
    segment over all channels, ``targets`` keyed by segment.
    """
    summary = _safe(summary)
    colours = _colours(summary, colours)
    rows = _select(summary, "service_level", segment=None, channel=None, interval=None)
    rows = rows[rows["interval"] != ALL]
    if rows.empty:
        return _empty("Service level per interval", "no per-interval service level rows")
    if channels:
        present = set(rows.loc[rows["segment"].astype(str) == ALL, "channel"].astype(str))
        keys, by = [_t(c) for c in channels if _t(c) in present], "channel"
        title = ("Service level per interval and live channel, against target"
                 "<br><sup>share of contacts offered in the interval answered within their target (all "
                 "segments); e-mail and webcare backlogs apart; gaps: nothing offered</sup>")
    else:
        segs = segments_in(rows["segment"])
        keys, by = ([ALL, *[s for s in segs if s != ALL]] if ALL in segs else segs), "segment"
        title = ("Service level per interval and segment, against target"
                 "<br><sup>share of contacts offered in the interval answered within their target; "
                 "gaps: nothing offered</sup>")
    if not keys:
        return _empty("Service level per interval", "no per-interval service level rows for these channels")
    return _intraday_panels(
        summary,
        "service_level",
        by,
        keys,
        title,
        colours,
        {_t(k): v for k, v in (targets or {}).items()},
        "service level",
    )


def intraday_occupancy(summary: pd.DataFrame, *, colours: Mapping[str, str] | None = None) -> go.Figure:
    """Occupancy per interval for each agent pool (busy share of staffed agent time)."""
    summary = _safe(summary)
    colours = _colours(summary, colours)
    rows = _select(summary, "occupancy", segment=None, pool=None, interval=None)
    rows = rows[(rows["interval"] != ALL) & (rows["pool"] != ALL)]
    if rows.empty:
        return _empty("Occupancy per interval", "no per-interval pool rows")
    pools = sorted(set(rows["pool"].astype(str)))
    return _intraday_panels(
        summary,
        "occupancy",
        "pool",
        pools,
        "Agent occupancy per interval and pool"
        "<br><sup>busy time (handling and after-contact work) over staffed time; "
        "gaps: nobody staffed</sup>",
        colours,
        None,
        "occupancy",
    )


# --- waits ---------------------------------------------------------------------------------------------
def _wait_unit(seconds: float) -> tuple[str, float]:
    if seconds > 2 * 3600:
        return "hours", 3600.0
    if seconds > 5 * 60:
        return "minutes", 60.0
    return "seconds", 1.0


def wait_ecdf(
    waits: pd.DataFrame, *, colours: Mapping[str, str] | None = None, points: int = 201
) -> go.Figure:
    """Distribution of the wait of handled contacts per segment (rows) and channel (columns).

    ``waits``: scenario, segment, channel, wait_s (one row per handled contact; all replications pooled),
    optionally sl_threshold_s (drawn as a dotted line at the typical target for the cell). Each curve is
    reduced to ``points`` quantiles so the report stays small whatever the number of contacts.
    """
    waits = _safe(waits)
    colours = _colours(waits, colours)
    w = waits.dropna(subset=["wait_s"])
    if w.empty:
        return _empty("Waiting-time distribution", "no handled contacts in the records")
    segs = segments_in(w["segment"])
    chans = sorted(set(w["channel"].astype(str)))
    n_segs, n_chans = len(segs), len(chans)
    segs = _largest(segs, w["segment"].astype(str).value_counts().to_dict(), MAX_PANELS)
    chans = _largest(chans, w["channel"].astype(str).value_counts().to_dict(), MAX_PANELS // 2, keep_first=None)
    w = w[w["segment"].astype(str).isin(segs) & w["channel"].astype(str).isin(chans)]
    note = _left_out(len(segs), n_segs, "segments", "handled contacts", ALL in segs).removeprefix("<br>") + (
        f" <sup>showing the {len(chans)} busiest of {n_chans} channels</sup>" if n_chans > len(chans) else "")
    probs = np.linspace(0.0, 1.0, points)
    fig = make_subplots(
        rows=len(segs),
        cols=len(chans),
        shared_yaxes=True,
        shared_xaxes="columns",
        column_titles=chans,
        row_titles=[segment_label(s) for s in segs],
        horizontal_spacing=min(0.04, 0.5 / max(len(chans) - 1, 1)),
        vertical_spacing=_spacing(len(segs), 0.05),
    )
    shown: set[str] = set()
    groups = w.groupby(["segment", "channel"], observed=True)
    for j, ch in enumerate(chans):
        in_ch = w.loc[w["channel"].astype(str) == ch, "wait_s"].to_numpy(float)
        unit_name, div = _wait_unit(float(np.quantile(in_ch, 0.99)) if in_ch.size else 0.0)
        for i, seg in enumerate(segs):
            if (seg, ch) not in groups.groups:
                continue
            cell = groups.get_group((seg, ch))
            for name, colour in colours.items():
                v = cell.loc[cell["scenario"] == name, "wait_s"].to_numpy(float)
                if v.size == 0:
                    continue
                q = np.quantile(v, probs) / div
                fig.add_trace(
                    go.Scatter(
                        x=_finite(q),
                        y=list(probs),
                        mode="lines",
                        name=name,
                        legendgroup=name,
                        showlegend=name not in shown,
                        line={"color": colour, "width": 1.6, "shape": "hv"},
                        hovertemplate=(
                            f"{name} · {segment_label(seg)} · {ch}<br>%{{y:.0%}} waited at most "
                            f"%{{x:,.1f}} {unit_name}<br>{v.size:,} handled contacts<extra></extra>"
                        ),
                    ),
                    row=i + 1,
                    col=j + 1,
                )
                shown.add(name)
            if "sl_threshold_s" in cell.columns and cell["sl_threshold_s"].notna().any():
                t = float(cell["sl_threshold_s"].median()) / div
                fig.add_vline(x=t, line={"color": "#d62728", "dash": "dot", "width": 1}, row=i + 1, col=j + 1)
        fig.update_xaxes(title_text=f"wait ({unit_name})", rangemode="tozero", row=len(segs), col=j + 1)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    for i in range(len(segs)):
        fig.update_yaxes(title_text="share waited ≤ x", row=i + 1, col=1)
    return _base_layout(
        fig,
        "Waiting time of handled contacts per segment and channel (cumulative distribution)"
        "<br><sup>share of handled contacts that waited at most x; dotted red: service-level "
        "threshold</sup>" + (f"<br>{note}" if note.strip() else ""),
        140 + 210 * len(segs),
    )


# --- staffing ------------------------------------------------------------------------------------------
def staffing_vs_load(
    summary: pd.DataFrame,
    pool_channels: Mapping[str, Sequence[str]],
    interval_s: float,
    *,
    concurrency: Mapping[str, int] | None = None,
    colours: Mapping[str, str] | None = None,
) -> go.Figure:
    """Staffed agents against offered load per interval, per channel.

    Offered load in Erlangs = offered contacts x AHT / interval length (``offered`` and ``aht_s`` rows of
    the channel); a channel whose agents work ``concurrency`` contacts at once needs load / concurrency
    agents. Agents are the ``agents`` rows of every pool serving the channel (a blended pool counts in
    each of its channels).
    """
    summary = _safe(summary)
    colours = _colours(summary, colours)
    pool_channels = {_t(p): [_t(c) for c in cs] for p, cs in pool_channels.items()}
    concurrency = {_t(c): k for c, k in (concurrency or {}).items()}
    grid = _interval_grid(summary)
    ordered, x, axis = _time_axis(grid)
    chans = sorted({c for cs in pool_channels.values() for c in cs})
    load_rows = _select(summary, ["offered", "aht_s"], channel=None, interval=None)
    load_rows = load_rows[load_rows["interval"] != ALL]
    chans = [c for c in chans if (load_rows["channel"] == c).any()]
    if not chans:
        return _empty("Staffing against offered load", "no per-interval offered or staffing rows")
    agents = _select(summary, "agents", segment=None, pool=None, interval=None)
    agents = agents[(agents["pool"] != ALL) & (agents["interval"] != ALL)]
    n_chans = len(chans)
    chans = _largest(chans, _weights(summary, "offered", "channel"), MAX_PANELS, keep_first=None)
    fig = make_subplots(
        rows=len(chans),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=_spacing(len(chans), 0.06),
        subplot_titles=[_channel_title(c, pool_channels, concurrency) for c in chans],
    )
    for i, ch in enumerate(chans):
        pools = [p for p, cs in pool_channels.items() if ch in cs]
        for name, colour in colours.items():
            lr = load_rows[(load_rows["scenario"] == name) & (load_rows["channel"] == ch)]
            if lr.empty:
                continue
            wide = lr.pivot_table(
                index="interval", columns="metric", values="mean", aggfunc="first", dropna=False
            )
            wide = wide.reindex(index=ordered, columns=["offered", "aht_s"])
            load = (wide["offered"].fillna(0.0) * wide["aht_s"].fillna(0.0) / float(interval_s)).to_numpy(
                float
            )
            k = (concurrency or {}).get(ch, 1) or 1
            staffed = agents[(agents["scenario"] == name) & agents["pool"].isin(pools)]
            staffed = staffed.groupby("interval")["mean"].sum().reindex(ordered).to_numpy(float)
            fig.add_trace(
                go.Scatter(
                    x=list(x),
                    y=_finite(staffed),
                    mode="lines",
                    name=f"{name}: staffed agents",
                    legendgroup=name,
                    showlegend=i == 0,
                    line={"color": colour, "width": 2, "shape": "hv"},
                    customdata=np.array(ordered, dtype=object),
                    hovertemplate=f"{name}<br>%{{customdata}}: %{{y:.1f}} agents staffed<extra></extra>",
                ),
                row=i + 1,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=list(x),
                    y=_finite(load / k),
                    mode="lines",
                    name=f"{name}: offered load",
                    legendgroup=name,
                    showlegend=i == 0,
                    line={"color": colour, "width": 1.4, "dash": "dot", "shape": "hv"},
                    customdata=np.array(ordered, dtype=object),
                    hovertemplate=(
                        f"{name}<br>%{{customdata}}: offered load %{{y:.1f}} "
                        f"{'agent-equivalents' if k > 1 else 'Erlangs'}<extra></extra>"
                    ),
                ),
                row=i + 1,
                col=1,
            )
        fig.update_yaxes(title_text="agents / Erlangs", rangemode="tozero", row=i + 1, col=1)
    fig.update_xaxes(**{k: v for k, v in axis.items() if k != "title"})
    fig.update_xaxes(title_text=axis["title"]["text"], row=len(chans), col=1)
    return _base_layout(
        fig,
        "Staffed agents against offered load per interval and channel"
        "<br><sup>solid: agents on duty (mean); dotted: offered load = offered contacts x AHT "
        "/ interval length, in Erlangs</sup>" + _left_out(len(chans), n_chans, "channels", "offered contacts"),
        150 + 220 * len(chans),
    )


def _channel_title(
    ch: str, pool_channels: Mapping[str, Sequence[str]], concurrency: Mapping[str, int] | None
) -> str:
    serving = [p for p, cs in pool_channels.items() if ch in cs]
    pools = ", ".join(serving[:4]) + (f" and {len(serving) - 4} more" if len(serving) > 4 else "")
    k = (concurrency or {}).get(ch, 1) or 1
    extra = f"; load ÷ {k} concurrent contacts" if k > 1 else ""
    return f"{ch} (pools: {pools}{extra})"
