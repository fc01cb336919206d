"""Results: ``latest.json`` (the headline), ``latest.md`` (tables), ``throughput.png``,
and ``runs/<timestamp>.json`` with every level of every operation.

The headline for an operation is its peak throughput over the concurrency
levels, for opencheckout and for each baseline separately; ``ratio`` is
opencheckout ÷ the one-statement baseline, ``same_sql_ratio`` opencheckout ÷ the
same-SQL baseline (the bare app replaying opencheckout's own statements, see
:mod:`bench.replay`); ``p50_ms``/``p99_ms`` are opencheckout's at its peak
level; ``errors`` counts opencheckout's failed requests over all levels.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OPERATIONS = ("create", "retrieve", "update", "list", "complete")
#: Issue #12's targets for the one-statement ratio, per engine (peak over levels).
TARGETS = {
    "postgresql": {"create": 0.5, "retrieve": 0.7, "update": 0.4, "list": 0.4, "complete": 0.25},
    "sqlite": {"create": 0.45, "retrieve": 0.6, "update": 0.35, "list": 0.35, "complete": 0.2},
}
SAME_SQL_TARGET = 0.7
#: Issue #16: overview p50 at 1 million sessions at most this many times that at 10 thousand.
OVERVIEW_GROWTH_TARGET = 3.0
SCALE_GROWTH_TARGET = 1.5


def headline(levels: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    ours = max(levels["opencheckout"], key=lambda r: r["rps"])
    base = max(levels["baseline"], key=lambda r: r["rps"])
    out = {
        "rps": ours["rps"],
        "p50_ms": ours["p50_ms"],
        "p99_ms": ours["p99_ms"],
        "errors": sum(r["errors"] for r in levels["opencheckout"]),
        "baseline_rps": base["rps"],
        "ratio": round(ours["rps"] / base["rps"], 3) if base["rps"] else 0.0,
    }
    if levels.get("same_sql"):
        same = max(levels["same_sql"], key=lambda r: r["rps"])
        out["same_sql_baseline_rps"] = same["rps"]
        out["same_sql_ratio"] = round(ours["rps"] / same["rps"], 3) if same["rps"] else 0.0
        out["same_sql_errors"] = sum(r["errors"] for r in levels["same_sql"])
    return out


def by_concurrency(levels: dict[str, list[dict[str, Any]]]) -> dict[str, float]:
    """opencheckout's throughput at the lowest and the highest level (``c1``, ``c32``)."""
    rows = sorted(levels["opencheckout"], key=lambda r: r["concurrency"])
    return {f"c{r['concurrency']}": r["rps"] for r in (rows[0], rows[-1])}


