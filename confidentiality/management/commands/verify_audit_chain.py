from django.core.management.base import BaseCommand, CommandError

from confidentiality.audit import verify_chain
from confidentiality.models import AuditEntry


class Command(BaseCommand):
    help = "Check that no audit log row was edited or removed (recomputes the hash chain)."

    def handle(self, *args, **options):
        problems = verify_chain()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"The audit chain is broken: {len(problems)} problem(s).")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {AuditEntry.objects.count()} entries."))
