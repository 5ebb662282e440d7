"""What ``landsim validate`` writes: ``report.md``, ``report.json`` and one figure per pattern.

* :func:`pattern_figure` — a pattern's checks at every world size: the effect with its 95 %
  interval against the threshold it must clear;
* :func:`write_report` — the two tables, a figure, the mechanism and the checks of each pattern,
  the runs (scenario files and the keys variants change) and provenance, as Markdown and JSON.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from landsim.dictionary import describe
from landsim.figures import new_figure
from landsim.provenance import atomic_path, write_json
from landsim.validation import SIZES, Check, Pattern, Spec
from landsim.validation.tables import UNDERPOWERED_MARK, UNDERPOWERED_NOTE, levels_title, mark

__all__ = ["pattern_figure", "effect_unit", "write_report", "passed"]


def passed(patterns: pd.DataFrame, levels: pd.DataFrame, strict: bool = False) -> bool:
    """Every check holds at every size and every level is inside its range (a level with a
    ``known_gap`` counts only when ``strict``)."""
    ok_patterns = bool(patterns["holds"].all()) if len(patterns) else True
    if levels.empty:
        return ok_patterns
    counted = levels if strict else levels[levels["known_gap"] == ""]
    return ok_patterns and bool(counted["inside"].all())


#: panels a row of a pattern's figure holds before it wraps (pattern 9 has 13 checks)
PANELS_PER_ROW = 5


def pattern_figure(pattern: Pattern, table: pd.DataFrame, path: Path) -> None:
    """One panel per check: effect and 95 % interval at each size, threshold as a line; at
    most :data:`PANELS_PER_ROW` panels a row."""
    rows = table[table["pattern"] == pattern.id]
    checks = list(dict.fromkeys(rows["check"]))
    n = max(len(checks), 1)
    ncols = min(n, PANELS_PER_ROW)
    nrows = -(-n // ncols)
    fig, _ = new_figure(3.4 * ncols, 0.4 + 3.3 * nrows)
    grid = fig.subplots(nrows, ncols, squeeze=False)
    axes = list(grid.ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    units = {c.label: effect_unit(c) for c in pattern.checks}
    for ax, check in zip(axes, checks, strict=False):
        unit = units.get(check, "")
        ax.set_ylabel(
            _wrap(f"effect, {unit} (95% CI)" if unit else "effect (95% CI)", 34), fontsize=8
        )
        g = rows[rows["check"] == check]
        sizes = [s for s in SIZES if s in set(g["size"])]
        for i, size in enumerate(sizes):
            r = g[g["size"] == size].iloc[0]
            color = "tab:green" if r.holds else "tab:red"
            lo = r.effect - r.ci_low if not math.isnan(r.ci_low) else 0
            hi = r.ci_high - r.effect if not math.isnan(r.ci_high) else 0
            ax.errorbar(i, r.effect, yerr=[[lo], [hi]], fmt="o", color=color, capsize=4)
        threshold = float(g["threshold"].iloc[0].split()[1])
        ax.axhline(threshold, color="0.4", lw=1, ls="--")
        ax.set_xticks(range(len(sizes)), sizes)
        ax.set_xlim(-0.6, len(sizes) - 0.4)
        ax.set_xlabel("world size")
        ax.set_title(_wrap(check, 38), fontsize=8)
    fig.suptitle(_wrap(f"{pattern.id}. {pattern.name}", 70), fontsize=9)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")


def effect_unit(check: Check) -> str:
    """The unit of a check's effect: the unit of the column it compares (the data
    dictionary's), or "relative change" for a ratio (``a / b - 1``)."""
    if check.kind == "ratio":
        return "relative change"
    if check.a.column is None:
        return ""
    unit = describe(check.a.column).unit
    return (
        "0-1 scale"
        if unit == "fraction (0-1)"
        else unit.replace("fraction (0-1) of", "fraction of")
    )


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:3])


def _f(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3f}"


def levels_markdown(levels: pd.DataFrame) -> str:
    """The levels table as Markdown."""
    lines = [
        "| quantity | model [95% CI] | sourced range | unit | source | inside? |",
        "|---|---|---|---|---|---|",
    ]
    for r in levels.itertuples():
        inside = "yes" if r.inside else ("no (known gap)" if r.known_gap else "**no**")
        lines.append(
            f"| {r.quantity} | {_f(r.value)} [{_f(r.ci_low)}, {_f(r.ci_high)}] | "
            f"{_f(r.low)}-{_f(r.high)} | {r.unit} | {r.source} | {inside} |"
        )
    return "\n".join(lines)


