"""The product list as an importable resource: one row a product, named by its product code, through the
import engine's upload, mapping, preview, report and one-transaction commit (`.xlsx`, `.xls`, CSV in
UTF-8 or GBK/GB18030).

A code the list already has updates that product with the cells the file fills (a blank cell never
erases); a new code needs a name and a list price. Prices are yuan to the fen: a negative price, a
third decimal or text that is no amount is an error on its cell, and the row is left out while the
others import. Products keep no change history of their own, so every changed field (old → new, the
list price above all) goes into the audit log with the import. Header spellings, Chinese and English,
are data: `data/product_import_aliases.csv`."""
import csv
import math
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import audit
from imports import normalise, sql
from imports.headers import Column
from imports.resources import BulkResource, CleanRow, register
from imports.services import ImportRefused

from . import permissions
from .models import FEN, Product

ALIASES_PATH = Path(__file__).resolve().parent / "data" / "product_import_aliases.csv"
CODE_KEY = "key1"
FIELDS = ("code", "name", "specification", "unit", "category", "list_price", "active", "returnable", "return_days")
TEXT_FIELDS = ("name", "specification", "unit", "category")
REQUIRED_NEW = ("name", "list_price")  # and the code, which every row needs
MODEL_FIELDS = {name: Product._meta.get_field(name) for name in FIELDS}
MAX_PRICE = Decimal(10) ** (MODEL_FIELDS["list_price"].max_digits - MODEL_FIELDS["list_price"].decimal_places)
MAX_RETURN_DAYS = 3650
# Yes/no words product lists use beside 是/否 (imports.normalise.boolean): on sale or not, returnable or not.
BOOLEAN_WORDS = {
    "active": ({"在售", "启用", "上架", "正常", "有效", "销售中"}, {"停售", "停用", "下架", "停产", "无效", "作废"}),
    "returnable": ({"可退", "可退货", "允许", "允许退货", "准许", "批准"}, {"不可退", "不可退货", "不允许", "不准", "不予退货"}),
}
PRICE_NOISE = re.compile(r"[,，\s¥￥]|^(?:rmb|cny)|(?:元|人民币|rmb|cny)$", re.I)
TEN_THOUSAND = re.compile(r"^(.*?)万(?:元|人民币)?$")


@lru_cache(maxsize=1)
def aliases() -> dict[str, tuple[str, ...]]:
    """Field → the header spellings that name it (Chinese and English), from the data file."""
    with ALIASES_PATH.open(encoding="utf-8") as f:
        return {row["code"]: tuple(a for a in row["aliases"].split("|") if a) for row in csv.DictReader(f)}


def clean_price(value) -> str:
    """A list price as the staged data holds it (`"1234.50"`): yuan, fen-exact, not negative.

    `¥1,234.5`, `1234.5元`, `１２３４.５` and `0.3万元` are read; a third decimal is refused, not rounded
    (a price nobody can charge), and so are negative and non-numeric prices, each with its reason."""
    if isinstance(value, bool):
        raise ValidationError(_("“%(value)s” is not a price."), params={"value": normalise.text(value)})
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(_("“%(value)s” is not a price."), params={"value": value})
        number = Decimal(format(value, ".15g"))  # what Excel shows: 15 significant digits, no binary tail
    else:
        raw = normalise.text(value)
        scale = Decimal(1)
        compact = re.sub(r"[,，\s]", "", raw)
        if match := TEN_THOUSAND.match(compact):
            compact, scale = match[1], Decimal(10000)
        try:
            number = Decimal(PRICE_NOISE.sub("", compact)) * scale
        except InvalidOperation:
            raise ValidationError(_("“%(value)s” is not a price; write it in yuan, e.g. 128.50."),
                                  params={"value": raw[:40]}) from None
        if not number.is_finite():
            raise ValidationError(_("“%(value)s” is not a price; write it in yuan, e.g. 128.50."),
                                  params={"value": raw[:40]})
    if number < 0:
        raise ValidationError(_("The price %(value)s is negative; a list price is zero or more."),
                              params={"value": number})
    if number != number.quantize(FEN):
        raise ValidationError(_("The price %(value)s has more than two decimals; prices are in yuan to the fen "
                                "(two decimals)."), params={"value": number})
    if number >= MAX_PRICE:
        raise ValidationError(_("The price %(value)s is too large."), params={"value": number})
    return str(number.quantize(FEN))


