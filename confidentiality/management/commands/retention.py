from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from confidentiality import retention


class Command(BaseCommand):
    help = (
        "List data past its retention period; --propose BY records a destruction proposal; "
        "--approve ID --by USER (GM or marketing head, not the proposer) destroys it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--propose", metavar="USERNAME")
        parser.add_argument("--approve", type=int, metavar="ID")
        parser.add_argument("--by", metavar="USERNAME")

    def _user(self, username):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        return user

    def handle(self, *args, propose=None, approve=None, by=None, **options):
        try:
            if approve:
                if not by:
                    raise CommandError("--approve needs --by USERNAME")
                done = retention.approve_and_destroy(actor=self._user(by), destruction_id=approve)
                self.stdout.write(self.style.SUCCESS(f"Destroyed: {done.what} ({len(done.customer_ids)} customers)."))
                return
            for due in retention.everything_due():
                self.stdout.write(f"{due.rule}: {len(due.customer_ids)} customers — {due.what}")
                if propose and due.customer_ids:
                    proposal = retention.propose(actor=self._user(propose), due=due)
                    self.stdout.write(f"  proposed as destruction {proposal.pk}; approve with --approve {proposal.pk} --by USER")
        except retention.RetentionError as exc:
            raise CommandError(str(exc)) from exc
