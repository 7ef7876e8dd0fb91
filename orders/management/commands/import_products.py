"""Scripted product list imports: the same services as the product import page, run here and now.

    python manage.py import_products PATH [--mapping FILE] [--dry-run] [--report OUT.xlsx] [--json]
        [--user USERNAME] [--sheet NAME]

As `import_customers` (whose mapping file, preview, report and output it shares), without the customers'
options: products belong to no unit and no account manager. The user must manage products
(`orders.permissions.can_manage_products`); by default the first active superuser or administrator."""
from pathlib import Path

from django.core.files import File
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from customers.management.commands import import_customers
from imports import services
from imports.models import ImportJob
from imports.report import report_xlsx
from orders import permissions


class Command(import_customers.Command):
    help = (
        "Import the product list (code, name, specification, unit, category, list price, active, returns) from an "
        ".xlsx, .xls or .csv file: preview, then commit the accepted rows (--dry-run: preview only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx, .xls or .csv file")
        parser.add_argument("--mapping", metavar="FILE",
                            help='JSON {"header text" | "column index" | "column letter": "field code"} over the proposal')
        parser.add_argument("--dry-run", action="store_true", help="preview only; write no product")
        parser.add_argument("--report", metavar="OUT.xlsx", help="write the per-row report here")
        parser.add_argument("--json", action="store_true", help="print one JSON object with the counts")
        parser.add_argument("--user", metavar="USERNAME", help="import as this user (one who manages products)")
        parser.add_argument("--sheet", metavar="NAME", help="the worksheet to read (default: the first)")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        actor = self._actor(options["user"])
        if not permissions.can_manage_products(actor):
            raise CommandError(_("You may not import products."))
        report = Path(options["report"]) if options["report"] else None
        if report is not None and not report.parent.is_dir():
            raise CommandError(_("No such folder for the report: %(path)s") % {"path": report.parent})
        overrides, _values = self._read_mapping(options["mapping"]) if options["mapping"] else ({}, {})
        try:
            with path.open("rb") as f:
                job = services.create_import(actor=actor, upload=File(f, name=path.name), resource="products")
        except services.ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        try:
            if options["sheet"]:
                if options["sheet"] not in job.sheet_names:
                    raise CommandError(_("The workbook has no sheet called %(name)s; its sheets are: %(names)s")
                                       % {"name": options["sheet"], "names": "、".join(job.sheet_names)})
                job = services.choose_sheet(actor=actor, job_id=job.pk, sheet=options["sheet"])
            job = services.set_mapping(actor=actor, job_id=job.pk, mapping=self._apply(job, overrides),
                                       mode=ImportJob.Mode.DRAFT)
        except (services.ImportRefused, CommandError) as exc:
            job.file.delete(save=False)  # nothing was read from it yet: keep no trace, as a refused upload
            job.delete()
            raise CommandError(str(exc)) from exc
        try:
            job = self._preview(job)
            if not options["dry_run"]:
                job = services.commit_import(actor=actor, job_id=job.pk)
        except services.ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        if report is not None:
            report.write_bytes(report_xlsx(job, actor))
        self._print(job, options, report)
