"""Eval output: a terminal table (rich), a JSON results file, and a self-contained HTML report."""

from __future__ import annotations

import html
import json
import time
from pathlib import Path

from .metrics import JUDGE_METRICS, LOWER_IS_BETTER

PERCENT = {"passed", "status_accuracy", "referral_recall", "emergency_recall", "out_of_scope_recall", "over_referral",
           "hit_at_k", "mrr", "ndcg_at_k", "citation_precision", "citation_recall", "must_cite_recall",
           "right_sentence", "must_warn_recall", "grounding", "fallback_rate"}


def fmt(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if name in PERCENT:
        return f"{value * 100:.1f}%"
    if name == "cases":
        return str(int(value))
    return f"{value:.1f}"


def results_json(runs: list[dict], sets: list[str], k: int) -> dict:
    """The file `--compare` reads: the main run's summary and cases at the top, every run under 'runs'."""
    main = runs[0]
    return {"created": time.strftime("%Y-%m-%dT%H:%M:%S"), "sets": sets, "k": k, "system": main["system"],
            "summary": main["summary"], "by_category": main["by_category"], "skipped": main["skipped"],
            "cases": main["cases"], "runs": runs}


def cell(run: dict, name: str) -> str:
    """A metric's value in a run, or `n/a: why` where the run's replies cannot report it."""
    why = (run.get("unmeasured") or {}).get(name)
    return why if why else fmt(name, run["summary"].get(name))


def print_table(runs: list[dict], console, say) -> None:
    """`say(key, **values)` words the titles and notes (prompts/cli.yaml)."""
    from rich.table import Table

    table = Table(title=say("eval_title"), show_lines=False)
    table.add_column("metric")
    for run in runs:
        table.add_column(run["system"], justify="right")
    for name in runs[0]["summary"]:
        table.add_row(name + (" (lower is better)" if name in LOWER_IS_BETTER else ""),
                      *(cell(r, name) for r in runs))
    for name in JUDGE_METRICS:
        table.add_row(name, *("skipped (needs an LLM judge)" for _ in runs))
    console.print(table)
    for run in runs:
        if run.get("cache_hits"):
            console.print(say("eval_cache", system=run["system"], hits=run["cache_hits"]), markup=False)
    cats = Table(title=say("eval_by_category"))
    cats.add_column("category")
    for run in runs:
        cats.add_column(run["system"], justify="right")
    for cat, values in runs[0]["by_category"].items():
        cats.add_row(f"{cat} ({int(values['cases'])})",
                     *(fmt("passed", r["by_category"].get(cat, {}).get("passed")) for r in runs))
    console.print(cats)


def first_quote(case: dict, limit: int = 90) -> str:
    quote = case["citations"][0]["quote"] if case["citations"] else ""
    return quote if len(quote) <= limit else quote[: limit - 1].rstrip() + "…"


def print_failures(runs: list[dict], console, say, limit: int) -> None:
    """Under the summary: each run's failing cases (id, expected, got, why, the first cited quote), at most `limit`
    per run; cases a plain reply leaves unchecked are counted, not listed as failures."""
    from rich.table import Table

    if limit <= 0:
        return
    for run in runs:
        failed = [c for c in run["cases"] if c["passed"] is False]
        unknown = sum(c["passed"] is None for c in run["cases"])
        if not failed:
            console.print(say("failures_none", system=run["system"]), markup=False)
        else:
            table = Table(title=say("failures_title", system=run["system"], shown=min(limit, len(failed)),
                                    failed=len(failed)), show_lines=True, title_justify="left")
            for col in ("case", "expected", "got", "why", "first cited quote"):
                table.add_column(col, overflow="fold")
            for c in failed[:limit]:
                expected = "/".join(c["expect"]) + (f" {', '.join(c['sections'])}" if c["sections"] else "")
                got = c["status"] + (f" {', '.join(c['ranking'][:3])}" if c["ranking"] else "")
                table.add_row(c["id"], expected, got, c["failures"][0], first_quote(c) or "-")
            console.print(table)
            if len(failed) > limit:
                console.print(say("failures_more", more=len(failed) - limit), markup=False)
        if unknown:
            console.print(say("failures_unchecked", system=run["system"], count=unknown), markup=False)


def _chart(runs: list[dict]) -> str:
    """Horizontal bars: share of cases passed per category, one bar per system."""
    cats = list(runs[0]["by_category"])
    colours = ["#2563eb", "#9ca3af", "#059669", "#d97706", "#7c3aed"]
    bar, gap, left, width = 14, 10, 150, 420
    group = bar * len(runs) + gap
    height = group * len(cats) + 20 + 18 * len(runs)  # the legend: one line per system, under the bars
    parts = [f'<svg id="chart" role="img" aria-label="Share of cases passed by category" width="{left + width + 70}" '
             f'height="{height}" viewBox="0 0 {left + width + 70} {height}" xmlns="http://www.w3.org/2000/svg" '
             f'font-family="sans-serif" font-size="12">']
    for i, cat in enumerate(cats):
        y0 = 10 + i * group
        parts.append(f'<text x="{left - 8}" y="{y0 + bar}" text-anchor="end">{html.escape(cat)}</text>')
        for j, run in enumerate(runs):
            share = run["by_category"].get(cat, {}).get("passed") or 0.0
            y = y0 + j * bar
            parts.append(f'<rect class="bar" data-system="{html.escape(run["system"])}" '
                         f'data-category="{html.escape(cat)}" x="{left}" y="{y}" width="{share * width:.1f}" '
                         f'height="{bar - 2}" fill="{colours[j % 5]}">'
                         f'<title>{html.escape(run["system"])}: {share * 100:.1f}%</title></rect>')
            parts.append(f'<text x="{left + share * width + 4:.1f}" y="{y + bar - 3}">{share * 100:.0f}%</text>')
    for j, run in enumerate(runs):
        legend_y = group * len(cats) + 24 + 18 * j
        parts.append(f'<rect x="{left}" y="{legend_y - 10}" width="12" height="12" fill="{colours[j % 5]}"/>'
                     f'<text x="{left + 16}" y="{legend_y}">{html.escape(run["system"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _failing_items(run: dict) -> str:
    e = html.escape
    failing = []
    for case in [c for c in run["cases"] if c["passed"] is False]:
        quotes = "".join(f"<li>[{c['n']}] <em>{e(c['section_title'])}</em> ({e(c['kind'])}): {e(c['quote'])}</li>"
                         for c in case["citations"])
        expected = f"{e('/'.join(case['expect']))}; sections {e(', '.join(case['sections']) or '-')}"
        failing.append(
            f"<li class='case'><h3>{e(case['id'])} <small>({e(case['category'])}, {e(case['file'])})</small></h3>"
            f"<p><strong>Question:</strong> {' → '.join(e(t) for t in case['turns'])}</p>"
            f"<p><strong>Expected:</strong> {expected}</p>"
            f"<p><strong>Got:</strong> {e(case['status'])}; cited {e(', '.join(case['ranking']) or '-')}</p>"
            f"<ul class='why'>{''.join(f'<li>{e(f)}</li>' for f in case['failures'])}</ul>"
            f"<details><summary>Cited quotes ({len(case['citations'])})</summary><ol>{quotes}</ol></details></li>")
    return "".join(failing) or "<li class='none'>Every case passed.</li>"


def html_report(data: dict, template_dir: Path) -> str:
    """The report page from prompts/report.html; every value from a run is escaped. It fits a phone's width:
    the metrics table scrolls in its own box, the chart scales down, long quotes wrap."""
    from string import Template

    runs = data["runs"]
    e = html.escape

    def td(run: dict, name: str) -> str:
        why = (run.get("unmeasured") or {}).get(name)
        return f"<td class='na'>{e(why)}</td>" if why else f"<td>{fmt(name, run['summary'].get(name))}</td>"

    rows = "".join(f"<tr><td>{e(name)}</td>" + "".join(td(r, name) for r in runs) + "</tr>"
                   for name in runs[0]["summary"])
    skipped = "".join("<td>skipped: needs an LLM judge</td>" for _ in runs)
    rows += "".join(f"<tr class='skipped'><td>{e(m)}</td>{skipped}</tr>" for m in JUDGE_METRICS)
    others = "".join(f"<h2>Failing cases ({e(r['system'])})</h2><ul class='failing'>{_failing_items(r)}</ul>"
                     for r in runs[1:])
    template = Template((Path(template_dir) / "report.html").read_text(encoding="utf-8"))
    return template.substitute(
        created=e(data["created"]), sets=e(", ".join(data["sets"])), cases=int(runs[0]["summary"]["cases"]),
        k=data["k"], cache=" · ".join(f"{e(r['system'])}: {r.get('cache_hits', 0)} query embeddings from cache"
                                      for r in runs),
        systems="".join(f"<th>{e(r['system'])}</th>" for r in runs), rows=rows, chart=_chart(runs),
        main=e(runs[0]["system"]), failing=_failing_items(runs[0]), others=others)


def write_outputs(data: dict, folder: Path, template_dir: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / "results.json", folder / "report.html"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    html_path.write_text(html_report(data, template_dir), encoding="utf-8")
    return json_path, html_path
