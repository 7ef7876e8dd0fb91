"""`make bench`: runs the benchmarks in a throwaway test database and prints a Markdown table
to paste into docs/performance.md, with the machine and date."""
import datetime
import os
import platform

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import setup_test_environment, teardown_test_environment

from crm.bench import all_benchmarks, peak_rss_mb


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as f:
            mem_gib = int(f.readline().split()[1]) / 1024 / 1024
    except (OSError, ValueError):
        mem_gib = 0
    return f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB RAM, {platform.system()} {platform.release()}"


class Command(BaseCommand):
    help = "Run the benchmarks in a throwaway database and print the results as Markdown."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="which benchmarks (default: pages, customers and scans)")
        parser.add_argument("--quick", action="store_true", help="100,000 customers instead of 1,000,000")

    def handle(self, *args, names, quick, **options):
        benchmarks = all_benchmarks()
        suffix = "-quick" if quick else ""
        chosen = names or ["pages", f"customers{suffix}", f"scans{suffix}", f"imports{suffix}"]
        unknown = set(chosen) - set(benchmarks)
        if unknown:
            raise CommandError(f"unknown benchmarks: {', '.join(sorted(unknown))}; known: {', '.join(benchmarks)}")
        setup_test_environment()
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            rows = [row for name in chosen for row in benchmarks[name]()]
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()
        out = self.stdout.write
        out(f"Run {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on {machine()}; database: {connection.vendor}")
        out("")
        out("| benchmark | figure | unit |")
        out("|---|---:|---|")
        for name, figure, unit in rows:
            out(f"| {name} | {figure} | {unit} |")
        out(f"| peak RSS of the benchmark process | {peak_rss_mb():.0f} | MB |")
