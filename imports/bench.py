"""`make bench` for imports: generated customer sheets of 100,000 and 1,000,000 rows through the
preview and the commit, and the same 100,000-row file through a plain django-import-export
ModelResource in the same run, for the comparison issue 6 asks for."""
import datetime
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from django.core.files import File
from django.db import connection
from django.test import override_settings
from stdnum.cn import ric

from crm import roles as r

from . import parallel
from .headers import column_letter

HEADER = ["客户名称", "客户性质", "联系人", "手机", "身份证号", "行政区域", "经营地址", "客户等级", "建档日期", "零售业态",
          "营业面积", "固定电话", "微信号", "客户来源"]
CODES = ["name", "customer_nature", "contact_name", "mobile", "id_number", "admin_region", "address", "tier",
         "registered_on", "retail_format", "business_area", "landline", "wechat", "customer_source"]
REGIONS = ("310101", "310104", "310105", "110105", "440604")


def generated_rows(n: int, offset: int = 0):
    """Valid, distinct customers: real ID check digits, unique mobiles and WeChat IDs. Choices are
    written as codes and dates as ISO text, which the plain ModelResource also understands."""
    born = datetime.date(1960, 1, 1)
    for i in range(offset, offset + n):
        body = f"110105{born + datetime.timedelta(days=i % 15000):%Y%m%d}{(i // 15000) % 1000:03d}"
        yield [
            f"华联超市{i}", "individual", f"联系人{i}", 13000000000 + i, body + ric.calc_check_digit(body + "0"),
            REGIONS[i % 5], f"上海市黄浦区南京东路{i}号", "ABCDE"[i % 5],
            (datetime.date(2010, 1, 1) + datetime.timedelta(days=i % 3000)).isoformat(), "convenience_store", 120.5,
            "021-12345678", f"wx{i:08d}", "walk_in",
        ]




def write_xlsx(path: Path, header: list, rows) -> None:
    """An .xlsx as Excel writes it (shared strings, UTF-8), streamed: openpyxl's writer takes
    100 s for a million rows, which would only time the benchmark's own set-up."""
    strings, table = {}, []

    def sid(text: str) -> int:
        found = strings.get(text)
        if found is None:
            found = strings[text] = len(table)
            table.append(text)
        return found

    letters = [column_letter(i) for i in range(len(header))]
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {ns}><sheetData>'.encode())
            buffer = []
            for number, row in enumerate(itertools.chain([header], rows), start=1):
                cells = []
                for letter, value in zip(letters, row):
                    if value is None or value == "":
                        continue
                    if isinstance(value, (int, float)):
                        cells.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
                    else:
                        cells.append(f'<c r="{letter}{number}" t="s"><v>{sid(str(value))}</v></c>')
                buffer.append(f'<row r="{number}">{"".join(cells)}</row>')
                if len(buffer) >= 5000:
                    f.write("".join(buffer).encode())
                    buffer = []
            f.write(("".join(buffer) + "</sheetData></worksheet>").encode())
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst {ns} count="{len(table)}" '
                    f'uniqueCount="{len(table)}">'.encode())
            for start in range(0, len(table), 5000):
                f.write("".join(f"<si><t>{escape(s)}</t></si>" for s in table[start:start + 5000]).encode())
            f.write(b"</sst>")
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {ns} xmlns:r="{rel}">'
            '<sheets><sheet name="客户" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'))


