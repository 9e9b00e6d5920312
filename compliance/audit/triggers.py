"""Database triggers that make the audit tables append-only.

Installed by migration on PostgreSQL (UPDATE, DELETE and TRUNCATE refused) and
SQLite (UPDATE and DELETE refused; SQLite has no TRUNCATE). Only ``flush`` (a
development command, refused in production) lifts them, for the moment it runs.
"""

from django.core.exceptions import ImproperlyConfigured

APPEND_ONLY_TABLES = ("audit_auditevent", "audit_auditcheckpoint")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION custos_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only: % on % is refused.', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _statements_install(vendor: str) -> list[str]:
    statements = []
    if vendor == "postgresql":
        statements.append(_PG_FUNCTION)
        for table in APPEND_ONLY_TABLES:
            statements += [
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION custos_audit_append_only();",
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_append_only();",
            ]
    elif vendor == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for operation in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'The audit log is append-only: {operation} on {table} is refused.'); END;"
                )
    elif vendor == "mysql":
        for table in APPEND_ONLY_TABLES:
            for operation in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} FOR EACH ROW "
                    f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'The audit log is append-only: {operation} is refused.';"
                )
    else:
        raise ImproperlyConfigured(f"Custos has no append-only audit triggers for the {vendor} database backend.")
    return statements


def _statements_remove(vendor: str) -> list[str]:
    statements = []
    for table in APPEND_ONLY_TABLES:
        if vendor == "postgresql":
            statements += [
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
            ]
        else:
            statements += [f"DROP TRIGGER IF EXISTS {table}_no_{op};" for op in ("update", "delete")]
    return statements


def install(connection) -> None:
    """Create the append-only triggers on ``connection``'s database."""
    with connection.cursor() as cursor:
        for statement in _statements_install(connection.vendor):
            cursor.execute(statement)


def remove(connection) -> None:
    """Drop the append-only triggers (flush in development, migration reversal)."""
    with connection.cursor() as cursor:
        for statement in _statements_remove(connection.vendor):
            cursor.execute(statement)
