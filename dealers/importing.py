"""The dealer card as an importable resource: one row a dealer, named by its customer code, every card
field of the catalogue as a column (old dealer systems' GBK/GB18030 CSV exports included: the import
engine reads them). Values are normalised (imports.normalise) and checked by the model fields' own
validators and the form's rules. A customer without a card gets one (new), a card is updated with the
cells the file fills (a blank cell never erases); new cards are written with one INSERT … SELECT from
the staged rows, updates in bulk with the per-field history."""
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm import roles as r
from customers import permissions as customer_permissions
from customers.models import Customer, CustomerChange
from customers.policy import visible_customers
from customers.validators import normalise_number
from imports import normalise, sql
from imports.headers import Column
from imports.resources import BulkResource, CleanRow, register
from imports.services import ImportRefused

from .catalogue import CATALOGUE, PERCENT_FIELDS, REQUIRED, WORKFLOW_FIELDS, completeness
from .choice_labels import ZH, choice_label
from .models import Dealer, DealerChange
from .selectors import card_access

CODE_KEY = "key1"
# Cards are imported with what people type; the workflows' fields and the JSON shares are not columns.
IMPORTABLE = tuple(spec for spec in CATALOGUE if spec.code not in WORKFLOW_FIELDS and spec.type != "json")
FIELDS = {f.name: f for f in Dealer._meta.concrete_fields}
REQUIRED_CODES = tuple(spec.code for spec in CATALOGUE.editable() if spec.requirement == REQUIRED and spec.code in FIELDS)
MISSING = "_missing_required"  # carried from cleaning to matching in the staged data, gone after it
ALIASES = {
    "customer_code": ("客户代码", "客户编号", "客户编码", "经销商代码", "经销商编号", "code"),
    "operator_name": ("经营者", "负责人", "老板", "店主"),
    "operator_phone": ("经营者电话", "手机", "联系电话", "电话号码"),
    "operator_address": ("经营者住址", "家庭住址"),
    "monthly_rent": ("月租金", "租金(元)"),
    "franchise_fee": ("加盟费",),
    "contract_no": ("契约编号", "合同编号", "加盟合同编号"),
    "contract_signed_on": ("签约日期", "合同签订日期"),
    "min_floor_area": ("营业面积(平方米)", "面积"),
}
CHOICE_ALIASES = {
    "premises": {"owned": "自有店铺|自购", "rented": "租用|租的|租赁店铺"},
    "organisation": {"sole": "个人独资|独资企业|个体", "partnership": "合伙企业", "joint_stock": "股份|股份有限公司|有限公司"},
    "operator_gender": {"male": "男性|先生|m", "female": "女性|女士|f"},
}


def _cleaner(spec):
    checked = normalise.field_checker(FIELDS[spec.code])
    if spec.type == "choice":
        pairs = []
        for value in spec.choices:
            pairs += [(value, value), (ZH.get(spec.code, {}).get(value, ""), value)]
            with translation.override("en"):
                pairs.append((choice_label(spec.code, value), value))
        for value, spellings in CHOICE_ALIASES.get(spec.code, {}).items():
            pairs += [(s, value) for s in spellings.split("|")]
        lookup, label = normalise.choice_lookup(pairs), str(spec.label)
        return normalise.memoised(lambda v: normalise.choice(v, lookup, label))
    if spec.type == "date":
        return normalise.memoised(lambda v: normalise.date(v).isoformat())
    if spec.type == "bool":
        return normalise.memoised(normalise.boolean)
    if spec.type == "decimal":  # amounts repeat (rents, areas, 万元 figures): cleaned once per value written
        unit = {"min_monthly_revenue": "万元", "min_floor_area": ""}.get(spec.code, "" if spec.code in PERCENT_FIELDS else "元")
        return normalise.memoised(
            lambda v: str(checked(normalise.decimal(v.rstrip("%％") if isinstance(v, str) else v, unit))))
    if spec.type == "int":
        return normalise.memoised(lambda v: checked(normalise.integer(v)))
    if spec.type == "mobile":
        return lambda v: checked(normalise_number(normalise.text(v)))
    return lambda v: checked(normalise.text(v))


# The card fields completeness counts: a cleaned row holds only filled values, so it is the share of these among its keys.
COUNTED = frozenset(spec.code for spec in CATALOGUE.counted_for_completeness())


def _completeness(values: dict) -> int:
    """`catalogue.completeness` of a cleaned row, as a set intersection."""
    return round(100 * len(COUNTED.intersection(values)) / len(COUNTED)) if COUNTED else 100


