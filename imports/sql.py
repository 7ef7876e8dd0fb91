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


def encode_rows(rows: list[tuple]):
    """Rows made ready for `insert_encoded`: COPY text on PostgreSQL (so a helper process can do
    the encoding), the tuples themselves elsewhere."""
    if not postgres():
        return rows
    return "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows)


def insert_encoded(table: str, columns: list[str], encoded) -> None:
    """Thousands of rows in one round trip: COPY FROM STDIN on PostgreSQL, executemany elsewhere."""
    if not encoded:
        return
    with connection.cursor() as cursor:
        if postgres():
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN", io.StringIO(encoded))
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", encoded)


def bulk_insert(table: str, columns: list[str], rows: list[tuple]) -> None:
    insert_encoded(table, columns, encode_rows(rows))


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


def zero_padded(expression: str, width: int) -> str:
    if postgres():
        return f"lpad(({expression})::text, {int(width)}, '0')"
    return f"printf('%0{int(width)}d', {expression})"
