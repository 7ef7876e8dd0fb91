"""Production hardening of the audit log in PostgreSQL (docs/audit-log.md): the audit tables belong to a
role the application cannot become, and the application's role may only read and append. Then even
the triggers' own tables cannot be truncated, altered or have their triggers dropped by the application.
"""
AUDIT_TABLES = ("confidentiality_auditentry", "confidentiality_auditentrycustomer", "confidentiality_audithead")


def _ident(name: str) -> str:
    if not name or '"' in name or "\x00" in name:
        raise ValueError(f"not a role name: {name!r}")
    return f'"{name}"'


def ownership_sql(owner: str, app: str) -> list[str]:
    """The statements a database administrator runs once (psql, `manage.py audit_ownership`, or migration
    0007 when AUDIT_OWNER_ROLE is set). They refuse to run if the application could act as the owner."""
    o, a = _ident(owner), _ident(app)
    literal_owner, literal_app = owner.replace("'", "''"), app.replace("'", "''")
    statements = [
        f"""DO $$ BEGIN
    IF pg_has_role('{literal_app}', '{literal_owner}', 'MEMBER') THEN
        RAISE EXCEPTION 'role % must not be a member of the audit owner role %', '{literal_app}', '{literal_owner}';
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = '{literal_app}') THEN
        RAISE EXCEPTION 'role % is a superuser: it could still empty the audit log', '{literal_app}';
    END IF;
END $$""",
    ]
    for table in AUDIT_TABLES:
        statements += [
            f"ALTER TABLE {table} OWNER TO {o}",
            f"REVOKE ALL ON {table} FROM PUBLIC",
            f"REVOKE ALL ON {table} FROM {a}",
        ]
    statements += [
        f"GRANT SELECT, INSERT ON confidentiality_auditentry, confidentiality_auditentrycustomer TO {a}",
        # The head is updated by every append; its trigger lets it move one step forward only.
        f"GRANT SELECT, INSERT, UPDATE ON confidentiality_audithead TO {a}",
    ]
    for table in AUDIT_TABLES:
        statements.append(
            f"""DO $$ DECLARE seq text := pg_get_serial_sequence('{table}', 'id'); BEGIN
    IF seq IS NOT NULL THEN EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', seq, '{literal_app}'); END IF;
END $$"""
        )
    return statements