@register
class DealerImportResource(BulkResource):
    key = "dealers"
    file_keys = (("code", (CODE_KEY,)),)

    class Meta:
        model = Dealer
        fields = tuple(spec.code for spec in IMPORTABLE)

    def columns(self) -> list[Column]:
        cols = [Column("customer_code", _("Customer code"), ALIASES["customer_code"])]
        cols += [Column(s.code, s.label, ALIASES.get(s.code, ()) + (s.label_zh, s.label_en)) for s in IMPORTABLE]
        return cols

    def required_columns(self) -> list[str]:
        return ["customer_code"]

    def context(self, job) -> dict:
        return {"job": job, "actor": job.created_by, "cleaners": {s.code: _cleaner(s) for s in IMPORTABLE}}

    # --- cleaning: pure Python, no database ---------------------------------------------------------
    def clean_rows(self, rows, ctx) -> list[CleanRow]:
        return [self._clean(row_no, raw, ctx) for row_no, raw in rows]

    def _clean(self, row_no: int, raw: dict, ctx) -> CleanRow:
        row = CleanRow(row_no)
        cleaners, values = ctx["cleaners"], {}
        for code, value in raw.items():
            if code == "customer_code":
                row.keys[CODE_KEY] = normalise.text(value).replace(" ", "").upper()[:100]
                continue
            try:
                result = cleaners[code](value)
            except ValidationError as exc:
                row.errors.append((code, exc.messages[0]))
                continue
            if result is not None and result != "":
                values[code] = result
        if not row.keys.get(CODE_KEY):
            row.errors.append(("customer_code", _("Each row needs the customer code of the dealer.")))
        failed = dict(row.errors) if row.errors else {}
        if values.get("premises") == "rented" and "monthly_rent" not in values and "monthly_rent" not in failed:
            row.notes.append(("monthly_rent", _("The premises are rented but the file gives no rent.")))
        values["completeness"] = _completeness(values)
        row.data = values
        row.status = "new"
        if not row.errors:
            missing = [code for code in REQUIRED_CODES if code not in values]
            if missing:
                row.data[MISSING] = missing
        return row

    # --- matching: set-based, after the cleaning process has staged every row ---------------------------
    def resolve_staged(self, job, ctx, staged) -> None:
        """Which customer each code names, whether the importer may edit it, and whether it has a card yet.

        One `UPDATE … FROM` on the staging table matches the codes against the customers the importer sees
        (an invisible one reads like a wrong code). A row stays as the cleaning staged it, a new card, when
        its customer has no card, is not cancelled and the importer may edit every customer it sees (managers);
        the others (no customer, a card to compare, a required field missing, a per-customer permission)
        are read back and judged here, a page at a time."""
        actor = ctx["actor"]
        stage, customers = staged.table, Customer._meta.db_table
        visible, params = visible_customers(actor).values("id", "customer_code", "unit_id").query.sql_with_params()
        sql.execute(
            f"UPDATE {stage} SET target_id = c.id, unit_id = c.unit_id FROM ({visible}) c "
            f"WHERE {stage}.job_id = %s AND {stage}.status = 'new' AND {stage}.{CODE_KEY} = c.customer_code",
            [*params, job.pk])
        managers = actor.is_superuser or r.has_role(actor, r.SALES_MANAGER)
        condition = "s.status = 'new'"
        if managers:
            condition += (
                f" AND (s.target_id IS NULL OR {sql.json_text('s.data', MISSING)} IS NOT NULL"
                f" OR s.target_id IN (SELECT customer_id FROM {Dealer._meta.db_table})"
                f" OR s.target_id IN (SELECT id FROM {customers} WHERE customer_status = 'cancelled'))")
        for rows in staged.pages(condition):
            self._judge(rows, actor, managers)
            staged.replace(rows)

    def _judge(self, rows: list[CleanRow], actor, managers: bool) -> None:
        customers = {c.pk: c for c in Customer.objects.filter(pk__in={row.target_id for row in rows if row.target_id}).only(
            "pk", "customer_code", "unit_id", "account_manager_id", "created_by_id", "customer_status")}
        cards = {d["pk"]: d for d in Dealer.objects.filter(pk__in=customers).values("pk", *(s.code for s in IMPORTABLE))}
        access = card_access(actor, [Dealer(customer=c, pk=c.pk) for c in customers.values() if c.pk in cards])
        for row in rows:
            customer = customers.get(row.target_id)
            row.target_id = row.unit_id = None
            missing = row.data.pop(MISSING, [])
            if customer is None:
                row.errors.append(("customer_code", _("No customer you can see has the code %(code)s.") % {"code": row.keys[CODE_KEY]}))
                continue
            editable = customer.customer_status != "cancelled" and (
                managers or customer_permissions.can_edit(actor, customer))
            if not editable:
                row.errors.append(("customer_code", _("You may not change customer %(code)s.") % {"code": customer.customer_code}))
                continue
            row.target_id, row.unit_id = customer.pk, customer.unit_id
            card = cards.get(customer.pk)
            if card is None:
                row.errors += [(code, _("Required for a new dealer card.")) for code in missing]
                continue
            row.data.pop("completeness")  # an update recomputes it from the whole card
            dealer = Dealer(customer_id=customer.pk, pk=customer.pk)
            for code in [c for c in row.data if not access.can_see(dealer, c)]:
                row.data.pop(code)
                row.notes.append((code, _("Skipped: you may not see this field.")))
            changed = {c: v for c, v in row.data.items() if _json_value(card[c]) != v}
            row.data = changed
            row.status = "update" if changed else "unchanged"

    # --- commit -------------------------------------------------------------------------------------
    def commit(self, job, actor, pause: float = 0) -> dict:
        from imports.models import ImportRow

        stage, table = ImportRow._meta.db_table, Dealer._meta.db_table
        with sql.connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {stage} s JOIN {table} d ON d.customer_id = s.target_id "
                           f"WHERE s.job_id = %s AND (s.status = 'new' OR (s.status IN ('update', 'unchanged') "
                           f"AND d.updated_at > %s))", [job.pk, job.previewed_at])
            clashes = cursor.fetchone()[0]
        if clashes:
            raise ImportRefused(_("Since the preview, %(n)s of the dealer cards in this file were opened or changed. "
                                  "Nothing was imported; run the preview again.") % {"n": clashes})
        now = timezone.now()
        columns, exprs, params = [], [], []
        for field in Dealer._meta.concrete_fields:
            columns.append(field.column)
            if field.name == "customer":
                exprs.append("target_id")
            elif field.name in ("created_at", "updated_at"):
                exprs.append("%s")
                params.append(now)
            elif field.name == "import_job":
                exprs.append("%s")
                params.append(job.pk)
            elif field.name in self.Meta.fields or field.name == "completeness":
                exprs.append(_cast(sql.json_text("data", field.attname), field) if field.null else
                             f"COALESCE({_cast(sql.json_text('data', field.attname), field)}, %s)")
                if not field.null:
                    params.append(field.get_db_prep_save(field.get_default(), sql.connection))
            else:
                exprs.append("%s")
                params.append(None if field.null else field.get_db_prep_save(field.get_default(), sql.connection))
        created = sql.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {stage} "
            f"WHERE job_id = %s AND status = 'new' ORDER BY row_no", [*params, job.pk])
        _make_dealers(job, actor, now)
        updated = self._apply_updates(job, actor, now)
        ids = []
        if created + updated <= 1000:
            ids = list(ImportRow.objects.filter(job=job, status__in=("new", "update")).values_list("target_id", flat=True))
        return {"created": created, "updated": updated, "customer_ids": ids}

    def _apply_updates(self, job, actor, now) -> int:
        from imports.models import ImportRow

        rows = ImportRow.objects.filter(job=job, status="update").order_by("row_no").values_list("target_id", "data")
        batch, updated = [], 0
        for item in rows.iterator(chunk_size=1000):
            batch.append(item)
            if len(batch) >= 1000:
                updated += _update_batch(batch, actor, now)
                batch = []
        if batch:
            updated += _update_batch(batch, actor, now)
        return updated


