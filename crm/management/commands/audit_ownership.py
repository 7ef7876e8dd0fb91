from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from crm.ownership import ownership_sql


class Command(BaseCommand):
    help = (
        "PostgreSQL, production: hand the audit tables to an owner role and leave the application's role "
        "only SELECT/INSERT on them. Prints the SQL; --execute runs it (as a database administrator)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", default=settings.AUDIT_OWNER_ROLE, help="Role that will own the audit tables.")
        parser.add_argument("--app-role", default=settings.AUDIT_APP_ROLE, help="The application's login role.")
        parser.add_argument("--execute", action="store_true", help="Run the statements instead of printing them.")

    def handle(self, *args, owner, app_role, execute, **options):
        if not owner or not app_role:
            raise CommandError("Name both roles: --owner and --app-role (or AUDIT_OWNER_ROLE and AUDIT_APP_ROLE).")
        try:
            statements = ownership_sql(owner, app_role)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not execute:
            self.stdout.write(";\n\n".join(statements) + ";")
            return
        if connection.vendor != "postgresql":
            raise CommandError("Only PostgreSQL has roles; on SQLite protect the database file instead.")
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(self.style.SUCCESS(f"The audit tables now belong to {owner}; {app_role} may only read and append."))
