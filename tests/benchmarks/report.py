"""The benchmark report: ratios to the baselines and every median, from one saved run.

    python -m tests.benchmarks.report [--json .benchmarks/last.json] [--readme README.md]
                                      [--no-readme]

prints the ratio table and the HTTP figures (after pytest-benchmark's own table, in `make bench`)
and rewrites the part of the README between `<!-- bench:start -->` and `<!-- bench:end -->`
from the same JSON, so every figure there names the run and the commit it comes from. It reads
what the benchmarks wrote (`--benchmark-json`) and nothing else; a benchmark added later shows up
by itself. What a benchmark may put in its `extra_info` is described in `conftest.py`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

# Product benchmarks whose baseline is a benchmark of its own in the same run (by name).
PAIRS: dict[str, str] = {
    "test_post_one_invoice_of_1000_lines": "test_baseline_raw_psycopg2_invoice_rows[1000]",
    "test_post_one_invoice_of_5000_lines": "test_baseline_raw_psycopg2_invoice_rows[5000]",
    "test_render_invoice_pdf_plain_and_factur_x[factur-x]": (
        "test_render_invoice_pdf_plain_and_factur_x[plain]"
    ),
    **{
        f"test_posting_gate[{lines} lines-{gate}]": (
            f"test_posting_gate[{lines} lines-ubl only (baseline)]"
        )
        for lines in (10, 1000)
        for gate in ("cen", "cen+peppol")
    },
}
# Targets of issue 17 for benchmarks that do not name their own (`extra_info["target_seconds"]`),
# by name pattern; baselines (`test_baseline_*`) never get one.
TARGET_SECONDS: dict[str, float] = {
    "test_post_one_invoice_of_1000_lines": 0.150,
    "test_post_one_invoice_of_5000_lines": 3.0,
    "test_ship_an_order_of_5000_lines": 3.0,
    "test_*create*5000*": 3.0,
    "test_*change*line*5000*": 0.050,
}
HTTP_TARGETS = {"max_gap": 4.0, "max_queries": 15, "min_scaling": 1.6}


def git_commit(root: Path = ROOT) -> str:
    """The short hash of HEAD, "+dirty" when the tree has changes (untracked files included)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if status else "")


# --- formatting --------------------------------------------------------------------------------


def seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.1:
        return f"{value * 1000:.0f} ms"
    if value >= 0.01:
        return f"{value * 1000:.1f} ms"
    return f"{value * 1000:.2f} ms"


def number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def gap(value: float) -> str:
    return f"{value:.1f}x" if value < 10 else f"{value:.0f}x"


def times(value: float) -> str:
    return f"{value:g}x"


def verdict(met: bool) -> str:
    return "met" if met else "not met"


def table(headers: list[str], rows: list[list[str]], *, pad: bool = False) -> str:
    """A Markdown table; padded into columns for the terminal."""
    if pad:
        widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

        def line(cells: list[str]) -> str:
            padded = (str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True))
            return "| " + " | ".join(padded) + " |"

        rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
        return "\n".join([line(headers), rule, *(line(row) for row in rows)])
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(out)


# --- reading a run -----------------------------------------------------------------------------