def _generate(path: Path, n: int, offset: int = 0) -> float:
    """In a separate process: the generator's string table must not count in the import's memory."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from pathlib import Path; "
         "from imports.bench import HEADER, generated_rows, write_xlsx; "
         f"write_xlsx(Path({str(path)!r}), HEADER, generated_rows({int(n)}, offset={int(offset)}))"],
        check=True, cwd=Path(__file__).resolve().parents[1], env={**os.environ},
    )
    return time.perf_counter() - started


def _status_kb(pid: int | str, key: str, name: str = "status") -> int:
    try:
        with open(f"/proc/{pid}/{name}") as f:
            return next((int(line.split()[1]) for line in f if line.startswith(key)), 0)
    except (OSError, ValueError):
        return 0


class MemorySampler(threading.Thread):
    """Peak memory while the import runs, sampled every 0.1 s: this process (RSS), the cleaning
    helper (RSS), and both together as PSS (pages they share counted once)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.own = self.helper = self.together = 0
        try:  # forget the high-water mark of what came before (Linux: "5" resets VmHWM)
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass

    def run(self):
        while not self.stop.wait(0.1):
            own = _status_kb("self", "VmRSS:")
            helpers = [(_status_kb(p, "VmRSS:"), _status_kb(p, "Pss:", "smaps_rollup")) for p in list(parallel.CHILDREN)]
            self.own = max(self.own, own)
            self.helper = max([self.helper] + [rss for rss, _pss in helpers])
            self.together = max(self.together, _status_kb("self", "Pss:", "smaps_rollup") + sum(p for _r, p in helpers))

    def finish(self) -> tuple[float, float, float, float]:
        self.stop.set()
        self.join()
        high_water = _status_kb("self", "VmHWM:")
        return max(self.own, high_water) / 1024, self.helper / 1024, self.together / 1024, high_water / 1024


def _import(path: Path, actor, unit, label: str) -> list[tuple[str, str, str]]:
    from imports import services

    with override_settings(CRM_IMPORT_INLINE_ROWS=10**9):
        job = services.create_import(actor=actor, upload=File(path.open("rb"), name=path.name))
        services.set_mapping(actor=actor, job_id=job.pk, mapping=job.mapping, mode="draft", unit=unit)
        started = time.perf_counter()
        job = services.start_preview(actor=actor, job_id=job.pk)
        preview = time.perf_counter() - started
        assert job.status == "previewed", (job.status, job.error)
        rows = job.counts["rows"]
        started = time.perf_counter()
        job = services.start_commit(actor=actor, job_id=job.pk)
        commit = time.perf_counter() - started
    return [
        (f"{label}: rows", f"{rows:,}", "rows"),
        (f"{label}: new / duplicates / errors", f"{job.counts['new']:,} / {job.counts['duplicates']:,} / {job.counts['errors']:,}", "rows"),
        (f"{label}: dry run (preview)", f"{preview:.1f}", "s"),
        (f"{label}: dry run rate", f"{rows / preview:,.0f}", "rows/s"),
        (f"{label}: commit", f"{commit:.1f}", "s"),
        (f"{label}: commit rate", f"{rows / commit:,.0f}", "rows/s"),
    ]


# django-import-export's documented settings for large imports (docs: "Bulk imports"): instances are
# collected and written with bulk_create in batches, and no per-row diff is built.
BULK_SETTINGS = {"use_bulk": True, "batch_size": 1000, "skip_diff": True}


def _plain(path: Path, actor, unit, *, bulk: bool = False) -> tuple[list, float, float]:
    """The same file through django-import-export's own row-by-row pipeline; `bulk`: with its
    documented bulk settings (`BULK_SETTINGS`)."""
    import tablib
    from import_export import resources

    from .resources import get_resource

    options = {"model": get_resource("customers")._meta.model, "fields": CODES, "import_id_fields": (),
               **(BULK_SETTINGS if bulk else {})}

    class PlainCustomerResource(resources.ModelResource):
        Meta = type("Meta", (), options)

        def __init__(self):
            super().__init__()
            for header, code in zip(HEADER, CODES):
                self.fields[code].column_name = header

        def before_save_instance(self, instance, row, **kwargs):
            instance.unit, instance.created_by = unit, actor

    dataset = tablib.Dataset().load(path.read_bytes(), format="xlsx")
    started = time.perf_counter()
    result = PlainCustomerResource().import_data(dataset, dry_run=True)
    dry = time.perf_counter() - started
    assert not result.has_errors() and not result.has_validation_errors(), result.totals
    started = time.perf_counter()
    result = PlainCustomerResource().import_data(dataset, dry_run=False)
    commit = time.perf_counter() - started
    assert not result.has_errors() and not result.has_validation_errors(), result.totals
    n = len(dataset)
    name = "ModelResource with use_bulk, batch_size=1000, skip_diff" if bulk else "plain ModelResource"
    return [
        (f"{name}, {n:,} rows: dry run", f"{dry:.1f}", "s"),
        (f"{name}: dry run rate", f"{n / dry:,.0f}", "rows/s"),
        (f"{name}: commit", f"{commit:.1f}", "s"),
        (f"{name}: commit rate", f"{n / commit:,.0f}", "rows/s"),
    ], n / dry, n / commit