def _make_dealers(job, actor, now) -> None:
    """The customers given a card become dealers (profile), each change in the customer's history: two
    set-based statements, as `CustomerQuerySet.update` would do row by row."""
    from imports.models import ImportRow

    stage, customers, history = ImportRow._meta.db_table, Customer._meta.db_table, CustomerChange._meta.db_table
    chosen = (f"SELECT target_id FROM {stage} WHERE job_id = %s AND status = 'new'")
    sql.execute(
        f"INSERT INTO {history} (customer_id, field, old_value, new_value, actor_id, at, source) "
        f"SELECT id, 'profile_type', profile_type, %s, %s, %s, %s FROM {customers} "
        f"WHERE id IN ({chosen}) AND profile_type <> %s",
        [Customer.Profile.DEALER, actor.pk, now, CustomerChange.Source.BULK, job.pk, Customer.Profile.DEALER])
    # updated_at is left alone: it is in five of the table's indexes, and an update that touches no indexed
    # column is a cheap in-place (HOT) update; the history row above says when and by whom.
    sql.execute(f"UPDATE {customers} SET profile_type = %s WHERE id IN ({chosen}) AND profile_type <> %s",
                [Customer.Profile.DEALER, job.pk, Customer.Profile.DEALER])


def _update_batch(batch, actor, now) -> int:
    dealers = Dealer.objects.select_for_update().in_bulk([t for t, _d in batch])
    changes, fields, changed = [], set(), []
    for target_id, data in batch:
        dealer = dealers.get(target_id)
        if dealer is None:
            continue
        for code, value in data.items():
            field = FIELDS[code]
            old = getattr(dealer, code)
            setattr(dealer, code, field.to_python(value))
            fields.add(code)
            changes.append(DealerChange(dealer=dealer, field=code, old_value="" if old is None else str(old),
                                        new_value=str(getattr(dealer, code)), actor=actor, at=now))
        dealer.completeness = completeness(dealer.is_filled)
        dealer.updated_at = now
        changed.append(dealer)
    Dealer.objects.bulk_update(changed, sorted(fields | {"completeness", "updated_at"}), batch_size=500)
    DealerChange.objects.bulk_create(changes, batch_size=1000)
    return len(changed)


def _cast(expression: str, field) -> str:
    if not sql.postgres():
        return expression
    kind = field.get_internal_type()
    if kind in ("IntegerField", "PositiveSmallIntegerField"):
        return f"({expression})::integer"
    return {"DateField": f"({expression})::date", "DecimalField": f"({expression})::numeric",
            "BooleanField": f"({expression})::boolean"}.get(kind, expression)


def _json_value(value):
    """A card value in the form the staged data holds it, to compare the two."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    return value
