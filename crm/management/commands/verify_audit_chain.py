from django.core.management.base import BaseCommand, CommandError

from crm import anchors
from crm.audit import verify_chain
from crm.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Check that no audit log row was edited or removed: recomputes the keyed hash chain and holds it "
        "against the latest anchor written outside the database (--anchor writes one now)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--anchor", action="store_true", help="After a successful check, append a new anchor.")

    def handle(self, *args, **options):
        problems = verify_chain()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"The audit chain is broken: {len(problems)} problem(s).")
        anchor, _ = anchors.latest()
        since = f" (anchored: {anchor['count']} at {anchor['at']})" if anchor else " (no anchor yet)"
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {AuditEntry.objects.count()} entries{since}."))
        if options["anchor"]:
            anchor = anchors.write_anchor()
            self.stdout.write(f"Anchor written: {anchor['count']} entries, {anchor['last_hash']}.")
