"""Calibration and backtest reports: the fit diagnostics of ``contactsim calibrate`` and the observed vs
simulated figures of ``contactsim backtest``, in the run reports' house style (same CSS, inlined plotly,
no network). Takes plain DataFrames only; the calibration package builds them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from contactsim.report import figures as F
from contactsim.report.html import ReportFigure, esc
from contactsim.report.html import page as html_page

BLUE, ORANGE, GREEN, PINK = F.PALETTE[0], F.PALETTE[1], F.PALETTE[2], F.PALETTE[3]
LAW_COLOURS = {"exponential": ORANGE, "lognormal": BLUE, "gamma": GREEN}


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(template=F.TEMPLATE, title=title, height=height, margin={"l": 60, "r": 20, "t": 60, "b": 50},
                      legend={"orientation": "h", "y": -0.18})
    return fig


def day_volumes(days: pd.DataFrame) -> go.Figure:
    """Contacts per date against the weekday mean; special dates marked (date, volume, expected, special)."""
    fig = go.Figure()
    fig.add_bar(x=days["date"], y=days["volume"], name="observed", marker_color=BLUE)
    fig.add_scatter(x=days["date"], y=days["expected"], mode="lines", name="weekday mean",
                    line={"color": ORANGE, "shape": "hv"})
    sp = days[days["special"]]
    fig.add_scatter(x=sp["date"], y=sp["volume"], mode="markers", name="special date (left out)",
                    marker={"color": PINK, "size": 11, "symbol": "x"})
    fig.update_yaxes(title="contacts per day")
    return _layout(fig, "Volume per date")


def day_persistence(ratios: pd.DataFrame) -> go.Figure:
    """Day ratio r_d (volume / weekday mean) over time and against the previous day."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38],
                        subplot_titles=("day level over time", "day level vs previous date"))
    fig.add_scatter(x=ratios["date"], y=ratios["ratio"], mode="lines+markers", name="day volume / weekday mean",
                    line={"color": BLUE}, row=1, col=1)
    prev = ratios["ratio"].shift(1)
    fig.add_scatter(x=prev, y=ratios["ratio"], mode="markers", name="consecutive dates", marker={"color": GREEN},
                    row=1, col=2)
    fig.update_xaxes(title="previous date", row=1, col=2)
    fig.update_yaxes(title="ratio", row=1, col=1)
    return _layout(fig, "Day-level variability and its persistence")


def interval_dispersion(disp: pd.DataFrame) -> go.Figure:
    """Variance-to-mean of interval counts given the day total per interval of the day: data vs Poisson vs model."""
    fig = go.Figure()
    fig.add_scatter(x=disp["time"], y=disp["observed"], mode="lines+markers", name="observed", line={"color": BLUE})
    fig.add_scatter(x=disp["time"], y=disp["model"], mode="lines", name="calibrated model (Poisson-gamma)",
                    line={"color": ORANGE, "dash": "dash"})
    fig.add_scatter(x=disp["time"], y=np.ones(len(disp)), mode="lines", name="Poisson (no overdispersion)",
                    line={"color": "#7F7F7F", "dash": "dot"})
    fig.update_yaxes(title="variance / mean", rangemode="tozero")
    return _layout(fig, "Within-day overdispersion per interval")


def profiles(prof: pd.DataFrame) -> go.Figure:
    """Intraday share per weekday with its day-bootstrap 95% band (weekday, time, share, low, high)."""
    fig = go.Figure()
    for i, (wd, g) in enumerate(prof.groupby("weekday", sort=False)):
        c = F.PALETTE[i % len(F.PALETTE)]
        fig.add_scatter(x=list(g["time"]) + list(g["time"])[::-1], y=list(g["high"]) + list(g["low"])[::-1],
                        fill="toself", fillcolor=F._rgba(c, 0.15), line={"width": 0}, showlegend=False,
                        hoverinfo="skip")
        fig.add_scatter(x=g["time"], y=g["share"], mode="lines", name=str(wd), line={"color": c})
    fig.update_yaxes(title="share of the day", tickformat=".1%")
    return _layout(fig, "Intraday profile per weekday (95% band)")


def law_qq(q: pd.DataFrame, title: str, chosen: str) -> go.Figure:
    """Fitted against observed quantiles for each law (a law on the diagonal fits)."""
    fig = go.Figure()
    top = float(np.nanmax(q[["observed", *[c for c in LAW_COLOURS if c in q]]].to_numpy()))
    fig.add_scatter(x=[0, top], y=[0, top], mode="lines", name="perfect fit", line={"color": "#7F7F7F", "dash": "dot"})
    for law, c in LAW_COLOURS.items():
        if law in q:
            fig.add_scatter(x=q["observed"], y=q[law], mode="lines+markers", marker={"size": 4},
                            name=law + (" (chosen)" if law == chosen else ""),
                            line={"color": c, "width": 3 if law == chosen else 1.5})
    fig.update_xaxes(title="observed quantile (s)")
    fig.update_yaxes(title="fitted quantile (s)")
    return _layout(fig, title)


