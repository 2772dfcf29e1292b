"""The self-contained HTML report of a run or a comparison, rebuilt from the files on disk.

One file that opens offline: plotly.js is inlined once in the head, every figure is a ``div`` drawn by
it, a Content-Security-Policy forbids any network access, and every text that came from a file
(scenario names and descriptions, manifest fields) is escaped with :func:`html.escape`. The output
depends only on the folder's files, so ``contactsim report DIR`` reproduces it byte for byte.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from contactsim import io
from contactsim.report import figures as F
from contactsim.report.data import (
    ComparisonData,
    RunData,
    handled_waits,
    load_comparison,
    load_run,
    needs_flows,
    read_manifest,
    sl_targets,
)

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
    "font-src data:; connect-src 'none'"
)


def service_panels(live_channels: Sequence[str] = ()) -> list[tuple[str, str]]:
    """What a segment feels, as (metric, channel): a segment gains when one of these improves significantly
    and none worsens. Speed of answer counts per live channel (a backlog's hours would swamp the mean)."""
    return [
        ("service_level", F.ALL),
        *(("asa_s", c) for c in live_channels),
        ("abandon_rate", F.ALL),
        ("csat", F.ALL),
    ]


def table_panels(live_channels: Sequence[str] = ()) -> list[tuple[str, str]]:
    return [*service_panels(live_channels), ("cost_per_resolved_need", F.ALL)]


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header,main,footer{max-width:1280px;margin:0 auto;padding:0 24px}
header{padding-top:24px}h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin:1.6em 0 .3em}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;font-size:.92em}dt{color:#555}dd{margin:0}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:8px 18px 14px;margin:16px 0}
p.caption{color:#555;font-size:.9em;margin:.2em 0 .6em}nav a{margin-right:14px;font-size:.9em}
div.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.88em;margin:.5em 0 1em}
th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #eee;white-space:nowrap}
th:first-child,td:first-child{text-align:left}td.sig{font-weight:600}th{white-space:normal;vertical-align:bottom;min-width:5em}
td br+*{font-size:.85em}.js-plotly-plot{max-width:100%}
.gain{color:#1a7f37}.loss{color:#b42318}.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;
margin-right:.35em;vertical-align:baseline}footer{color:#777;font-size:.8em;padding-bottom:30px}
"""


@dataclass
class ReportFigure:
    """One figure of the report: its file name stem, heading, how to read it, and the plotly figure."""

    name: str
    heading: str
    caption: str
    figure: go.Figure


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


# --- plain-language summary ----------------------------------------------------------------------------
def _lower(label: str) -> str:
    """'Service level' -> 'service level', but 'CSAT proxy' stays."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _is_better(metric: str, diff: float) -> bool:
    return (diff > 0) == F.METRICS[metric].higher_is_better


def _top(df: pd.DataFrame) -> pd.DataFrame:
    """Rows over the whole horizon and all pools, keyed by (segment, metric, channel)."""
    d = df[(df["pool"] == F.ALL) & (df["interval"] == F.ALL)]
    return d.assign(segment=d["segment"].astype(str), channel=d["channel"].astype(str))


def _keyed(df: pd.DataFrame) -> pd.DataFrame:
    d = df.set_index(["segment", "metric", "channel"])
    return d[~d.index.duplicated()]


def difference_sentences(
    differences: pd.DataFrame, currency: str = "", per: str = "per run", live_channels: Sequence[str] = ()
) -> list[tuple[str, list[tuple[str, str]]]]:
    """For each scenario against the baseline: a heading and (css class, sentence) pairs saying which
    segment gains, which loses (significant paired differences only) and how total cost moves."""
    d = _top(differences)
    service = service_panels(live_channels)
    out = []
    for name, g in d.groupby("scenario", sort=False):
        base = str(g["baseline"].iloc[0])
        n = int(g["n"].max()) if "n" in g.columns and g["n"].notna().any() else 0
        k = _keyed(g)
        lines: list[tuple[str, str]] = []
        for seg in sorted(g["segment"].unique(), key=lambda s: (s != F.ALL, s)):
            better, worse = [], []
            for m, ch in service:
                if (seg, m, ch) not in k.index or not bool(k.loc[(seg, m, ch), "significant"]):
                    continue
                r = k.loc[(seg, m, ch)]
                what = _lower(F.METRICS[m].label) + ("" if ch == F.ALL else f" on {ch}")
                text = (
                    f"{what} {F.fmt_value(m, r['diff_mean'], True)} "
                    f"({F.ci_text(m, r['ci_low'], r['ci_high'], True)})"
                )
                (better if _is_better(m, float(r["diff_mean"])) else worse).append(text)
            who = F.segment_label(seg).capitalize() if seg == F.ALL else seg
            if better and not worse:
                lines.append(("gain", f"{who} gain{'' if seg == F.ALL else 's'}: {'; '.join(better)}."))
            elif worse and not better:
                lines.append(("loss", f"{who} lose{'' if seg == F.ALL else 's'}: {'; '.join(worse)}."))
            elif better and worse:
                lines.append(("", f"{who}: mixed; better {'; '.join(better)}; worse {'; '.join(worse)}."))
            else:
                lines.append(
                    (
                        "",
                        f"{who}: no significant change in service level, speed of answer, "
                        "abandonment or CSAT.",
                    )
                )
        if (F.ALL, "cost", F.ALL) in k.index:
            r = k.loc[(F.ALL, "cost", F.ALL)]
            diff, base_mean, sig = float(r["diff_mean"]), float(r["baseline_mean"]), bool(r["significant"])
            pct = f" ({diff / base_mean:+.2%})" if base_mean else ""
            verb = "rises" if diff > 0 else "falls" if diff < 0 else "does not change"
            lines.append(
                (
                    "loss" if sig and diff > 0 else "gain" if sig and diff < 0 else "",
                    f"Total cost {verb} by {currency} {abs(diff):,.0f} {per}{pct}; 95% CI "
                    f"{r['ci_low']:+,.0f} to {r['ci_high']:+,.0f} "
                    f"({'significant' if sig else 'not significant: the CI includes zero'}).",
                )
            )
        if (F.ALL, "revenue", F.ALL) in k.index and (F.ALL, "net_cost", F.ALL) in k.index:
            rev, net = k.loc[(F.ALL, "revenue", F.ALL)], k.loc[(F.ALL, "net_cost", F.ALL)]
            if abs(float(rev["diff_mean"])) > 1e-9 or abs(float(rev["baseline_mean"])) > 1e-9:
                diff, sig = float(net["diff_mean"]), bool(net["significant"])
                lines.append(
                    (
                        "loss" if sig and diff > 0 else "gain" if sig and diff < 0 else "",
                        f"Revenue changes by {currency} {float(rev['diff_mean']):+,.0f} {per}, so the net cost "
                        f"(cost minus revenue) changes by {currency} {diff:+,.0f}; 95% CI {net['ci_low']:+,.0f} "
                        f"to {net['ci_high']:+,.0f} ({'significant' if sig else 'not significant'}).",
                    )
                )
        if (F.ALL, "promise_level", F.ALL) in k.index:
            r = k.loc[(F.ALL, "promise_level", F.ALL)]
            lines.append(("", f"Promise level (members' contacts within the promise) {r['scenario_mean']:.1%} "
                              f"against {r['baseline_mean']:.1%} ({r['diff_mean'] * 100:+.1f} pp; 95% CI "
                              f"{r['ci_low'] * 100:+.1f} to {r['ci_high'] * 100:+.1f} pp)."))
        if (F.ALL, "cost_per_resolved_need", F.ALL) in k.index:
            r = k.loc[(F.ALL, "cost_per_resolved_need", F.ALL)]
            m = "cost_per_resolved_need"
            lines.append(
                (
                    "",
                    f"Cost per resolved need {F.fmt_value(m, r['diff_mean'], True)} {currency} "
                    f"({F.ci_text(m, r['ci_low'], r['ci_high'], True)}"
                    f"{'' if r['significant'] else '; not significant'}).",
                )
            )
        out.append((f"{name} compared with {base} (same customers, paired over {n} replications):", lines))
    return out


MAX_SENTENCES = 12
"""Segments described in a run's summary; beyond that the worst-served ones (all are in summary.csv)."""


def run_sentences(
    summary: pd.DataFrame,
    targets: dict[str, float],
    currency: str = "",
    per: str = "per run",
    live_channels: Sequence[str] = (),
    promise: str = "",
) -> list[tuple[str, str]]:
    """A single run in a few sentences: service level per segment against target, then cost and the business
    case (revenue, net cost, the premium promise) where the scenario has them."""
    k = _keyed(_top(summary))
    lines: list[tuple[str, str]] = []

    def get(seg: str, m: str, ch: str = F.ALL) -> pd.Series | None:
        return k.loc[(seg, m, ch)] if (seg, m, ch) in k.index else None

    segments = F.segments_in(k.index.get_level_values("segment"))
    left_out = 0
    if len(segments) > MAX_SENTENCES + 1:  # at the schema's maxima: the total and the worst-served segments
        named = [s for s in segments if s != F.ALL and get(s, "service_level") is not None]
        worst = set(sorted(named, key=lambda s: (float(get(s, "service_level")["mean"]), s))[:MAX_SENTENCES])
        left_out = len(named) - len(worst)
        segments = [s for s in segments if s in worst or s == F.ALL]
    for seg in segments:
        sl = get(seg, "service_level")
        if sl is None:
            continue
        who = F.segment_label(seg).capitalize() if seg == F.ALL else seg
        has_ci = bool(np.isfinite(sl["ci_low"]) and np.isfinite(sl["ci_high"]))
        ci = F.ci_text("service_level", sl["ci_low"], sl["ci_high"]) if has_ci else "one replication: no CI"
        text = f"{who}: {sl['mean']:.1%} answered within target ({ci})"
        cls = ""
        t = targets.get(seg)
        if t is not None and has_ci:
            if sl["ci_high"] < t:
                text, cls = text + f", below the blended {t:.0%} target", "loss"
            elif sl["ci_low"] >= t:
                text, cls = text + f", meets the blended {t:.0%} target", "gain"
            else:
                text += f", not distinguishable from the blended {t:.0%} target"
        elif t is not None:
            text += f"; blended target {t:.0%}"
        asa = [
            f"{ch} {F.fmt_value('asa_s', r['mean'])}"
            for ch in live_channels
            if (r := get(seg, "asa_s", ch)) is not None
        ]
        if asa:
            text += "; speed of answer " + ", ".join(asa)
        ab = get(seg, "abandon_rate")
        if ab is not None:
            text += f"; abandonment {F.fmt_value('abandon_rate', ab['mean'])}"
        lines.append((cls, text + "."))
    if left_out:
        lines.append(("", f"... and {left_out} more segments (the {MAX_SENTENCES} with the lowest service level "
                          "are shown; every segment is in summary.csv)."))
    cost, cpr = get(F.ALL, "cost"), get(F.ALL, "cost_per_resolved_need")
    if cost is not None:
        text = f"Total cost {currency} {cost['mean']:,.0f} {per}"
        if cpr is not None:
            text += f"; {currency} {cpr['mean']:,.2f} per resolved need"
        lines.append(("", text + "."))
    revenue, net = get(F.ALL, "revenue"), get(F.ALL, "net_cost")
    if revenue is not None and revenue["mean"] > 0 and net is not None:
        lines.append(("", f"Business case: revenue {currency} {revenue['mean']:,.0f} {per}, net cost (cost minus "
                          f"revenue) {currency} {net['mean']:,.0f}."))
    level, met = get(F.ALL, "promise_level"), get(F.ALL, "promise_met")
    if level is not None:
        text = f"Promise{' (' + promise + ')' if promise else ''}: {level['mean']:.1%} of members' contacts within it"
        if met is not None:
            text += f"; met in {met['mean']:.0%} of replications"
        lines.append(("gain" if met is not None and met["mean"] >= 0.5 else "loss", text + "."))
    if targets:
        lines.append(("", "Targets per segment are blended: each contact is held to its own channel's target "
                          "(or its segment's), and a segment's target is the mix of those shares weighted by "
                          "its offered contacts per channel."))
    return lines


def _promise_text(sc) -> str:
    prem = sc.policies.premium
    if prem is None or prem.promise is None:
        return ""
    chans = ", ".join(prem.promise_channels) if prem.promise_channels else "all channels"
    return f"{prem.promise.share:.0%} within {prem.promise.seconds:g} s on {chans}"


def _per(run: RunData) -> str:
    h = run.scenario.horizon
    if h.days is not None:
        return "per week" if h.days == 7 else f"per {h.days}-day run"
    return f"per {h.steady_state_hours:g} measured hours"


# --- figures -------------------------------------------------------------------------------------------
def build_figures(runs: Sequence[RunData], differences: pd.DataFrame | None = None) -> list[ReportFigure]:
    """Every figure of the report; one scenario for a run report, the baseline first for a comparison."""
    names = [r.name for r in runs]
    colours = F.scenario_colours(names)
    base = runs[0]
    cur = base.currency
    summary = pd.concat([r.summary for r in runs], ignore_index=True)
    waterfall = pd.concat([r.waterfall for r in runs], ignore_index=True)
    segments = F.segments_in(summary.loc[summary["metric"] == "need_csat", "segment"].astype(str))
    kpis = [*table_panels(base.live_channels)]
    figs = [
        ReportFigure(
            "kpis",
            "KPIs per segment",
            "Mean over replications with 95% confidence intervals, all channels together except speed of "
            "answer, shown per live channel (customers waiting on the line). "
            + (
                "A * marks a scenario whose paired difference to the baseline has a 95% CI excluding zero."
                if len(runs) > 1
                else ""
            ),
            F.kpi_comparison(summary, differences, metrics=kpis, currency=cur, colours=colours),
        ),
        ReportFigure(
            "cost_vs_satisfaction",
            "Cost against satisfaction",
            "Cost per resolved need against the CSAT proxy per need; the efficient frontier appears with "
            "three or more scenarios.",
            F.cost_vs_satisfaction(summary, segments=segments, currency=cur, colours=colours),
        ),
        ReportFigure(
            "funnel",
            "Funnel waterfall",
            "How many needs end at each level of the contact strategy, and what each level costs.",
            F.funnel_waterfall(waterfall, currency=cur, colours=colours),
        ),
        ReportFigure(
            "needs_sankey",
            "Needs from segment to outcome",
            "Where each segment's needs go: funnel level, then terminal state (from the need records).",
            F.needs_sankey(needs_flows(list(runs)), colours=colours),
        ),
        ReportFigure(
            "intraday_service_level",
            "Service level per interval",
            "Live channels, all segments together; dashed: the channel's target share. Backlogs (e-mail, "
            "webcare) are answered in hours and are left out here, so a quiet Sunday of e-mails does not pull "
            "the line down.",
            F.intraday_service_level(
                summary,
                {ch: base.scenario.service_level_target(ch).share for ch in base.live_channels
                 if ch in base.scenario.channels},
                colours=colours,
                channels=base.live_channels,
            ),
        ),
        ReportFigure(
            "intraday_occupancy",
            "Occupancy per interval",
            "Per agent pool.",
            F.intraday_occupancy(summary, colours=colours),
        ),
        ReportFigure(
            "wait_ecdf",
            "Waiting-time distribution",
            "Handled contacts only, all replications pooled (from the contact records).",
            F.wait_ecdf(handled_waits(list(runs)), colours=colours),
        ),
        ReportFigure(
            "staffing_vs_load",
            "Staffing against offered load",
            "Staffed agents per interval against the offered load in Erlangs.",
            F.staffing_vs_load(
                summary, base.pool_channels, base.interval_s, concurrency=base.concurrency, colours=colours
            ),
        ),
    ]
    return figs


# --- HTML ----------------------------------------------------------------------------------------------
def _br(text: str) -> str:
    """Escaped text; a newline becomes a line break (a CI under its mean keeps tables narrow)."""
    return "<br>".join(esc(part) for part in str(text).split("\n"))


def _table(headers: Sequence[str], rows: Sequence[Sequence[tuple[str, str]]]) -> str:
    """rows of (css class, text) cells; every text escaped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{esc(c)}">{_br(t)}</td>' if c else f"<td>{_br(t)}</td>" for c, t in r)
        + "</tr>"
        for r in rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _difference_tables(differences: pd.DataFrame, live_channels: Sequence[str] = ()) -> str:
    d = _top(differences)
    specs = table_panels(live_channels)
    parts = []
    for name, g in d.groupby("scenario", sort=False):
        base = str(g["baseline"].iloc[0])
        k = _keyed(g)
        rows = []
        for seg in F.segments_in(g["segment"]):
            cells = [("", F.segment_label(seg))]
            for m, ch in specs:
                if (seg, m, ch) not in k.index:
                    cells.append(("", "-"))
                    continue
                r = k.loc[(seg, m, ch)]
                half = (r["ci_high"] - r["ci_low"]) / 2
                text = f"{F.fmt_value(m, r['diff_mean'], True)} ± {F.fmt_value(m, half).lstrip('+')}"
                cls = ""
                if bool(r["significant"]):
                    text += " *"
                    cls = "sig gain" if _is_better(m, float(r["diff_mean"])) else "sig loss"
                cells.append((cls, text))
            rows.append(cells)
        parts.append(
            f"<h3>{esc(name)} minus {esc(base)}</h3>"
            + _table(["segment", *(F.panel_label(m, ch) for m, ch in specs)], rows)
        )
    note = (
        '<p class="caption">Paired differences (scenario minus baseline) ± the half-width of the 95% CI; '
        "* = the CI excludes zero (green: better for customers or cheaper, red: worse). Shares in "
        "percentage points.</p>"
    )
    return note + "".join(parts)


def _kpi_table(summary: pd.DataFrame, live_channels: Sequence[str] = ()) -> str:
    k = _keyed(_top(summary))
    specs = table_panels(live_channels)
    rows = []
    for seg in F.segments_in(k.index.get_level_values("segment")):
        cells = [("", F.segment_label(seg))]
        for m, ch in specs:
            if (seg, m, ch) not in k.index:
                cells.append(("", "-"))
                continue
            r = k.loc[(seg, m, ch)]
            text = F.fmt_value(m, r["mean"])
            if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]):
                text += f"\n({F.fmt_value(m, r['ci_low'])} to {F.fmt_value(m, r['ci_high'])})"
            cells.append(("", text))
        rows.append(cells)
    return '<p class="caption">Mean over replications (95% CI).</p>' + _table(
        ["segment", *(F.panel_label(m, ch) for m, ch in specs)], rows
    )


def _sentences_html(lines: Sequence[tuple[str, str]]) -> str:
    items = "".join(f'<li class="{esc(c)}">{esc(t)}</li>' if c else f"<li>{esc(t)}</li>" for c, t in lines)
    return f"<ul>{items}</ul>"


def _header_rows(runs: Sequence[RunData], manifest: dict, colours: dict[str, str]) -> str:
    """Scenarios (colour swatch, description), seed, replications, horizon and version, as header rows."""
    versions = manifest.get("versions") or runs[0].manifest.get("versions") or {}
    rows = []
    for i, r in enumerate(runs):
        term = ("scenarios" if len(runs) > 1 else "scenario") if i == 0 else ""
        text = (
            f'<span class="swatch" style="background:{esc(colours[r.name])}"></span><b>{esc(r.name)}</b>'
            + (" (baseline)" if i == 0 and len(runs) > 1 else "")
            + (f" — {esc(r.scenario.description)}" if r.scenario.description else "")
        )
        rows.append(f"<dt>{term}</dt><dd>{text}</dd>")
    h = runs[0].scenario.horizon
    horizon = (
        f"{h.days} days from {h.start_weekday}"
        if h.days is not None
        else f"{h.steady_state_hours:g} h steady state after {h.warmup_hours:g} h warm-up"
    )
    items = [
        ("seed", manifest.get("seed", runs[0].manifest.get("seed"))),
        ("replications", manifest.get("replications", runs[0].manifest.get("replications"))),
        ("horizon", f"{horizon}, {h.interval_minutes}-minute intervals"),
        ("currency", runs[0].currency),
        ("contactsim", versions.get("contactsim", "unknown")),
        ("created (UTC)", manifest.get("created_utc", "")),
    ]
    rows += [f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items]
    return "".join(rows)


def _figure_html(fig: ReportFigure) -> str:
    div = pio.to_html(
        fig.figure,
        full_html=False,
        include_plotlyjs=False,
        div_id=f"fig-{fig.name}",
        config={"displaylogo": False, "responsive": True},
    )
    return (
        f'<section id="{esc(fig.name)}"><h2>{esc(fig.heading)}</h2>'
        f'<p class="caption">{esc(fig.caption)}</p>{div}</section>'
    )


def render(
    title: str,
    runs: Sequence[RunData],
    manifest: dict,
    summary_html: str,
    tables_html: str,
    figs: Sequence[ReportFigure],
) -> str:
    """The whole page: head with the inlined plotly.js, header, summary, tables and figures."""
    colours = F.scenario_colours([r.name for r in runs])
    version = (manifest.get("versions") or {}).get("contactsim", "")
    return page(title, _header_rows(runs, manifest, colours), summary_html + tables_html, figs,
                f"Written by contactsim {esc(version)} from the files in this folder; rebuild with "
                "<code>contactsim report FOLDER</code>.")


def page(title: str, header_html: str, summary_html: str, figs: Sequence[ReportFigure], footer_html: str) -> str:
    """A self-contained page in the house style, for run, comparison, calibration and backtest reports: head
    (CSP, CSS, the inlined plotly.js), header (title over ``header_html``'s ``<dt>/<dd>`` rows), navigation,
    summary, one section per figure, footer. ``header_html``, ``summary_html`` and ``footer_html`` are HTML."""
    nav = "".join(f'<a href="#{esc(f.name)}">{esc(f.heading)}</a>' for f in figs)
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{CSS}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head><body>",
        f"<header><h1>{esc(title)}</h1><dl>{header_html}</dl></header>",
        f'<main><nav><a href="#summary">Summary</a>{nav}</nav>',
        f'<section id="summary"><h2>Summary</h2>{summary_html}</section>',
        *(_figure_html(f) for f in figs),
        "</main>",
        f"<footer>{footer_html}</footer>",
        "</body></html>",
    ]) + "\n"


def run_report(folder: Path) -> tuple[str, list[ReportFigure]]:
    """HTML and figures of a run folder."""
    run = load_run(folder)
    figs = build_figures([run])
    lines = run_sentences(run.summary, sl_targets(run), run.currency, _per(run), run.live_channels,
                          _promise_text(run.scenario))
    page = render(
        f"contactsim run: {run.name}",
        [run],
        run.manifest,
        _sentences_html(lines),
        _kpi_table(run.summary, run.live_channels),
        figs,
    )
    return page, figs


def comparison_report(folder: Path) -> tuple[str, list[ReportFigure]]:
    """HTML and figures of a comparison folder."""
    cmp: ComparisonData = load_comparison(folder)
    figs = build_figures(cmp.runs, cmp.differences)
    base = cmp.runs[0]
    blocks = "".join(
        f"<p>{esc(head)}</p>{_sentences_html(lines)}"
        for head, lines in difference_sentences(
            cmp.differences, base.currency, _per(base), base.live_channels
        )
    )
    title = "contactsim comparison: " + " vs ".join(r.name for r in cmp.runs)
    page = render(
        title,
        cmp.runs,
        cmp.manifest,
        blocks or "<p>No differences were computed.</p>",
        _difference_tables(cmp.differences, base.live_channels),
        figs,
    )
    return page, figs


def _write(folder: Path, page: str, figs: Sequence[ReportFigure], images: bool, out: Path | None) -> Path:
    target = Path(out) if out is not None else Path(folder) / "report.html"
    io.write_text(target, page)
    if images:
        from contactsim.report.images import write_images

        write_images({f.name: f.figure for f in figs}, Path(folder) / "figures")
    return target


def write_run_report(folder: Path, images: bool = False) -> Path:
    """Write ``folder/report.html`` for a run folder (and figures/*.png, *.svg with ``images``)."""
    page, figs = run_report(folder)
    return _write(folder, page, figs, images, None)


def write_comparison_report(folder: Path, images: bool = False) -> Path:
    """Write ``folder/report.html`` for a comparison folder (and figures/*.png, *.svg with ``images``)."""
    page, figs = comparison_report(folder)
    return _write(folder, page, figs, images, None)


def write_report(folder: Path, images: bool = False, out: Path | None = None) -> Path:
    """Rebuild the report of a run or comparison folder, told apart by manifest.json's ``kind``."""
    kind = read_manifest(Path(folder))["kind"]
    page, figs = run_report(folder) if kind == "run" else comparison_report(folder)
    return _write(folder, page, figs, images, out)
