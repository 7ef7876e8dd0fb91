"""`make bench` for the daily scans: the verification and revisit scans over the seeded customers,
wall time and the process's peak memory, then the same scans again the same day."""
import resource
import time

from customers.bench import seed_customers

from . import scans


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_scans(n: int = 1_000_000) -> list[tuple[str, str, str]]:
    _units, _reps, _manager, seed_seconds = seed_customers(n)
    rows = [(f"seeded customers ({n:,})", f"{seed_seconds:.1f}", "s")]
    for label, scan in (("verification scan", scans.verification_scan), ("revisit scan", scans.revisit_scan)):
        for attempt in ("first run", "second run, same day"):
            before = _peak_mb()
            started = time.perf_counter()
            run = scan()
            rows.append((f"{label}, {attempt}: wall time", f"{time.perf_counter() - started:.1f}", "s"))
            rows.append((f"{label}, {attempt}: tasks created / rows scanned", f"{run.tasks_created:,} / {run.rows_scanned:,}", ""))
            rows.append((f"{label}, {attempt}: peak RSS of the process", f"{max(before, _peak_mb()):.0f}", "MB"))
    return rows


BENCHMARKS = {"scans": bench_scans, "scans-quick": lambda: bench_scans(100_000)}
