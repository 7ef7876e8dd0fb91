"""Set-based writing for imports, on PostgreSQL (COPY) and SQLite (executemany) alike."""
import io

from django.db import connection


def postgres() -> bool:
    return connection.vendor == "postgresql"


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def bulk_insert(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Thousands of rows in one round trip: COPY FROM STDIN on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if postgres():
            buffer = io.StringIO()
            buffer.write("\n".join("\t".join(map(_copy_text, row)) for row in rows))
            buffer.write("\n")
            buffer.seek(0)
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN", buffer)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def json_text(column: str, key: str) -> str:
    """The text of one key of a JSON column (SQL NULL when the key is absent)."""
    safe = key.replace("'", "")
    if postgres():
        return f"({column} ->> '{safe}')"
    return f"json_extract({column}, '$.{safe}')"


def json_param() -> str:
    return "%s::jsonb" if postgres() else "%s"


def zero_padded(expression: str, width: int) -> str:
    if postgres():
        return f"lpad(({expression})::text, {int(width)}, '0')"
    return f"printf('%0{int(width)}d', {expression})"