def compared_rows() -> int:
    """Rows of the file imported by us and by django-import-export (both ways): 100,000, or
    `CRM_BENCH_IMPORT_ROWS` on a machine too busy for the plain resource's quarter of an hour."""
    return int(os.environ.get("CRM_BENCH_IMPORT_ROWS", 100_000))


def bench_imports(big: int = 1_000_000, n: int | None = None, plain: bool = True) -> list[tuple[str, str, str]]:
    from crm.tests.factories import OrgUnitFactory, UserFactory

    if connection.vendor != "postgresql":
        raise SystemExit("The import benchmark is for PostgreSQL: run it with DATABASE_URL set.")
    n = n or compared_rows()
    unit = OrgUnitFactory(code="IMP", name="导入测试")
    admin = UserFactory(username="bench_importer", password=None, roles=[r.ADMIN], units=[unit])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # First the 100,000 rows into an empty table, then the million beside them, then the
        # 100,000 again (all duplicates now, checked against 1,100,000 customers).
        path = tmp / f"customers-{n}.xlsx"
        _generate(path, n)
        ours = _import(path, admin, unit, f"{n:,} rows")
        rows += ours
        if big:
            big_path = tmp / f"customers-{big}.xlsx"
            seconds = _generate(big_path, big, offset=10_000_000)
            rows.append((f"generated {big:,}-row .xlsx ({big_path.stat().st_size >> 20} MB, another process)", f"{seconds:.1f}", "s"))
            sampler = MemorySampler()
            sampler.start()
            rows += _import(big_path, admin, unit, f"{big:,} rows")
            own, helper, together, _hwm = sampler.finish()
            rows.append((f"{big:,} rows: peak RSS, importing process", f"{own:.0f}", "MB"))
            rows.append((f"{big:,} rows: peak RSS, cleaning helper process", f"{helper:.0f}", "MB"))
            rows.append((f"{big:,} rows: peak of both together (PSS, shared pages once)", f"{together:.0f}", "MB"))
        rows += _import(path, admin, unit, f"{n:,} rows imported again")
        if plain:
            dry_rate = float(ours[3][1].replace(",", ""))
            commit_rate = float(ours[5][1].replace(",", ""))
            plain_rows, plain_dry, plain_commit = _plain(path, admin, OrgUnitFactory(code="PLAIN"))
            bulk_rows, bulk_dry, bulk_commit = _plain(path, admin, OrgUnitFactory(code="PLAINB"), bulk=True)
            rows += plain_rows + bulk_rows
            for name, other_dry, other_commit in (("plain ModelResource", plain_dry, plain_commit),
                                                   ("ModelResource with bulk settings", bulk_dry, bulk_commit)):
                rows.append((f"speed-up over {name}: dry run", f"{dry_rate / other_dry:.0f}", "×"))
                rows.append((f"speed-up over {name}: commit", f"{commit_rate / other_commit:.0f}", "×"))
    return rows


def bench_imports_quick() -> list[tuple[str, str, str]]:
    return bench_imports(big=0)


def bench_imports_without_plain() -> list[tuple[str, str, str]]:
    """The bulk path alone (the plain ModelResource takes a quarter of an hour)."""
    return bench_imports(plain=False)


BENCHMARKS = {"imports": bench_imports, "imports-quick": bench_imports_quick, "imports-bulk": bench_imports_without_plain}