def _boolean(code: str):
    yes, no = BOOLEAN_WORDS.get(code, (set(), set()))

    def clean(value) -> bool:
        word = normalise.choice_key(value)
        if word in yes:
            return True
        if word in no:
            return False
        return normalise.boolean(value)
    return clean


def _return_days(value) -> int:
    if isinstance(value, str):
        value = re.sub(r"\s*(?:天|日|days?)$", "", normalise.text(value), flags=re.I)  # `30天`, `7 days`
    days = normalise.integer(value)
    if days < 0:
        raise ValidationError(_("The return window cannot be negative."))
    if days > MAX_RETURN_DAYS:
        raise ValidationError(_("The return window is at most %(days)s days.") % {"days": MAX_RETURN_DAYS})
    return days


def _text(code: str):
    limit = MODEL_FIELDS[code].max_length

    def clean(value) -> str:
        text = normalise.text(value)
        if len(text) > limit:
            raise ValidationError(_("At most %(n)s characters.") % {"n": limit})
        return text
    return clean


CLEANERS = {
    **{code: _text(code) for code in TEXT_FIELDS},
    "list_price": clean_price,
    "active": _boolean("active"),
    "returnable": _boolean("returnable"),
    "return_days": _return_days,
}


def _stored(value):
    """A product's value in the form the staged data holds it, to compare the two."""
    if isinstance(value, Decimal):
        return str(value.quantize(FEN))
    return value


@register
class ProductImportResource(BulkResource):
    key = "products"
    verbose_name = gettext_lazy("products")
    file_keys = (("code", (CODE_KEY,)),)
    customer_options = False  # products belong to no unit and no account manager
    name_label = gettext_lazy("Product")
    header_examples = "产品代码、产品名称、牌价"

    class Meta:
        model = Product
        fields = FIELDS

    def columns(self) -> list[Column]:
        found = aliases()
        cols = []
        for code in FIELDS:
            label = MODEL_FIELDS[code].verbose_name
            spellings = []
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    spellings.append(str(label))
            cols.append(Column(code, capfirst(str(label)), found.get(code, ()) + tuple(spellings)))
        return cols

    def required_columns(self) -> list[str]:
        return ["code"]

    def row_name(self, row) -> str:
        """The code, and the name where the row gives one (an update carries only what changes)."""
        return " ".join(part for part in (row.key1, row.data.get("name", "")) if part)

    def context(self, job) -> dict:
        return {"allowed": permissions.can_manage_products(job.created_by)}

    # --- cleaning: pure Python, no database ---------------------------------------------------------
    def clean_rows(self, rows, ctx) -> list[CleanRow]:
        return [self._clean(row_no, raw, ctx) for row_no, raw in rows]

    def _clean(self, row_no: int, raw: dict, ctx) -> CleanRow:
        row = CleanRow(row_no)
        if not ctx["allowed"]:
            row.errors.append(("code", _("You may not import products.")))
            return row
        values = {}
        for code, value in raw.items():
            if code == "code":
                text = normalise.text(value)
                if len(text) > MODEL_FIELDS["code"].max_length:
                    row.errors.append(("code", _("At most %(n)s characters.") % {"n": MODEL_FIELDS["code"].max_length}))
                row.keys[CODE_KEY] = text[:100]
                continue
            try:
                result = CLEANERS[code](value)
            except ValidationError as exc:
                row.errors.append((code, exc.messages[0]))
                continue
            if result is not None and result != "":
                values[code] = result
        if not row.keys.get(CODE_KEY):
            row.errors.append(("code", _("Each row needs the product code.")))
        if values.get("returnable") is True and values.get("return_days") == 0:
            row.notes.append(("return_days", _("Approved for return, but the return window is 0 days.")))
        row.data = values
        row.status = "new"
        return row

    def needs_database(self, row: CleanRow) -> bool:
        return not row.errors

    def resolve_rows(self, cleaned: list[CleanRow], ctx) -> None:
        """Which product each code names: a known code updates it, an unknown one is new."""
        codes = {row.keys[CODE_KEY] for row in cleaned}
        existing = {p["code"]: p for p in Product.objects.filter(code__in=codes).values("pk", *FIELDS)}
        for row in cleaned:
            product = existing.get(row.keys[CODE_KEY])
            if product is None:
                missing = [code for code in REQUIRED_NEW if code not in row.data]
                row.errors += [(code, _("Required for a new product.")) for code in missing]
                continue
            row.target_id = product["pk"]
            row.data = {code: value for code, value in row.data.items() if _stored(product[code]) != value}
            row.status = "update" if row.data else "unchanged"

    # --- commit -------------------------------------------------------------------------------------
    def commit(self, job, actor, pause: float = 0) -> dict:
        """The staged new and changed products, in the engine's one transaction; every change audited."""
        from imports.models import ImportRow

        if not permissions.can_manage_products(actor):
            raise ImportRefused(_("You may not import products."))
        staged = list(ImportRow.objects.filter(job=job, status__in=("new", "update")).order_by("row_no")
                      .values_list("status", "target_id", "key1", "data"))
        new = [(code, data) for status, _t, code, data in staged if status == "new"]
        updates = {target: data for status, target, _c, data in staged if status == "update"}
        taken = _existing_codes([code for code, _d in new])
        if taken:
            raise ImportRefused(_("Since the preview, products with these codes were added: %(codes)s. Nothing was "
                                  "imported; run the preview again.") % {"codes": "、".join(sorted(taken)[:10])})
        products = Product.objects.select_for_update().in_bulk(list(updates))
        if len(products) < len(updates):
            raise ImportRefused(_("Since the preview, %(n)s of the products in this file were deleted. Nothing was "
                                  "imported; run the preview again.") % {"n": len(updates) - len(products)})
        Product.objects.bulk_create([_product(code, data) for code, data in new], batch_size=500)
        changes, fields = [], set()
        for pk, data in updates.items():
            product = products[pk]
            for code, value in data.items():
                old = getattr(product, code)
                setattr(product, code, MODEL_FIELDS[code].to_python(value))
                fields.add(code)
                changes.append([product.code, code, _audit_value(old), _audit_value(getattr(product, code))])
        if fields:
            _update_from_stage(job, fields)
        if changes:
            # Products have no history table: the audit log keeps who changed which product, when, old → new.
            audit.record("import", actor=actor, subject=(_("Product changes: %(file)s") % {"file": job.original_name}),
                         detail={"job": job.pk, "resource": self.key, "changes": changes,
                                 "prices": sum(1 for change in changes if change[1] == "list_price")})
        return {"created": len(new), "updated": len(updates), "customer_ids": []}


