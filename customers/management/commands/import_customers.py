"""Scripted customer imports: the same services as the import pages, run here and now.

    python manage.py import_customers PATH [--unit CODE] [--mapping FILE] [--dry-run]
        [--report OUT.xlsx] [--json] [--user USERNAME] [--active] [--owner USERNAME] [--sheet NAME]

The file is read, its header row found and the columns mapped as on the page. `--mapping FILE` overrides
the proposal: a JSON object {"header text" or "column index" or "column letter": "field code"} (a field
code of "" or null leaves the column out), or the same under "columns" beside "values", the value map:
{"columns": {...}, "values": {"field code": {"value in the file": "choice value", or "" for blank}}}.
A saved mapping of the same headers (column and value maps) applies first, as on the page. The preview runs in this process
(never on the queue, whatever the size); then, unless `--dry-run`, the rows the preview accepted
are committed in one transaction. `--json` prints one JSON object with the counts."""
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import roles as r
from crm.models import OrgUnit
from imports import permissions, services
from imports.headers import column_letter, normalise_header
from imports.models import ImportJob, ImportRow
from imports.report import report_xlsx

COUNT_KEYS = ("rows", "new", "updated", "unchanged", "duplicates", "errors", "skipped_blank")
SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = (
        "Import customers from an .xlsx, .xls or .csv file: preview, then commit the accepted rows "
        "(--dry-run: preview only). Runs as --user, else the first active superuser or administrator."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx, .xls or .csv file")
        parser.add_argument("--unit", metavar="CODE", help="org unit to import into (default: the user's only unit)")
        parser.add_argument("--mapping", metavar="FILE",
                            help='JSON {"header text" | "column index" | "column letter": "field code"} over the proposal')
        parser.add_argument("--dry-run", action="store_true", help="preview only; write no customer")
        parser.add_argument("--report", metavar="OUT.xlsx", help="write the per-row report here")
        parser.add_argument("--json", action="store_true", help="print one JSON object with the counts")
        parser.add_argument("--user", metavar="USERNAME", help="import as this user")
        parser.add_argument("--active", action="store_true", help="import as active customers (administrators only)")
        parser.add_argument("--owner", metavar="USERNAME", help="account manager of rows that name none")
        parser.add_argument("--sheet", metavar="NAME", help="the worksheet to read (default: the first)")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        actor = self._actor(options["user"])
        owner = self._user(options["owner"]) if options["owner"] else None
        report = Path(options["report"]) if options["report"] else None
        if report is not None and not report.parent.is_dir():
            raise CommandError(_("No such folder for the report: %(path)s") % {"path": report.parent})
        overrides, values = self._read_mapping(options["mapping"]) if options["mapping"] else ({}, {})

        unit = self._unit(options["unit"], actor)
        try:
            with path.open("rb") as f:
                job = services.create_import(actor=actor, upload=File(f, name=path.name))
        except services.ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        try:
            if options["sheet"]:
                if options["sheet"] not in job.sheet_names:
                    raise CommandError(_("The workbook has no sheet called %(name)s; its sheets are: %(names)s")
                                       % {"name": options["sheet"], "names": "、".join(job.sheet_names)})
                job = services.choose_sheet(actor=actor, job_id=job.pk, sheet=options["sheet"])
            job = services.set_mapping(actor=actor, job_id=job.pk, mapping=self._apply(job, overrides),
                                       mode=ImportJob.Mode.ACTIVE if options["active"] else ImportJob.Mode.DRAFT,
                                       unit=unit, owner=owner)
            if values:
                job = services.set_value_map(actor=actor, job_id=job.pk, value_map=values)
        except (services.ImportRefused, CommandError) as exc:
            job.file.delete(save=False)  # nothing was read from it yet: keep no trace, as a refused upload
            job.delete()
            raise CommandError(str(exc)) from exc

        try:
            job = self._preview(job)
            if not options["dry_run"]:
                if not permissions.can_commit(actor, job):
                    raise services.ImportRefused(_("You cannot import this file."))
                job = services.commit_import(actor=actor, job_id=job.pk)
        except services.ImportRefused as exc:
            raise CommandError(str(exc)) from exc

        if report is not None:
            report.write_bytes(report_xlsx(job, actor))
        self._print(job, options, report)

    # --- who, where, which columns ----------------------------------------------------------------
    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("No active user is called %(name)s.") % {"name": username})
        return user

    def _actor(self, username: str | None):
        if username:
            return self._user(username)
        users = get_user_model().objects.filter(is_active=True)
        actor = (users.filter(is_superuser=True).order_by("pk").first()
                 or users.filter(groups__name=r.ADMIN).order_by("pk").first())
        if actor is None:
            raise CommandError(_("There is no active superuser or administrator to import as; name one with --user."))
        return actor

    def _unit(self, code: str | None, actor):
        if code:
            unit = OrgUnit.objects.filter(Q(code__iexact=code) | Q(name=code), is_active=True).first()
            if unit is None:
                raise CommandError(_("No active org unit has the code %(code)s.") % {"code": code})
            return unit
        unit = permissions.default_unit(actor)
        if unit is None:
            raise CommandError(_("This user may import into several units: choose one with --unit CODE."))
        return unit

    def _read_mapping(self, name: str) -> tuple[dict, dict]:
        """(column overrides, value map) from the mapping file."""
        try:
            data = json.loads(Path(name).read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise CommandError(_("The mapping file cannot be read: %(error)s") % {"error": exc}) from exc
        values = {}
        if isinstance(data, dict) and set(data) <= {"columns", "values"} and data:
            columns, values = data.get("columns") or {}, data.get("values") or {}
        else:
            columns = data
        if not isinstance(columns, dict) or not all(isinstance(v, (str, type(None))) for v in columns.values()):
            raise CommandError(_('The mapping file must hold one JSON object: {"header text": "field code", …}.'))
        if not isinstance(values, dict) or not all(
                isinstance(m, dict) and all(isinstance(c, str) for c in m.values()) for m in values.values()):
            raise CommandError(_('The value map must be {"field code": {"value in the file": "choice value"}}.'))
        return columns, values

    def _apply(self, job: ImportJob, overrides: dict) -> dict:
        """The proposal with the file's overrides: a column named there takes that field (and the
        field leaves any other column the proposal gave it to)."""
        mapping = dict(job.mapping)
        headers = [normalise_header(h) for h in job.headers]
        letters = {column_letter(i): i for i in range(max(len(job.headers), 1))}
        for key, code in overrides.items():
            key = str(key).strip()
            if normalise_header(key) in headers and normalise_header(key):
                index = headers.index(normalise_header(key))
            elif key.isdigit():
                index = int(key)
            elif key.upper() in letters:
                index = letters[key.upper()]
            else:
                raise CommandError(_("No column is headed “%(header)s”. The headers are: %(headers)s")
                                   % {"header": key, "headers": "、".join(h for h in job.headers if h)})
            if code:
                mapping = {col: c for col, c in mapping.items() if c != code}
                mapping[str(index)] = code
            else:
                mapping.pop(str(index), None)
        return mapping

    # --- preview, report, output ---------------------------------------------------------------------
    def _preview(self, job: ImportJob) -> ImportJob:
        """What `start_preview` does, but always in this process: never handed to the queue."""
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.PREVIEWING, cancel_requested=False, rows_done=0, counts={}, error="",
            heartbeat=timezone.now(),
        )
        done = services.run_preview(job.pk)
        if done is None:
            raise CommandError(_("The import was cancelled."))
        if done.status != ImportJob.Status.PREVIEWED:
            raise CommandError(done.error or done.get_status_display())
        return done

    def _print(self, job: ImportJob, options, report: Path | None) -> None:
        counts = job.counts or {}
        written = counts.get("written") or {}
        committed = job.status == ImportJob.Status.COMMITTED
        if options["json"]:
            payload = {"job": job.pk, "committed": committed, **{k: counts.get(k, 0) for k in COUNT_KEYS}}
            if committed:
                payload["written"] = {"created": written.get("created", 0), "updated": written.get("updated", 0)}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        self.stdout.write(" ".join(f"{k}={counts.get(k, 0)}" for k in COUNT_KEYS))
        for row in ImportRow.objects.filter(job=job, status=ImportRow.Status.ERROR).order_by("row_no")[:SHOWN_ERRORS]:
            for field, cell, message in row.messages:
                self.stdout.write("  " + _("Row %(row)s, %(cell)s: %(message)s")
                                  % {"row": row.row_no, "cell": cell or field, "message": message})
        if counts.get("errors", 0) > SHOWN_ERRORS:
            self.stdout.write("  " + _("… and %(n)s more rows with errors.") % {"n": counts["errors"] - SHOWN_ERRORS})
        if committed:
            self.stdout.write(self.style.SUCCESS(
                _("Imported: %(created)s created, %(updated)s updated (import #%(job)s).")
                % {"created": written.get("created", 0), "updated": written.get("updated", 0), "job": job.pk}))
        else:
            self.stdout.write(_("Dry run: nothing was written (preview #%(job)s).") % {"job": job.pk})
        if report is not None:
            self.stdout.write(_("Report: %(path)s") % {"path": report})

