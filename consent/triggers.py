"""A database trigger that refuses UPDATE on consent events: the log only grows.

Installed by migration on PostgreSQL, SQLite and MySQL. DELETE is left to the
foreign keys (every reference to an event or from one protects it) and to the
model, which refuses ``delete()``, so ``flush`` in development and tests keeps
working without lifting anything.
"""

from django.core.exceptions import ImproperlyConfigured

TABLE = "consent_consentevent"
TRIGGER = f"{TABLE}_no_update"
MESSAGE = "Consent events are append-only: UPDATE is refused."

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION custos_consent_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _install(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            _PG_FUNCTION,
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION custos_consent_event_append_only();",
        ]
    if vendor == "sqlite":
        return [f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"]
    if vendor == "mysql":
        return [f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE} FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{MESSAGE}';"]
    raise ImproperlyConfigured(f"Custos has no append-only consent trigger for the {vendor} database backend.")


def _remove(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};", "DROP FUNCTION IF EXISTS custos_consent_event_append_only();"]
    return [f"DROP TRIGGER IF EXISTS {TRIGGER};"]


def install(apps, schema_editor) -> None:
    """Create the trigger on the migrating database."""
    with schema_editor.connection.cursor() as cursor:
        for statement in _install(schema_editor.connection.vendor):
            cursor.execute(statement)


def remove(apps, schema_editor) -> None:
    """Drop the trigger (migration reversal)."""
    with schema_editor.connection.cursor() as cursor:
        for statement in _remove(schema_editor.connection.vendor):
            cursor.execute(statement)