def latest(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for engine, result in results.items():
        entry: dict[str, Any] = {
            op: headline(result["operations"][op])
            for op in OPERATIONS
            if op in result["operations"]
        }
        scale = result["scale"]
        entry["list_p50_growth_10k_to_1m"] = scale.get("list_p50_growth")
        entry["retrieve_p50_growth_10k_to_1m"] = scale.get("retrieve_p50_growth")
        entry["throughput_by_clients"] = {
            op: by_concurrency(result["operations"][op])
            for op in ("list", "retrieve")
            if op in result["operations"]
        }
        if "overview_small" in scale:
            entry["overview"] = {
                "sessions_small": scale["sessions_small"],
                "sessions_large": scale["sessions_large"],
                "p50_ms_small": scale["overview_small"]["p50_ms"],
                "p50_ms_large": scale["overview_large"]["p50_ms"],
                "p50_growth": scale["overview_p50_growth"],
                "errors": scale["overview_small"]["errors"] + scale["overview_large"]["errors"],
            }
        out[engine] = entry
    return out


def _verdict(value: float | None, target: float | None, *, at_most: bool = False) -> str:
    if target is None or value is None:
        return ""
    met = value <= target if at_most else value >= target
    return f"{'≤' if at_most else '≥'} {target} {'met' if met else 'MISSED'}"


def _ratio_tables(engine: str, head: dict[str, Any]) -> list[str]:
    lines = [
        "Against the one-statement baseline (the view of the limit):",
        "",
        "| operation | req/s | p50 ms | p99 ms | errors | baseline req/s | ratio | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for op in OPERATIONS:
        row = head.get(op)
        if row is None:
            continue
        verdict = _verdict(row["ratio"], TARGETS.get(engine, {}).get(op))
        lines.append(
            f"| {op} | {row['rps']:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
            f"{row['errors']} | {row['baseline_rps']:.0f} | **{row['ratio']:.2f}** | {verdict} |"
        )
    lines += [
        "",
        "Against the same-SQL baseline (the bare app running opencheckout's own statements: "
        "only our overhead):",
        "",
        "| operation | req/s | same-SQL req/s | same-SQL errors | same-SQL ratio | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for op in OPERATIONS:
        row = head.get(op)
        if row is None or "same_sql_ratio" not in row:
            continue
        lines.append(
            f"| {op} | {row['rps']:.0f} | {row['same_sql_baseline_rps']:.0f} | "
            f"{row['same_sql_errors']} | **{row['same_sql_ratio']:.2f}** | "
            f"{_verdict(row['same_sql_ratio'], SAME_SQL_TARGET)} |"
        )
    return lines


def _per_level(result: dict[str, Any], levels: list[int]) -> list[str]:
    lines = [
        "",
        "Per level (opencheckout / one-statement baseline / same-SQL baseline req/s):",
        "",
        "| operation | " + " | ".join(f"c={c}" for c in levels) + " |",
        "|---|" + "---:|" * len(levels),
    ]
    for op in (*OPERATIONS, "healthz"):
        per = result["operations"].get(op)
        if per is None:
            continue
        same = per.get("same_sql") or [None] * len(per["opencheckout"])
        cells = [
            f"{a['rps']:.0f} / {b['rps']:.0f}" + (f" / {c['rps']:.0f}" if c else "")
            for a, b, c in zip(per["opencheckout"], per["baseline"], same, strict=True)
        ]
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    return lines


def _scale(scale: dict[str, Any], head: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"Scale (one client): {scale['sessions_small']:,} → {scale['sessions_large']:,} "
        "sessions in the account.",
        "",
        "| operation | p50 ms small | p50 ms large | growth | target |",
        "|---|---:|---:|---:|---|",
    ]
    for op in ("list", "retrieve", "overview"):
        if f"{op}_small" not in scale:
            continue
        target = OVERVIEW_GROWTH_TARGET if op == "overview" else SCALE_GROWTH_TARGET
        growth = scale[f"{op}_p50_growth"]
        lines.append(
            f"| {op} | {scale[f'{op}_small']['p50_ms']:.2f} | "
            f"{scale[f'{op}_large']['p50_ms']:.2f} | {growth:.2f} | "
            f"{_verdict(growth, target, at_most=True)} |"
        )
    lines.append(
        f"\nSeeding: {scale['seed_seconds_small']} s, then {scale['seed_seconds_large']} s."
    )
    clients = head.get("throughput_by_clients") or {}
    for op, figures in clients.items():
        pairs = list(figures.items())
        low, high = pairs[0], pairs[-1]
        verdict = "met" if high[1] >= low[1] else "MISSED"
        lines.append(
            f"\n{op} throughput: {low[1]:.0f} req/s at {low[0][1:]} client(s), "
            f"{high[1]:.0f} at {high[0][1:]} (target: not lower; {verdict})."
        )
    return lines


def markdown(results: dict[str, Any], args: Any, elapsed: float, stamp: str) -> str:
    lines = [
        f"# Benchmark {stamp}",
        "",
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}; "
        f"levels {args.levels}, {args.duration} s per level after {args.warmup} s warm-up; "
        f"whole run {elapsed:.0f} s; load average at the end "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}. "
        "Headline = peak throughput over the levels; "
        "ratio = opencheckout ÷ bare-stack baseline (same uvicorn, driver and database).",
        "",
    ]
    head = latest(results)
    for engine, result in results.items():
        lines += [f"## {engine}", "", *_ratio_tables(engine, head[engine])]
        floor = result["operations"].get("healthz")
        if floor:
            ours = max(r["rps"] for r in floor["opencheckout"])
            bare = max(r["rps"] for r in floor["baseline"])
            lines += [
                "",
                f"Framework reference: `GET /healthz` (no database) peaks at {ours:.0f} req/s "
                f"on opencheckout and {bare:.0f} on the baseline app (ratio {ours / bare:.2f}): "
                "what a routed FastAPI endpoint costs before any work. Plain retrieves and "
                "creates skip the routing (`opencheckout.api.hot`); every other operation "
                "pays it.",
            ]
        lines += _per_level(result, args.levels)
        scale = result.get("scale") or {}
        if scale:
            lines += _scale(scale, head[engine])
        sweep = result.get("sweeper") or {}
        if sweep:
            lines.append(
                f"\nSweeper: {sweep['abandoned']:,} expired sessions abandoned in "
                f"{sweep['seconds']} s ({sweep['abandoned'] / max(sweep['seconds'], 1e-9):,.0f}/s)."
            )
        rss = result["peak_rss"]
        lines += [
            f"\nPeak RSS of the server process: opencheckout {rss['opencheckout_mib']} MiB, "
            f"baseline {rss['baseline_mib']} MiB.",
            "",
        ]
    return "\n".join(lines)


def chart(results: dict[str, Any], args: Any, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    engines = list(results)
    fig, axes = plt.subplots(
        len(engines),
        len(OPERATIONS),
        figsize=(3.2 * len(OPERATIONS), 3.0 * len(engines)),
        squeeze=False,
    )
    for row, engine in enumerate(engines):
        for col, op in enumerate(OPERATIONS):
            ax = axes[row][col]
            per = results[engine]["operations"].get(op)
            if per is None:
                ax.set_visible(False)
                continue
            for name, style in (("opencheckout", "o-"), ("baseline", "s--"), ("same_sql", "^:")):
                if per.get(name):
                    ax.plot(args.levels, [r["rps"] for r in per[name]], style, label=name)
            ax.set_xscale("log", base=2)
            ax.set_xticks(args.levels, [str(c) for c in args.levels])
            ax.set_title(f"{engine}: {op}", fontsize=10)
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
            if col == 0:
                ax.set_ylabel("requests/s")
            if row == len(engines) - 1:
                ax.set_xlabel("concurrency")
    axes[0][0].legend(fontsize=8)
    fig.suptitle("Throughput by concurrency: opencheckout vs bare-stack baseline")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_results(results: dict[str, Any], args: Any, out: Path, elapsed: float) -> str:
    """Write every result file; return the Markdown report."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / "runs").mkdir(parents=True, exist_ok=True)
    full = {
        "timestamp": stamp,
        "seconds": round(elapsed, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            # Other work on the machine skews every figure; this says how much there was.
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "levels": args.levels,
            "duration": args.duration,
            "warmup": args.warmup,
            "scale": [args.scale_small, args.scale_large],
            "sweep": args.sweep,
        },
        "headline": latest(results),
        "engines": results,
    }
    (out / "runs" / f"{stamp}.json").write_text(json.dumps(full, indent=2) + "\n")
    (out / "latest.json").write_text(json.dumps(latest(results), indent=2) + "\n")
    report = markdown(results, args, elapsed, stamp)
    (out / "latest.md").write_text(report)
    chart(results, args, out / "throughput.png")
    return report
