"""What an importable thing (customers today, dealers and products later) tells the import machinery.

A resource is a django-import-export `ModelResource` (its fields are the columns, its `import_data`
is the public interface) with a bulk path underneath: it cleans a whole row at once and commits with
set-based SQL, because the row-by-row pipeline reads and saves one model instance per row (about
a hundred rows a second for a 100-field customer). Adding a resource: subclass `BulkResource`,
give it `columns`, `clean_row`, `duplicate_keys` and `commit`, and `register` it."""
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy
from import_export import resources

from .headers import Column

REGISTRY: dict[str, type["BulkResource"]] = {}


def register(cls):
    REGISTRY[cls.key] = cls
    return cls


def get_resource(key: str) -> "BulkResource":
    if key not in REGISTRY:
        # Resources live in their apps; importing the module registers them.
        from importlib import import_module

        import_module(f"{key}.importing")
    return REGISTRY[key]()


@dataclass
class CleanRow:
    """One sheet row after normalisation and validation."""

    row_no: int
    data: dict = field(default_factory=dict)  # column name → JSON-ready value
    errors: list = field(default_factory=list)  # [(field code, message)]
    keys: dict = field(default_factory=dict)  # staging key slot (ImportRow.KEY_COLUMNS) → value
    unit_id: int | None = None
    status: str = "new"
    target_id: int | None = None
    notes: list = field(default_factory=list)  # [(field code, message)]: cells left out, not errors
    unknown: list = field(default_factory=list)  # [(field code, cell text)]: a choice cell no choice matched


@dataclass(frozen=True)
class DefaultField:
    """A required field the options step offers a default for: the value goes into the empty cells of
    new rows. `choices` for a list, else free text checked by the resource (`lookup_url` answers the text
    typed so far, sent as `default_<code>`, with `<option>`s to suggest)."""

    code: str
    label: str
    choices: tuple = ()
    lookup_url: str = ""
    suggestions: tuple = ()  # (value, label): likely values, e.g. the unit's usual regions
    help: str = ""


@dataclass
class Target:
    """The existing record a row duplicates, as much of it as the viewer may know."""

    visible: bool
    code: str = ""
    name: str = ""
    owner: str = ""


class BulkResource(resources.ModelResource):
    key = ""
    verbose_name = ""
    # (staging key column, the model's column it is compared with) for duplicates of existing records.
    duplicate_keys: tuple[tuple[str, str], ...] = ()
    # Staging key columns checked for repeats within the file, in order.
    file_keys: tuple[str, ...] = ()
    # The options step asks how to import (draft or active), the unit and the account manager: customers and
    # the cards hanging off them. A resource whose records belong to no unit (products) asks none of them.
    customer_options = True
    # The preview's and the report's column that names each row's record.
    name_label = gettext_lazy("Customer name")
    # Column titles the "no header row found" message gives as examples.
    header_examples = "客户名称、手机、身份证号"

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def choice_fields(self) -> dict[str, tuple[str, list[tuple[str, str]], bool]]:
        """Field code → (label, [(choice value, label)], may be left blank), for the value mapping."""
        return {}

    def context(self, job) -> dict:
        """Lookups built once per import (staff by name, units by code…)."""
        return {}

    def clean_rows(self, rows: list[tuple[int, dict]], ctx: dict) -> list[CleanRow]:
        """Rows of {field code: raw cell value}; returns them cleaned, one per input row. Pure Python,
        no database: it may run in a forked process beside the one reading the file."""
        raise NotImplementedError

    def default_fields(self, job) -> list[DefaultField]:
        """The required fields a default may fill for this job (the options step)."""
        return []

    def clean_default(self, code: str, value: str):
        """The default as the staged data holds it; ValidationError with the reason if it is no valid value."""
        raise NotImplementedError

    def describe_default(self, code: str, value) -> str:
        """The default in words, for the preview and the report."""
        return str(value)

    def needs_database(self, row: CleanRow) -> bool:
        """Whether `resolve_rows` must see this row (it names an existing record)."""
        return False

    def resolve_rows(self, cleaned: list[CleanRow], ctx: dict) -> None:
        """The part of cleaning that asks the database (which record a customer code names)."""

    def resolve_staged(self, job, ctx: dict, staged) -> None:
        """The same, set-based, once every row is staged and before the duplicate passes: an `UPDATE … FROM`
        on `staged.table` matches what the rows name, and only the rows that still need Python are read
        back (`staged.pages`) and written again (`staged.replace`). For resources whose every row names an
        existing record (dealer cards), where `resolve_rows` would see every row."""

    def existing_filter_sql(self) -> str:
        """SQL condition on the model's table (alias `c`) for records a new row must not duplicate."""
        return "1 = 1"

    def commit(self, job, actor) -> dict:
        raise NotImplementedError

    def duplicate_targets(self, viewer, ids: set[int]) -> dict[int, Target]:
        """The existing records (by id) that staged rows duplicate, as `viewer` may know them."""
        return {}

    def row_name(self, row) -> str:
        """What names a staged row's record in the preview and the report (`name_label` heads the column)."""
        return str(row.data.get("name") or row.key1 or "")

    def label_of(self, code: str) -> str:
        for column in self.columns():
            if column.code == code:
                return column.label
        return code

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, collect_failed_rows=False,
                    rollback_on_validation_errors=False, **kwargs):
        """django-import-export's entry point, served by the bulk path: a tablib Dataset in, a Result out."""
        from .services import import_dataset

        return import_dataset(self, dataset, dry_run=dry_run, actor=kwargs.get("user"), **kwargs)