def patterns_markdown(patterns: pd.DataFrame) -> str:
    """The patterns table as Markdown: one row per check, one column per size."""
    sizes = [s for s in SIZES if s in set(patterns["size"])]
    lines = [
        "| pattern | check (measure) | threshold | " + " | ".join(sizes) + " |",
        "|---|---|---|" + "---|" * len(sizes),
    ]
    for (pid, check), g in patterns.groupby(["pattern", "check"], sort=False):
        cells = []
        for s in sizes:
            r = g[g["size"] == s].iloc[0]
            shown = mark(r)
            shown = shown if r.holds else f"**{shown}**"
            cells.append(f"{_f(r.effect)} [{_f(r.ci_low)}, {_f(r.ci_high)}] {shown}")
        lines.append(f"| {pid} | {check} | {g['threshold'].iloc[0]} | " + " | ".join(cells) + " |")
    if "underpowered" in patterns and patterns["underpowered"].any():
        lines += ["", f"{UNDERPOWERED_MARK}: {UNDERPOWERED_NOTE}."]
    return "\n".join(lines)


def write_report(
    out: Path,
    spec: Spec,
    patterns: pd.DataFrame,
    levels: pd.DataFrame,
    provenance: dict[str, Any],
    strict: bool = False,
) -> list[Path]:
    """Write ``report.md``, ``report.json`` and ``pattern-N.png``; return the files written."""
    written = []
    for pat in spec.patterns:
        path = out / f"pattern-{pat.id}.png"
        pattern_figure(pat, patterns, path)
        written.append(path)
    ok = passed(patterns, levels, strict)
    sizes = [s for s in SIZES if s in set(patterns["size"])] if len(patterns) else []
    at = str(levels["size"].iloc[0]) if "size" in levels and len(levels) else spec.level_size
    md = [
        f"# Validation report{': ' + spec.title if spec.title else ''}",
        "",
        f"**Result: {'PASS' if ok else 'FAIL'}** — every pattern at every size "
        f"({', '.join(sizes)}) and every level at size {at}"
        f"{'' if strict else ' (levels marked as known gaps are reported, not counted)'}.",
        "",
        f"Command: `{provenance['command']}`  ",
        f"Patterns file: `{provenance['spec']}` (sha256 {provenance['spec_sha256'][:12]})  ",
        "Replicates per run: "
        + ", ".join(f"{k} {v}" for k, v in provenance["seeds"].items())
        + f"; root seed {provenance['root_seed']}"
        ", common random numbers (replicate i has the same seed in every run)  ",
        f"landsim {provenance['environment']['landsim_version']}, code sha256 "
        f"{provenance['environment']['code_sha256'][:12]}, git "
        f"{(provenance['environment'].get('git') or {}).get('commit', 'n/a')}",
        "",
        f"## Levels ({levels_title(levels, spec.level_size)})",
        "",
        levels_markdown(levels) if not levels.empty else "(no levels declared)",
        "",
    ]
    gaps = levels[(levels["known_gap"] != "") & ~levels["inside"]] if not levels.empty else levels
    for r in gaps.itertuples():
        md.append(f"- known gap, *{r.quantity}*: {r.known_gap}")
    md += [
        "",
        "## Patterns",
        "",
        "Effects are paired over replicates (run a minus run b of the same replicate) with 95 % "
        "t-intervals; a check holds when the whole interval lies beyond its threshold.",
        "",
        patterns_markdown(patterns) if len(patterns) else "(no patterns declared)",
        "",
    ]
    for pat in spec.patterns:
        md += [
            f"### {pat.id}. {pat.name}",
            "",
            f"![pattern {pat.id}](pattern-{pat.id}.png)",
            "",
        ]
        if pat.mechanism:
            md += [f"Mechanism: {pat.mechanism}", ""]
        for c in pat.checks:
            b = c.b.describe() if c.b else "-"
            md.append(
                f"- {c.label}: `{c.a.describe()}` vs `{b}` ({c.kind}, {c.side} {c.threshold:g})"
            )
        md.append("")
    md += ["## Runs and parameters", "", "| run | scenario file | keys changed |", "|---|---|---|"]
    for name, (scenario, changes) in spec.runs.items():
        keys = ", ".join(f"`{k} = {v}`" for k, v in changes.items()) or "-"
        md.append(f"| {name} | `{Path(scenario).name}` | {keys} |")
    md += [
        "",
        "World sizes: "
        + "; ".join(
            f"{s}: " + (", ".join(f"{k}={v}" for k, v in SIZES[s].items()) or "the scenario's own")
            for s in sizes
        ),
        "",
        "The resolved parameters of every scenario (file chain, full text and SHA-256) are in "
        "`report.json` under `provenance.scenarios`.",
        "",
    ]
    with atomic_path(out / "report.md") as tmp:
        tmp.write_text("\n".join(md), encoding="utf-8")
    written.append(out / "report.md")
    write_json(
        out / "report.json",
        {
            "passed": ok,
            "strict": strict,
            "levels": _records(levels),
            "patterns": _records(patterns),
            "mechanisms": {str(p.id): p.mechanism for p in spec.patterns},
            "provenance": provenance,
        },
    )
    written.append(out / "report.json")
    return written


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    rows = df.astype(object).where(df.notna(), None).to_dict(orient="records")
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in rows]
