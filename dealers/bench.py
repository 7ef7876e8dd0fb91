"""`make bench BENCH_ARGS=dealers-import`: 100,000 dealer cards from a GBK CSV (as old dealer systems
export them) onto 100,000 seeded customers: preview (dry run) and commit, each timed, in rows a second, with
the CPU time each process spent (on a shared machine the wall time says more about the others)."""
import csv
import tempfile
import time
from pathlib import Path

from django.core.files import File
from django.test import override_settings

HEADER = ["客户代码", "经营者姓名", "性别", "电话", "住址", "组织形式", "开业时间", "资金状况", "付款态度", "店铺", "租金",
          "店员人数", "月均购买额", "营业面积", "月营业额", "完成教育研修", "销售范围"]
UNITS = 20  # as customers.bench seeds them: code U{1 + g % 20}-{g / 20 + 1}


def write_csv(path: Path, n: int) -> None:
    with path.open("w", encoding="gbk", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for g in range(1, n + 1):
            rented = g % 3 == 0
            out.writerow([
                f"U{1 + g % UNITS:02d}-{g // UNITS + 1:06d}", f"经营者{g}", "男" if g % 2 else "女", f"137{g:08d}",
                f"上海市黄浦区南京东路{g}号", ("独资", "合伙", "股份公司")[g % 3], f"20{10 + g % 15}-0{1 + g % 9}-1{g % 9}",
                ("充裕", "足够", "紧张")[g % 3], ("迅速", "正常", "拖延")[g % 3], "租赁" if rented else "自有",
                f"{3000 + g % 5000}" if rented else "", g % 12, f"{(g % 90 + 10)}万元", f"{60 + g % 400}㎡", g % 50 + 5,
                "是" if g % 4 else "否", "本地"])


def _cpu_seconds() -> tuple[float, float, float]:
    """CPU time so far of this process, of its waited-for children (the cleaning helper) and of this
    connection's PostgreSQL backend (when the server runs on this machine; else 0): on a machine shared
    with other work these add up to what the import costs, whatever its wall time."""
    import os
    import resource

    from django.db import connection

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    backend = 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime, backend


def _cpu_row(label: str, before, after) -> tuple[str, str, str]:
    own, helper, backend = (b - a for a, b in zip(before, after))
    return (f"{label}: CPU time, importing process / cleaning helper / PostgreSQL backend",
            f"{own:.1f} / {helper:.1f} / {backend:.1f}", "s")


def bench_dealer_import(n: int = 100_000) -> list[tuple[str, str, str]]:
    from customers.bench import seed_customers
    from imports import services

    from .models import Dealer

    _units, _reps, manager, seeded = seed_customers(n)
    hq = manager.staff_profile.units.get()
    rows = [(f"seeded {n:,} customers", f"{seeded:.1f}", "s")]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dealers-gbk.csv"
        write_csv(path, n)
        with override_settings(CRM_IMPORT_INLINE_ROWS=10**9):
            job = services.create_import(actor=manager, upload=File(path.open("rb"), name=path.name), resource="dealers")
            job = services.set_mapping(actor=manager, job_id=job.pk, mapping=job.mapping, mode="draft", unit=hq)
            cpu, started = _cpu_seconds(), time.perf_counter()
            job = services.start_preview(actor=manager, job_id=job.pk)
            preview = time.perf_counter() - started
            preview_cpu = _cpu_row("dealer import: dry run", cpu, _cpu_seconds())
            assert job.status == "previewed", (job.status, job.error)
            assert job.counts["new"] == n, job.counts
            cpu, started = _cpu_seconds(), time.perf_counter()
            job = services.start_commit(actor=manager, job_id=job.pk)
            commit = time.perf_counter() - started
            commit_cpu = _cpu_row("dealer import: commit", cpu, _cpu_seconds())
    assert Dealer.objects.count() == n
    return rows + [
        (f"dealer import, {n:,}-row GBK CSV: rows new / errors", f"{job.counts['new']:,} / {job.counts['errors']:,}", "rows"),
        ("dealer import: dry run (preview)", f"{preview:.1f}", "s"),
        ("dealer import: dry run rate", f"{n / preview:,.0f}", "rows/s"),
        preview_cpu,
        ("dealer import: commit", f"{commit:.1f}", "s"),
        ("dealer import: commit rate", f"{n / commit:,.0f}", "rows/s"),
        commit_cpu,
        ("dealer import: preview and commit together", f"{n / (preview + commit):,.0f}", "rows/s"),
    ]


BENCHMARKS = {"dealers-import": bench_dealer_import}