def load(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def label(bench: dict) -> str:
    given = (bench.get("extra_info") or {}).get("label")
    if given:
        return given
    name = bench["name"]
    base, _, param = name.partition("[")
    text = base.removeprefix("test_").replace("_", " ")
    return f"{text} [{param}" if param else text


def area(bench: dict) -> str:
    module = bench.get("fullname", "").split("::")[0].rsplit("/", 1)[-1]
    return module.removesuffix(".py").removeprefix("bench_")


def median(bench: dict) -> float:
    return bench["stats"]["median"]


def rate(bench_or_baseline: dict, time: float) -> str:
    """Work per second: `count unit` per round when given, else a `<unit>_per_second` the
    benchmark computed, else rounds per second."""
    info = bench_or_baseline.get("extra_info", bench_or_baseline)
    count, unit = info.get("count"), info.get("unit")
    if count and unit:
        return f"{number(count / time)} {unit}/s"
    for key, value in info.items():  # a rate the benchmark computed: "lines_per_second"
        if key.endswith("_per_second") and isinstance(value, int | float) and value > 0:
            return f"{number(value)} {key.removesuffix('_per_second').replace('_', ' ')}/s"
    return f"{number(1 / time)}/s"


def target_of(bench: dict) -> float | None:
    info = bench.get("extra_info") or {}
    if info.get("target_seconds"):
        return float(info["target_seconds"])
    if bench["name"].startswith("test_baseline"):
        return None
    for pattern, value in TARGET_SECONDS.items():
        if fnmatch(bench["name"], pattern):
            return value
    return None


def run_header(run: dict) -> str:
    ours = run.get("salesmkt") or {}
    commit_info = run.get("commit_info") or {}
    when = ours.get("date") or run.get("datetime", "unknown date")
    when = when.replace("T", " ")[:16]
    commit = ours.get("commit") or (
        (commit_info.get("id") or "unknown")[:7] + ("+dirty" if commit_info.get("dirty") else "")
    )
    machine = run.get("machine_info") or {}
    cpu = (machine.get("cpu") or {}).get("brand_raw") or machine.get("processor") or ""
    parts = [f"{ours['cpus']} CPUs" if ours.get("cpus") else "", cpu]
    if machine.get("python_version"):
        parts.append(f"Python {machine['python_version']}")
    if ours.get("postgresql"):
        parts.append(f"PostgreSQL {ours['postgresql']}")
    described = ", ".join(part for part in parts if part)
    took = f"; it took {round(ours['seconds'] / 60)} minutes" if ours.get("seconds") else ""
    return (
        f"Last run: {when}, commit `{commit}`"
        + (f", {described}" if described else "")
        + f"{took}."
    )


# --- the tables --------------------------------------------------------------------------------


def ratio_rows(run: dict) -> list[list[str]]:
    """what | salesmkt | baseline | gap | target: the pairs measured in the same rounds, the
    pairs by name, and the HTTP figures at 4 connections."""
    benches = run.get("benchmarks", [])
    by_name = {bench["name"]: bench for bench in benches}
    rows = []
    for bench in benches:
        info = bench.get("extra_info") or {}
        base = info.get("baseline")
        if not isinstance(base, dict):
            continue
        ratio = median(bench) / base["median"]
        max_gap = info.get("max_gap")
        rows.append(
            [
                label(bench),
                f"{seconds(median(bench))} ({rate(bench, median(bench))})",
                f"{base['label']}: {seconds(base['median'])} ({rate(base, base['median'])})",
                gap(ratio),
                f"at most {times(max_gap)}: {verdict(ratio <= max_gap)}" if max_gap else "",
            ]
        )
    for product, baseline in PAIRS.items():
        if product in by_name and baseline in by_name:
            bench, base = by_name[product], by_name[baseline]
            rows.append(
                [
                    label(bench),
                    seconds(median(bench)),
                    f"{label(base)}: {seconds(median(base))}",
                    gap(median(bench) / median(base)),
                    "",
                ]
            )
    for bench in benches:
        http = (bench.get("extra_info") or {}).get("http")
        if http:
            rows.extend(http_ratio_rows(http))
    return rows


def http_ratio_rows(http: dict) -> list[list[str]]:
    rows = []
    widest = max(http["connections"], key=lambda row: row["connections"])
    ours, floor = widest["salesmkt"], widest["baseline"]
    ratio = floor["orders_per_second"] / ours["orders_per_second"]
    rows.append(
        [
            f"{http['what']}, {widest['connections']} connections",
            f"{number(ours['orders_per_second'])} orders/s, p50 {ours['p50_ms']:.1f} ms",
            f"{http['baseline']}: {number(floor['orders_per_second'])} orders/s,"
            f" p50 {floor['p50_ms']:.1f} ms",
            gap(ratio),
            f"at most {times(HTTP_TARGETS['max_gap'])}:"
            f" {verdict(ratio <= HTTP_TARGETS['max_gap'])}",
        ]
    )
    queries = http.get("queries_per_order") or {}
    if queries.get("salesmkt") and queries.get("baseline"):
        rows.append(
            [
                "SQL statements for one order (one request, Django test client)",
                str(queries["salesmkt"]),
                str(queries["baseline"]),
                gap(queries["salesmkt"] / queries["baseline"]),
                f"at most {HTTP_TARGETS['max_queries']}:"
                f" {verdict(queries['salesmkt'] <= HTTP_TARGETS['max_queries'])}",
            ]
        )
    return rows


def http_rows(http: dict) -> list[list[str]]:
    rows = []
    for row in http["connections"]:
        ours, floor = row["salesmkt"], row["baseline"]
        rows.append(
            [
                str(row["connections"]),
                number(ours["orders_per_second"]),
                f"{ours['p50_ms']:.1f} ms",
                f"{ours['p95_ms']:.1f} ms",
                number(floor["orders_per_second"]),
                f"{floor['p50_ms']:.1f} ms",
                f"{floor['p95_ms']:.1f} ms",
                gap(floor["orders_per_second"] / ours["orders_per_second"]),
            ]
        )
    return rows


HTTP_HEADERS = [
    "connections",
    "salesmkt orders/s",
    "p50",
    "p95",
    "baseline orders/s",
    "p50",
    "p95",
    "gap",
]


def http_summary(http: dict) -> str:
    by_connections = {row["connections"]: row for row in http["connections"]}
    parts = []
    if 1 in by_connections and 4 in by_connections:
        scaling = {
            who: by_connections[4][who]["orders_per_second"]
            / by_connections[1][who]["orders_per_second"]
            for who in ("salesmkt", "baseline")
        }
        parts.append(
            f"From 1 to 4 connections salesmkt's orders per second grow {scaling['salesmkt']:.2f}"
            f" times (target: at least {HTTP_TARGETS['min_scaling']}:"
            f" {verdict(scaling['salesmkt'] >= HTTP_TARGETS['min_scaling'])}), the baseline's"
            f" {scaling['baseline']:.2f} times."
        )
    queries = http.get("queries_per_order") or {}
    if queries:
        parts.append(
            f"SQL statements per order: salesmkt {queries.get('salesmkt')}, baseline"
            f" {queries.get('baseline')}."
        )
    parts.append(
        f"{http['rounds']} interleaved rounds; orders per second is the median of the rounds,"
        " p50 and p95 are over every request of the rounds."
    )
    return " ".join(parts)


def absolute_rows(run: dict) -> list[list[str]]:
    rows = []
    for bench in sorted(run.get("benchmarks", []), key=lambda b: (area(b), b["name"])):
        time = median(bench)
        target = target_of(bench)
        rows.append(
            [
                area(bench),
                label(bench),
                seconds(time),
                str(bench["stats"]["rounds"]),
                rate(bench, time),
                f"under {seconds(target)}: {verdict(time < target)}" if target else "",
            ]
        )
    return rows


RATIO_HEADERS = ["what", "salesmkt", "baseline", "gap", "target"]
ABSOLUTE_HEADERS = ["file", "benchmark", "median", "rounds", "per second", "target"]


def section(run: dict) -> str:
    """The README's generated part (between the markers, markers excluded)."""
    out = [
        run_header(run),
        "Generated by `python -m tests.benchmarks.report` from that run's"
        " `.benchmarks/last.json`; edit the generator, not these lines.",
        "",
    ]
    ratios = ratio_rows(run)
    if ratios:
        out += [
            "Beside the baselines (each pair measured in the same run, most in the same rounds;"
            " gap = salesmkt's time over the baseline's for the same work):",
            "",
            table(RATIO_HEADERS, ratios),
            "",
        ]
    for bench in run.get("benchmarks", []):
        http = (bench.get("extra_info") or {}).get("http")
        if http:
            out += [
                f"{http['what']}, beside the {http['baseline']}:",
                "",
                table(HTTP_HEADERS, http_rows(http)),
                "",
                http_summary(http),
                "",
            ]
    out += [
        "Every benchmark of the run (median of its rounds; per second: the work of one round"
        " over the median):",
        "",
        table(ABSOLUTE_HEADERS, absolute_rows(run)),
    ]
    return "\n".join(out)


def console(run: dict) -> str:
    """What `make bench` prints after pytest-benchmark's table."""
    out = ["", run_header(run), ""]
    ratios = ratio_rows(run)
    out += [table(RATIO_HEADERS, ratios, pad=True) if ratios else "No baselines in this run."]
    for bench in run.get("benchmarks", []):
        http = (bench.get("extra_info") or {}).get("http")
        if http:
            out += ["", table(HTTP_HEADERS, http_rows(http), pad=True), "", http_summary(http)]
    return "\n".join(out) + "\n"


def rewrite_readme(text: str, generated: str) -> str:
    """The README with the part between the markers replaced; the rest is left as it was."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < 0 or end < start:
        raise ValueError(f"the README needs the markers {START} and {END}, in that order")
    return text[: start + len(START)] + "\n" + generated.strip("\n") + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=ROOT / ".benchmarks" / "last.json")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    options = parser.parse_args(argv)
    run = load(options.json)
    sys.stdout.write(console(run))
    if not options.no_readme:
        readme = options.readme.read_text()
        options.readme.write_text(rewrite_readme(readme, section(run)))
        print(f"\n{options.readme.name}: the performance section rewritten from {options.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