def patience_survival(km: pd.DataFrame, fitted: pd.DataFrame, title: str, chosen: str) -> go.Figure:
    """Kaplan-Meier survival of patience with its 95% band, and the censored parametric fits."""
    fig = go.Figure()
    fig.add_scatter(x=list(km["time_s"]) + list(km["time_s"])[::-1], y=list(km["high"]) + list(km["low"])[::-1],
                    fill="toself", fillcolor=F._rgba(BLUE, 0.15), line={"width": 0}, name="Kaplan-Meier 95% band")
    fig.add_scatter(x=km["time_s"], y=km["survival"], mode="lines", name="Kaplan-Meier", line={"color": BLUE,
                                                                                                "shape": "hv"})
    for law, c in LAW_COLOURS.items():
        if law in fitted:
            fig.add_scatter(x=fitted["time_s"], y=fitted[law], mode="lines", name=law + (" (chosen)" if law == chosen
                                                                                         else ""),
                            line={"color": c, "dash": "solid" if law == chosen else "dash"})
    fig.update_xaxes(title="seconds waited")
    fig.update_yaxes(title="P(patience > t)", range=[0, 1.02])
    return _layout(fig, title)


def staffing(st: pd.DataFrame) -> go.Figure:
    """Agents on duty, busy agents and implied occupancy per interval of the week (pool, label, ...)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for i, (pool, g) in enumerate(st.groupby("pool", sort=False)):
        c = F.PALETTE[i % len(F.PALETTE)]
        fig.add_scatter(x=g["label"], y=g["agents"], mode="lines", name=f"{pool}: on duty",
                        line={"color": c, "shape": "hv"})
        fig.add_scatter(x=g["label"], y=g["busy_agents"], mode="lines", name=f"{pool}: busy",
                        line={"color": c, "dash": "dot", "shape": "hv"})
        fig.add_scatter(x=g["label"], y=g["occupancy"], mode="lines", name=f"{pool}: occupancy",
                        line={"color": c, "width": 1}, opacity=0.5, secondary_y=True)
    fig.update_yaxes(title="agents", secondary_y=False)
    fig.update_yaxes(title="occupancy", tickformat=".0%", range=[0, 1.05], secondary_y=True)
    fig.update_xaxes(nticks=14)
    return _layout(fig, "Staffing per interval of the week and the occupancy it implies")


def observed_kpis(obs: pd.DataFrame) -> go.Figure:
    """Observed KPIs per interval over the data (interval_start, channel, service_level, abandon_rate, ...)."""
    metrics = [m for m in ("service_level", "abandon_rate", "asa_s") if m in obs and obs[m].notna().any()]
    fig = make_subplots(rows=max(len(metrics), 1), cols=1, shared_xaxes=True,
                        subplot_titles=[F.METRICS[m].label if m in F.METRICS else m for m in metrics])
    for i, m in enumerate(metrics):
        for j, (ch, g) in enumerate(obs.groupby("channel", sort=True)):
            daily = g.set_index("interval_start")[[m]].resample("D").mean().dropna()
            fig.add_scatter(x=daily.index, y=daily[m], mode="lines", name=f"{ch}", showlegend=i == 0,
                            line={"color": F.PALETTE[j % len(F.PALETTE)]}, row=i + 1, col=1)
    return _layout(fig, "Observed KPIs (mean of the intervals of each date)", 200 + 180 * len(metrics))


def backtest_bands(iv: pd.DataFrame, metrics: Sequence[str]) -> go.Figure:
    """Observed KPI per interval of the week against the simulated 95% prediction band."""
    ms = [m for m in metrics if m in set(iv["metric"])]
    fig = make_subplots(rows=len(ms), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[F.METRICS[m].label if m in F.METRICS else m.replace("_", " ") for m in ms])
    for i, m in enumerate(ms):
        g = iv[iv["metric"] == m]
        for j, (ch, gc) in enumerate(g.groupby("channel", sort=True)):
            x = list(gc["label"])
            c = F.PALETTE[j % len(F.PALETTE)]
            first = i == 0
            fig.add_scatter(x=x + x[::-1], y=list(gc["band_high"]) + list(gc["band_low"])[::-1], fill="toself",
                            fillcolor=F._rgba(c, 0.2), line={"width": 0}, name=f"{ch}: simulated 95% band",
                            showlegend=first, hoverinfo="skip", row=i + 1, col=1)
            fig.add_scatter(x=x, y=gc["simulated"], mode="lines", line={"color": c, "width": 1},
                            name=f"{ch}: simulated mean", showlegend=first, row=i + 1, col=1)
            out = ~gc["inside"].astype(bool)
            fig.add_scatter(x=x, y=gc["observed"], mode="markers", marker={"color": "#000", "size": 4},
                            name="observed", showlegend=first and j == 0, row=i + 1, col=1)
            fig.add_scatter(x=gc.loc[out, "label"], y=gc.loc[out, "observed"], mode="markers",
                            marker={"color": "#D55E00", "size": 8, "symbol": "x"}, name="observed, outside the band",
                            showlegend=first and j == 0, row=i + 1, col=1)
    fig.update_xaxes(nticks=14)
    return _layout(fig, "Observed vs simulated per interval of the week", 240 * len(ms) + 120)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def page(title: str, header: Sequence[tuple[str, str]], summary_html: str, figs: Sequence[ReportFigure],
         footer: str) -> str:
    """A self-contained page in the house style (the run report's page, header rows and footer as text)."""
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in header)
    return html_page(title, dl, summary_html, figs, esc(footer))
