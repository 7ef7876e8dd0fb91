"""Benchmarks for `make bench`: each returns rows of (name, figure, unit). Later issues add theirs here."""
import resource
import statistics
import time

from django.test import Client
from django.urls import reverse

from . import roles as r


def _timed_requests(client: Client, url: str, n: int) -> list[float]:
    client.get(url)  # warm-up: template loading, translations
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times


def bench_pages(n: int = 300) -> list[tuple[str, str, str]]:
    from .tests.factories import OrgUnitFactory, UserFactory

    unit = OrgUnitFactory(code="BENCH")
    user = UserFactory(username="bench_rep", roles=[r.SALES_REP], units=[unit])
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(user)
    rows = []
    for label, client, url in (
        ("sign-in page", anonymous, reverse("login")),
        ("dashboard (sales rep)", signed_in, reverse("home")),
        ("/healthz", anonymous, reverse("healthz")),
    ):
        times = sorted(_timed_requests(client, url, n))
        rows.append((f"{label}: median", f"{statistics.median(times):.2f}", "ms"))
        rows.append((f"{label}: p95", f"{times[int(len(times) * 0.95)]:.2f}", "ms"))
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


BENCHMARKS = {"pages": bench_pages}


def all_benchmarks() -> dict:
    """The benchmarks of every installed app (its `bench.BENCHMARKS`), in INSTALLED_APPS order."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    found = {}
    for config in apps.get_app_configs():
        if find_spec(f"{config.name}.bench") is not None:
            found.update(getattr(import_module(f"{config.name}.bench"), "BENCHMARKS", {}))
    return found
