"""The 102-field customer catalogue (customers/data/customer_fields.csv) as data.

It drives the model's fields, the form tabs, requiredness, completeness, maintenance classes and,
later, import aliases and verification schedules. Change the CSV, then run makemigrations.
"""
import csv
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from django.utils.translation import get_language

CSV_PATH = Path(__file__).resolve().parent / "data" / "customer_fields.csv"

GROUPS = ("basic", "network", "management", "sales", "image", "personal")
STATIC, QUARTERLY, REALTIME, SYSTEM = "static", "quarterly", "realtime", "system"
REQUIRED, IMPORTANT, GENERAL = "required", "important", "general"

# Who a customer is, for `applies_to`: nature gives individual/company, the profile retail/dealer.
INDIVIDUAL, COMPANY, RETAIL, DEALER = "individual", "company", "retail", "dealer"

# Fields the registration workflow sets; forms show them but never let them be typed.
WORKFLOW_FIELDS = frozenset({"customer_code", "customer_status", "account_manager"})


@dataclass(frozen=True)
class FieldSpec:
    code: str
    label_zh: str
    label_en: str
    group: str
    maintenance: str
    requirement: str
    type: str
    choices: tuple[str, ...]
    applies_to: frozenset[str]  # empty: all
    rule: str

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "zh-hans").startswith("en") else self.label_zh

    @property
    def is_system(self) -> bool:
        return self.maintenance == SYSTEM

    @property
    def is_dynamic(self) -> bool:
        return self.maintenance in (QUARTERLY, REALTIME)

    @property
    def editable(self) -> bool:
        return not self.is_system and self.code not in WORKFLOW_FIELDS

    def applies(self, kinds: frozenset[str]) -> bool:
        return not self.applies_to or bool(self.applies_to & kinds)


class Catalogue:
    def __init__(self, path: Path = CSV_PATH):
        with path.open(encoding="utf-8") as f:
            self.fields: tuple[FieldSpec, ...] = tuple(
                FieldSpec(
                    code=row["code"],
                    label_zh=row["label_zh"],
                    label_en=row["label_en"],
                    group=row["group"],
                    maintenance=row["maintenance"],
                    requirement=row["requirement"],
                    type=row["type"],
                    choices=tuple(c for c in row["choices"].split("|") if c),
                    applies_to=frozenset() if row["applies_to"] == "all" else frozenset(row["applies_to"].split("|")),
                    rule=row["rule"],
                )
                for row in csv.DictReader(f)
            )
        self._counted: dict[frozenset[str], list[FieldSpec]] = {}  # a handful of kinds, asked per row by imports

    def __iter__(self):
        return iter(self.fields)

    def __len__(self):
        return len(self.fields)

    @cached_property
    def by_code(self) -> dict[str, FieldSpec]:
        return {spec.code: spec for spec in self.fields}

    def __getitem__(self, code: str) -> FieldSpec:
        return self.by_code[code]

    def in_group(self, group: str) -> list[FieldSpec]:
        return [spec for spec in self.fields if spec.group == group]

    def editable(self) -> list[FieldSpec]:
        return [spec for spec in self.fields if spec.editable]

    def counted_for_completeness(self, kinds: frozenset[str]) -> list[FieldSpec]:
        """Required and important fields people type that apply to this customer (no system or workflow fields)."""
        cached = self._counted.get(kinds)
        if cached is None:
            cached = self._counted[kinds] = [
                spec
                for spec in self.fields
                if spec.requirement in (REQUIRED, IMPORTANT) and spec.editable and spec.applies(kinds)
            ]
        return cached


CATALOGUE = Catalogue()
