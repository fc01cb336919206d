"""Results: ``latest.json`` (the headline), ``latest.md`` (tables), ``throughput.png``,
and ``runs/<timestamp>.json`` with every level of every operation.

The headline for an operation is its peak throughput over the concurrency
levels, for opencheckout and for the baseline separately; ``ratio`` is
opencheckout ÷ baseline; ``p50_ms``/``p99_ms`` are opencheckout's at its peak
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
TARGETS = {"create": 0.5, "retrieve": 0.6}


def headline(levels: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    ours = max(levels["opencheckout"], key=lambda r: r["rps"])
    base = max(levels["baseline"], key=lambda r: r["rps"])
    return {
        "rps": ours["rps"],
        "p50_ms": ours["p50_ms"],
        "p99_ms": ours["p99_ms"],
        "errors": sum(r["errors"] for r in levels["opencheckout"]),
        "baseline_rps": base["rps"],
        "ratio": round(ours["rps"] / base["rps"], 3) if base["rps"] else 0.0,
    }


def latest(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for engine, result in results.items():
        entry: dict[str, Any] = {
            op: headline(result["operations"][op])
            for op in OPERATIONS
            if op in result["operations"]
        }
        entry["list_p50_growth_10k_to_1m"] = result["scale"].get("list_p50_growth")
        out[engine] = entry
    return out


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
        lines += [
            f"## {engine}",
            "",
            "| operation | req/s | p50 ms | p99 ms | errors | baseline req/s | ratio | target |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for op in OPERATIONS:
            row = head[engine].get(op)
            if row is None:
                continue
            target = TARGETS.get(op)
            verdict = (
                ""
                if target is None
                else (f"≥ {target} {'met' if row['ratio'] >= target else 'MISSED'}")
            )
            lines.append(
                f"| {op} | {row['rps']:.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
                f"{row['errors']} | {row['baseline_rps']:.0f} | **{row['ratio']:.2f}** "
                f"| {verdict} |"
            )
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
        lines += ["", "Per level (opencheckout / baseline req/s):", ""]
        levels = args.levels
        lines.append("| operation | " + " | ".join(f"c={c}" for c in levels) + " |")
        lines.append("|---|" + "---:|" * len(levels))
        for op in (*OPERATIONS, "healthz"):
            per = result["operations"].get(op)
            if per is None:
                continue
            cells = [
                f"{a['rps']:.0f} / {b['rps']:.0f}"
                for a, b in zip(per["opencheckout"], per["baseline"], strict=True)
            ]
            lines.append(f"| {op} | " + " | ".join(cells) + " |")
        scale = result.get("scale") or {}
        if scale:
            lines += [
                "",
                f"Scale (one client): {scale['sessions_small']:,} → {scale['sessions_large']:,} "
                "sessions in the account.",
                "",
                "| operation | p50 ms small | p50 ms large | growth |",
                "|---|---:|---:|---:|",
            ]
            for op in ("list", "retrieve"):
                lines.append(
                    f"| {op} | {scale[f'{op}_small']['p50_ms']:.2f} | "
                    f"{scale[f'{op}_large']['p50_ms']:.2f} | {scale[f'{op}_p50_growth']:.2f} |"
                )
            lines.append(
                f"\nSeeding: {scale['seed_seconds_small']} s, then {scale['seed_seconds_large']} s."
            )
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
            for name, style in (("opencheckout", "o-"), ("baseline", "s--")):
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
