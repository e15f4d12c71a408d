"""``python -m benchmarks``: siting and its peers on the same instances, in one run.

Each case runs in a fresh subprocess (``benchmarks.run_case``) so that its
peak resident memory is its own and a peer that does not finish within its
cap is recorded as such ("did not finish") instead of stopping the run.
Whole-command timings (``siting solve`` against a spopt script, interpreter
start-up included) are measured as subprocess wall time.

Options: ``--quick`` (smallest cases only: the smoke test), ``--only`` (a
comma list of groups: mclp, pscp, clustered, generators, literature, cli, cordeau, pmed,
bds, city, huitian), ``--out DIR``
(default ``benchmarks/results``), ``--peer-cap S`` (seconds, default 300).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import instances as bi
from benchmarks import targets
from benchmarks.harness import (
    PY,
    SPOPT_SCRIPT,
    compile_siting,
    have_sklearn,
    have_spopt,
    machine,
    run_case,
    run_command,
)
from benchmarks.probe import host_probe, probe_line

HERE = Path(__file__).resolve().parent
COLUMNS = ["group", "case", "impl", "status", "objective", "bound", "gap", "build_s", "solve_s",
           "total_s", "peak_rss_mb", "ratio_vs_siting", "note"]


def _ratio(rows: list[dict[str, Any]]) -> None:
    """Fill ``ratio_vs_siting``: peer total / siting total within each case."""
    by_case: dict[tuple[str, str], float] = {}
    for r in rows:
        if r["impl"] in ("siting", "siting solve") and r.get("total_s"):
            by_case[(r["group"], r["case"])] = float(r["total_s"])
    for r in rows:
        base = by_case.get((r["group"], r["case"]))
        if base and r.get("total_s") and r["impl"] not in ("siting", "siting solve"):
            r["ratio_vs_siting"] = round(float(r["total_s"]) / base, 1)


def add(rows: list[dict[str, Any]], group: str, case: str, impl: str, out: dict[str, Any]) -> None:
    row = {"group": group, "case": case, "impl": impl, **{k: out.get(k) for k in COLUMNS[3:]}}
    if out.get("verified") is False:
        row["note"] = "NOT VERIFIED"
    rows.append(row)
    shown = {k: row[k] for k in ("status", "objective", "gap", "total_s", "peak_rss_mb")}
    print(f"{group:8s} {case:22s} {impl:18s} {shown}", flush=True)


def group_mclp(rows: list[dict[str, Any]], quick: bool, cap: float, spopt: bool) -> None:
    cases = bi.UNIFORM_CASES[:1] if quick else bi.UNIFORM_CASES
    for n, m, p in cases:
        case = f"{n}x{m} p{p}"
        base = {"kind": "mclp", "n": n, "m": m, "p": p, "time_limit": 60}
        impls = ["siting", "siting-compact", "siting-benders", "siting-heuristic",
                 "highs-textbook"]
        for impl in impls if not quick else ["siting", "siting-heuristic", "highs-textbook"]:
            add(rows, "mclp", case, impl, run_case({**base, "impl": impl}, cap))
        if spopt:
            add(rows, "mclp", case, "spopt-cbc",
                run_case({**base, "impl": "spopt-cbc", "time_limit": None}, cap))


def group_cli(rows: list[dict[str, Any]], quick: bool, cap: float, spopt: bool) -> None:
    n, m, p = bi.UNIFORM_CASES[0] if quick else bi.UNIFORM_CASES[1]
    case = f"{n}x{m} p{p} (command)"
    with tempfile.TemporaryDirectory() as tmp:
        folder = bi.write_csv_folder(Path(tmp) / "inst", *bi.uniform_mclp(n, m))
        siting = str(Path(PY).parent / "siting")
        out = run_command([siting, "solve", str(folder), "--model", "mclp", "--radius",
                           repr(bi.RADIUS_2PCT), "--p", str(p), "--json"], cap)
        add(rows, "cli", case, "siting solve", out)
        if spopt:
            out = run_command([PY, "-c", SPOPT_SCRIPT, str(folder), repr(bi.RADIUS_2PCT), str(p)],
                              cap)
            out.setdefault("status", "ok")
            add(rows, "cli", case, "spopt script", out)


#: (n, m, share) of the partial set covering cases (uniform instances, radius as in ``mclp``).
PSCP_CASES = [(20_000, 1_000, 0.6), (20_000, 1_000, 0.8)]


def group_pscp(rows: list[dict[str, Any]], quick: bool, cap: float) -> None:
    """Partial set covering: compact against Benders, 60 s limit (no peer has the model)."""
    cases = [(1_000, 100, 0.6)] if quick else PSCP_CASES
    for n, m, share in cases:
        case = f"{n}x{m} share {share:g}"
        base = {"kind": "pscp", "n": n, "m": m, "share": share, "time_limit": 60}
        for impl in ["siting", "siting-compact", "siting-benders"]:
            add(rows, "pscp", case, impl, run_case({**base, "impl": impl}, cap))


#: (radius, p) of the clustered 5,000 × 500 case (``benchmarks.instances.clustered_mclp``).
CLUSTERED_SETTINGS = [(bi.CLUSTERED_RADIUS, 25), (2.0, 25)]


def group_clustered(rows: list[dict[str, Any]], quick: bool, cap: float, spopt: bool) -> None:
    """Clustered MCLP: in process (siting's formulations, spopt) and as whole commands."""
    if not have_sklearn():
        print("scikit-learn not installed (pip install -e '.[bench]'): clustered cases skipped")
        return
    n, m = (500, 50) if quick else (5_000, 500)
    siting = str(Path(PY).parent / "siting")
    for radius, p in CLUSTERED_SETTINGS[:1] if quick else CLUSTERED_SETTINGS:
        p = 5 if quick else p
        case = f"{n}x{m} p{p} r{radius:g}"
        base = {"kind": "mclp", "instance": "clustered", "n": n, "m": m, "p": p,
                "radius": radius, "time_limit": 60}
        for impl in ["siting"] if quick else ["siting", "siting-compact", "siting-benders"]:
            add(rows, "clustered", case, impl, run_case({**base, "impl": impl}, cap))
        if spopt:
            add(rows, "clustered", case, "spopt-cbc",
                run_case({**base, "impl": "spopt-cbc", "time_limit": None}, cap))
        with tempfile.TemporaryDirectory() as tmp:
            folder = bi.write_csv_folder(Path(tmp) / "inst", *bi.clustered_mclp(n, m))
            out = run_command([siting, "solve", str(folder), "--model", "mclp", "--radius",
                               repr(radius), "--p", str(p), "--json"], cap)
            add(rows, "clustered", case + " (command)", "siting solve", out)
            if spopt and not quick:
                out = run_command([PY, "-c", SPOPT_SCRIPT, str(folder), repr(radius), str(p)],
                                  cap)
                out.setdefault("status", "ok")
                add(rows, "clustered", case + " (command)", "spopt script", out)


#: Seeds of each generator in group ``generators``; whole commands on the first.
GENERATOR_SEEDS = [1, 2, 3]


def group_generators(rows: list[dict[str, Any]], quick: bool, cap: float, spopt: bool) -> None:
    """Clustered MCLP 5,000 × 500, p 25, from three generators (``bi.GENERATORS``) and three
    seeds each: siting's formulations and spopt in process; whole commands on one seed."""
    if not have_sklearn():
        print("scikit-learn not installed (pip install -e '.[bench]'): generators skipped")
        return
    n, m, p = (500, 50, 5) if quick else (5_000, 500, 25)
    siting = str(Path(PY).parent / "siting")
    for gen, (make, radius) in bi.GENERATORS.items():
        for seed in GENERATOR_SEEDS[:1] if quick else GENERATOR_SEEDS:
            case = f"{gen} s{seed} {n}x{m} p{p} r{radius:g}"
            base = {"kind": "mclp", "instance": "generator", "generator": gen, "seed": seed,
                    "n": n, "m": m, "p": p, "time_limit": 60}
            for impl in ["siting"] if quick else ["siting", "siting-compact", "siting-benders"]:
                add(rows, "generators", case, impl, run_case({**base, "impl": impl}, cap))
            if spopt and not quick:
                add(rows, "generators", case, "spopt-cbc",
                    run_case({**base, "impl": "spopt-cbc", "time_limit": None}, cap))
            if seed != GENERATOR_SEEDS[0] or quick:  # the cli group smokes the command
                continue
            with tempfile.TemporaryDirectory() as tmp:
                folder = bi.write_csv_folder(Path(tmp) / "inst", *make(n, m, seed=seed))
                out = run_command([siting, "solve", str(folder), "--model", "mclp", "--radius",
                                   repr(radius), "--p", str(p), "--json"], cap)
                add(rows, "generators", case + " (command)", "siting solve", out)
                if spopt and not quick:
                    out = run_command([PY, "-c", SPOPT_SCRIPT, str(folder), repr(radius),
                                       str(p)], cap)
                    out.setdefault("status", "ok")
                    add(rows, "generators", case + " (command)", "spopt script", out)


def group_literature(rows: list[dict[str, Any]], quick: bool, cap: float) -> None:
    """MCLP on point sets where every node is a demand point and a candidate site (the SJC
    sets, pr1002, BDS-style 1,000-node sets): siting against the textbook model in bare
    HiGHS, 60 s each. Sets whose files are absent are named and skipped."""
    cases = bi.literature_cases()
    missing = [name for name in bi.SJC_SETS if not any(c[0].startswith(name) for c in cases)]
    if missing:
        print(f"literature sets not found in {bi.literature_dir()}: {', '.join(missing)}")
    for case, _, _, p in cases[-1:] if quick else cases:
        base = {"kind": "mclp", "instance": "literature", "case": case, "p": p,
                "time_limit": 60}
        for impl in ["siting", "highs-textbook"]:
            add(rows, "literature", case, impl, run_case({**base, "impl": impl}, cap))


def group_cordeau(rows: list[dict[str, Any]], quick: bool, cap: float) -> None:
    """Budgeted MCLP on Cordeau-style uniform points: 1,000,000 and 10,000,000 demand points."""
    cases = [(20_000, 100)] if quick else bi.CORDEAU_CASES
    for n, m in cases:
        case = f"{n:,}x{m} budget"
        spec = {"kind": "cordeau", "n": n, "m": m, "time_limit": 120}
        add(rows, "cordeau", case, "siting", run_case(spec, max(cap, 600)))
        if n <= 1_000_000 and not quick:
            add(rows, "cordeau", case, "siting-compact",
                run_case({**spec, "formulation": "compact"}, max(cap, 600)))


#: pmed cases also solved by p-median Benders (``PMedian(formulation="benders")``).
PMED_BENDERS = [16, 36, 38, 39]


def group_pmed(
    rows: list[dict[str, Any]], quick: bool, cap: float, limit: float = 600.0,
    textbook: bool = True,
) -> None:
    ks = [1, 2] if quick else list(range(1, 41))
    for k in ks:
        # the wall cap leaves the solver its whole limit plus loading and verification
        add(rows, "pmed", f"pmed{k}", "siting",
            run_case({"kind": "pmed", "k": k, "impl": "siting", "time_limit": limit},
                     limit + 60))
    # Benders on the radius projection, on the small-p cases that take longest.
    for k in [] if quick else PMED_BENDERS:
        add(rows, "pmed", f"pmed{k}", "siting-benders",
            run_case({"kind": "pmed", "k": k, "impl": "siting-benders", "time_limit": limit},
                     limit + 60))
    if not textbook:
        return
    # The textbook model on a sample (each capped): the peer's time to proof.
    sample = [1] if quick else [1, 6, 11, 16, 21, 26, 31, 36]
    for k in sample:
        add(rows, "pmed", f"pmed{k}", "highs-textbook",
            run_case({"kind": "pmed", "k": k, "impl": "highs-textbook", "time_limit": 120},
                     min(cap, 180)))


BDS_SETTINGS = [(2.0, 10), (4.0, 5), (6.0, 3)]


def group_bds(rows: list[dict[str, Any]], quick: bool, cap: float) -> None:
    names = ["BDS1000"] if quick else ["BDS1000", "BDS5000", "BDS10000", "BDS50000", "BDS100000"]
    siting = str(Path(PY).parent / "siting")
    for name in names:
        for radius, p in BDS_SETTINGS[:1] if quick else BDS_SETTINGS:
            out = run_command([siting, "solve", str(bi.bds_path(name)), "--model", "mclp",
                               "--radius", str(radius), "--p", str(p), "--json"], cap)
            add(rows, "bds", f"{name} r{radius:g} p{p}", "siting solve", out)


def group_city(rows: list[dict[str, Any]], cap: float) -> None:
    spec = {"kind": "city", "n": 1_000_000, "m": 10_000, "radius": 300.0, "budget": 1000.0,
            "time_limit": 120, "gap": 0.001}  # the target: gap <= 0.1 % within 120 s
    add(rows, "city", "1Mx10k budget", "siting", run_case({**spec}, max(cap, 400)))


HUITIAN_SPECS = ("huitian-2018-2020", "huitian-2026-2030")


def group_huitian(rows: list[dict[str, Any]], cap: float, runs: int = 3) -> None:
    """The 回天 plans: the solve in one process, and the whole ``siting solve`` command
    ``runs`` times (median; every run's time and the load average in the note), as
    ``python -m siting.cli`` from the checkout (the code under test, whatever is installed)."""
    for name in HUITIAN_SPECS:
        spec_path = bi.ROOT / "models" / f"{name}.toml"
        case = name.removeprefix("huitian-")
        if not spec_path.exists():
            rows.append({"group": "huitian", "case": case, "impl": "siting",
                         "status": "skipped", "note": f"models/{name}.toml not present"})
            continue
        add(rows, "huitian", case, "siting",
            run_case({"kind": "huitian", "spec": f"models/{name}.toml"}, max(cap, 900)))
        outs = []
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(runs):
                load = os.getloadavg()[0]
                out = run_command([PY, "-m", "siting.cli", "solve", str(spec_path), "--out",
                                   f"{tmp}/run{k}", "--json", "--quiet"], max(cap, 900))
                out["load"] = load
                outs.append(out)
        done = sorted((o for o in outs if o.get("total_s") is not None),
                      key=lambda o: float(o["total_s"]))
        if not done:
            add(rows, "huitian", f"{case} (command)", "siting solve", outs[0])
            continue
        median = dict(done[len(done) // 2])
        median["note"] = "runs " + ", ".join(
            f"{o['total_s']:.1f} s ({o.get('status')}, load {o['load']:.2f})" for o in outs
            if o.get("total_s") is not None
        )
        add(rows, "huitian", f"{case} (command)", "siting solve", median)


#: District sizes of the ``district`` group: copies of 回天 across and down.
DISTRICT_SIZES = [(2, 2), (3, 3)]


def group_district(rows: list[dict[str, Any]], cap: float) -> None:
    """The 2026–2030 plan on districts of 2 × 2 and 3 × 3 copies of 回天
    (:mod:`benchmarks.district`): the whole ``siting solve`` command once each, at the
    spec's own limit (120 s, gap 0.1 %); no target, the size no shipped instance has."""
    from benchmarks.district import write_district

    for columns, down in DISTRICT_SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            spec = write_district(Path(tmp), columns, down)
            out = run_command([PY, "-m", "siting.cli", "solve", str(spec), "--out",
                               f"{tmp}/out", "--json", "--quiet"], max(cap, 400))
        add(rows, "district", f"{columns}x{down} 回天 copies 2026-2030 (command)",
            "siting solve", out)


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
    return str(v)


#: Groups whose whole ``siting solve`` commands are compared with spopt + CBC in process.
COMMAND_GROUPS = ("clustered", "generators")


def _command_vs_process(rows: list[dict[str, Any]]) -> list[str]:
    """Lines comparing the whole ``siting solve`` command with spopt + CBC in process."""
    out = []
    for r in rows:
        group = r["group"]
        if group not in COMMAND_GROUPS or r["impl"] != "siting solve" or not r.get("total_s"):
            continue
        case = r["case"].removesuffix(" (command)")
        peer = next((q for q in rows if q["group"] == group and q["case"] == case
                     and q["impl"] == "spopt-cbc" and q.get("total_s")), None)
        inproc = next((q for q in rows if q["group"] == group and q["case"] == case
                       and q["impl"] == "siting" and q.get("total_s")), None)
        if peer is None or inproc is None:
            continue
        whole, own, theirs = float(r["total_s"]), float(inproc["total_s"]), float(peer["total_s"])
        out.append(f"{group} {case}: spopt + CBC in process {theirs:.2f} s; whole `siting solve` "
                   f"{whole:.2f} s ({theirs / whole:.1f}×); siting in process {own:.2f} s "
                   f"({theirs / own:.1f}×)")
    return ["", *out] if out else []


def write_tables(rows: list[dict[str, Any]], out: Path, info: dict[str, str],
                 probes: list[str] | None = None) -> None:
    """``results.csv`` and ``results.md`` (the machine, the host probes, the rows,
    the command-vs-process ratios and the targets)."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.csv", "w", newline="") as fh:
        wr = csv.DictWriter(fh, fieldnames=COLUMNS)
        wr.writeheader()
        for r in rows:
            wr.writerow({k: r.get(k) for k in COLUMNS})
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r.get(k)) for k in COLUMNS) + " |")
    pm = [r for r in rows if r["group"] == "pmed" and r["impl"] == "siting"]
    if pm:
        total = sum(float(r.get("total_s") or 0) for r in pm)
        proven = sum(1 for r in pm if r.get("status") == "optimal")
        lines.append("")
        lines.append(f"pmed: {proven} of {len(pm)} proven optimal, total {total:.1f} s")
    lines.extend(_command_vs_process(rows))
    lines.extend(["", *targets.table(rows)])  # each target met or not, with its figure
    head = ["Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), ""]
    if probes:
        head += [*probes, ""]
    (out / "results.md").write_text("\n".join(head + lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks")
    ap.add_argument("--quick", action="store_true", help="smallest cases only (smoke test)")
    ap.add_argument("--only", default="mclp,pscp,clustered,generators,literature,cli,cordeau,"
                                      "pmed,bds,city,huitian,district")
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--peer-cap", type=float, default=300.0)
    ap.add_argument("--no-spopt", action="store_true")
    ap.add_argument("--pmed-limit", type=float, default=600.0,
                    help="time limit per OR-Library p-median case (s)")
    ap.add_argument("--no-textbook", action="store_true",
                    help="skip the textbook p-median sample in bare HiGHS")
    ap.add_argument("--huitian-runs", type=int, default=3,
                    help="whole-command runs of each 回天 plan (the median is reported)")
    args = ap.parse_args(argv)
    groups = set(args.only.split(","))
    spopt = have_spopt() and not args.no_spopt
    if not spopt:
        print("spopt not installed (pip install -e '.[bench]'): its cases are skipped")
    info = machine()
    print(json.dumps(info))
    compile_siting()
    # The host's speed before the first case and after the last (its drift within a
    # run, and the figure to compare tables by): three fresh processes each.
    runs = 1 if args.quick else 3
    probes = [probe_line(f"before the first case, least of {runs}", host_probe(runs))]
    print(probes[0])
    rows: list[dict[str, Any]] = []
    cap = args.peer_cap
    if "mclp" in groups:
        group_mclp(rows, args.quick, cap, spopt)
    if "pscp" in groups:
        group_pscp(rows, args.quick, cap)
    if "clustered" in groups:
        group_clustered(rows, args.quick, cap, spopt)
    # Not in the smoke test (--quick): tests/test_benchmark_groups.py runs their cases.
    if "generators" in groups and not args.quick:
        group_generators(rows, args.quick, cap, spopt)
    if "literature" in groups and not args.quick:
        group_literature(rows, args.quick, cap)
    if "cli" in groups:
        group_cli(rows, args.quick, cap, spopt)
    if "cordeau" in groups:
        group_cordeau(rows, args.quick, cap)
    if "pmed" in groups:
        group_pmed(rows, args.quick, cap, args.pmed_limit, not args.no_textbook)
    if "bds" in groups:
        group_bds(rows, args.quick, cap)
    if "city" in groups and not args.quick:
        group_city(rows, cap)
    if "huitian" in groups and not args.quick:
        group_huitian(rows, cap, args.huitian_runs)
    if "district" in groups and not args.quick:
        group_district(rows, cap)
    _ratio(rows)
    probes.append(probe_line(f"after the last case, least of {runs}", host_probe(runs)))
    print(probes[-1])
    write_tables(rows, Path(args.out), info, probes)
    print(f"wrote {args.out}/results.md and results.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
