"""The dealer profile card (dealers/data/dealer_fields.csv) as data, on the customer catalogue's machinery.

The CSV gives code, labels, section, type, choices and the rule; which fields are required, important
or sensitive, and which the workflows set, is said here once. Change the CSV, then run makemigrations.
"""
import csv
from pathlib import Path

from customers.catalogue import GENERAL, IMPORTANT, REQUIRED, STATIC, FieldSpec

CSV_PATH = Path(__file__).resolve().parent / "data" / "dealer_fields.csv"

SECTIONS = ("operator", "finance", "business", "franchise", "credit")

REQUIRED_FIELDS = frozenset({"operator_name", "operator_phone", "organisation", "premises"})
IMPORTANT_FIELDS = frozenset({
    "operator_gender", "funds_status", "payment_attitude", "business_trend", "sales_channels",
    "avg_monthly_purchase", "location_type", "shop_size", "opened_on",
})
# Set by the franchise workflow and the credit-grade approvals, never typed on the card.
WORKFLOW_FIELDS = frozenset({"franchise_status", "credit_grade", "credit_limit", "credit_days"})

# Sensitive card fields (DOMAIN §6, the CSV's rule column): shown to the owner, co-owners and holders
# of a grant naming the field; `past_bankruptcy` is secret: a grant naming it is the only way.
SENSITIVE_FIELDS = frozenset({"operator_phone", "operator_address", "actual_controller", "bank_relations", "past_bankruptcy"})
GRANT_ONLY_FIELDS = frozenset({"past_bankruptcy"})

SALES_CHANNELS = ("retail_store", "institutions", "wholesale", "other")
PERCENT_FIELDS = frozenset({"hq_purchase_share_min", "operating_fee_rate"})


def _requirement(code: str) -> str:
    return REQUIRED if code in REQUIRED_FIELDS else IMPORTANT if code in IMPORTANT_FIELDS else GENERAL


class DealerCatalogue:
    def __init__(self, path: Path = CSV_PATH):
        with path.open(encoding="utf-8") as f:
            self.fields: tuple[FieldSpec, ...] = tuple(
                FieldSpec(
                    code=row["code"], label_zh=row["label_zh"], label_en=row["label_en"], group=row["section"],
                    maintenance=STATIC, requirement=_requirement(row["code"]), type=row["type"],
                    choices=tuple(c for c in row["choices"].split("|") if c), applies_to=frozenset(), rule=row["rule"],
                )
                for row in csv.DictReader(f)
            )
        self.by_code = {spec.code: spec for spec in self.fields}
        self._counted = [spec for spec in self.editable() if spec.requirement in (REQUIRED, IMPORTANT)]

    def __iter__(self):
        return iter(self.fields)

    def __len__(self):
        return len(self.fields)

    def __getitem__(self, code: str) -> FieldSpec:
        return self.by_code[code]

    def in_section(self, section: str) -> list[FieldSpec]:
        return [spec for spec in self.fields if spec.group == section]

    def editable(self) -> list[FieldSpec]:
        return [spec for spec in self.fields if spec.code not in WORKFLOW_FIELDS]

    def counted_for_completeness(self) -> list[FieldSpec]:
        return self._counted


CATALOGUE = DealerCatalogue()


def completeness(is_filled) -> int:
    """Share (0–100) of the required and important card fields that are filled."""
    counted = CATALOGUE.counted_for_completeness()
    return round(100 * sum(1 for spec in counted if is_filled(spec.code)) / len(counted)) if counted else 100