def _update_from_stage(job, fields: set[str]) -> None:
    """One set-based UPDATE from the staged rows (a cell the row leaves out keeps the product's value): Django's
    `bulk_update` builds a CASE per field and row, minutes for a price list of tens of thousands."""
    from imports.models import ImportRow

    stage, table = ImportRow._meta.db_table, Product._meta.db_table
    sets = []
    for name in sorted(fields):
        column = MODEL_FIELDS[name].column
        sets.append(f"{column} = COALESCE({_cast(sql.json_text('s.data', name), MODEL_FIELDS[name])}, {table}.{column})")
    sql.execute(f"UPDATE {table} SET {', '.join(sets)} FROM {stage} s "
                f"WHERE s.job_id = %s AND s.status = 'update' AND {table}.id = s.target_id", [job.pk])


def _cast(expression: str, field) -> str:
    if not sql.postgres():
        return expression
    kind = field.get_internal_type()
    return {"DecimalField": f"({expression})::numeric", "BooleanField": f"({expression})::boolean",
            "PositiveIntegerField": f"({expression})::integer"}.get(kind, expression)


def _existing_codes(codes: list[str]) -> set[str]:
    found = set()
    for start in range(0, len(codes), 900):
        found |= set(Product.objects.filter(code__in=codes[start:start + 900]).values_list("code", flat=True))
    return found


def _product(code: str, data: dict) -> Product:
    return Product(code=code, **{name: MODEL_FIELDS[name].to_python(value) for name, value in data.items()})


def _audit_value(value) -> str:
    if isinstance(value, Decimal):
        return str(value.quantize(FEN))
    return str(value)
