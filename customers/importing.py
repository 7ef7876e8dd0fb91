"""The customer archive as an importable resource: the whole catalogue plus unit and profile columns.

Every value is normalised (imports.normalise), then checked by the model field's own validators, the
same ones the forms run, and by the form's cross-field rules (ID number against gender and birth
date, required fields for active customers, fields that do not apply are dropped). New rows are
written with one INSERT … SELECT per unit from the staged rows; updates go through `bulk_update`,
which keeps the per-field history."""
import csv
import re
import time
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache

import time
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.actor import acting_as
from crm.models import OrgUnit, display_name
from imports import normalise, sql
from imports import permissions as import_permissions
from imports.headers import Column
from imports.resources import BulkResource, CleanRow, DefaultField, Target, register
from imports.services import ImportRefused

from . import permissions, policy
from .catalogue import CATALOGUE, CSV_PATH, REQUIRED
from .choice_labels import ZH, ZH_BY_FIELD, choice_label, choices_for
from .models import TIER_CONFIDENTIALITY, Customer, kinds_of, name_key
from .regions import current_divisions, region_label
from .services import CODE_DIGITS, approval_values, reserve_codes
from .validators import id_number_gender, id_number_warning, normalise_number

ALIASES_PATH = CSV_PATH.parent / "import_aliases.csv"
# Spellings offices use for choices, beyond the code and the Chinese and English labels (`来电`, `个体`, `重要客户`).
SYNONYMS_PATH = CSV_PATH.parent / "choice_synonyms.csv"
NOT_IMPORTED = {"photo", "json", "code"}
# Every catalogue field people type, plus the customer code (to update) and the account manager.
IMPORTABLE = frozenset(
    {"customer_code", "account_manager"} | {s.code for s in CATALOGUE if s.editable and s.type not in NOT_IMPORTED}
)
# The import staging table's generic key slots (imports.models.ImportRow.KEY_COLUMNS) as customers uses them.
CODE_KEY, MOBILE_KEY, ID_KEY, USCC_KEY, NAME_KEY, REGION_KEY = "key1", "key2", "key3", "key4", "key5", "key6"
KEY_FIELDS = {"customer_code": CODE_KEY, "mobile": MOBILE_KEY, "id_number": ID_KEY, "unified_social_credit_code": USCC_KEY}
PROFILE_LABELS = {"none": ("普通客户", "Ordinary customer"), "retail": ("零售户", "Retail store"), "dealer": ("经销商", "Dealer")}
# Required fields the options step offers a default for, when the file lacks them (issue 13 §3). Not the
# mobile (a duplicate key), nor the level (it follows the tier), nor the name (every row needs its own).
DEFAULTABLE = ("admin_region", "customer_nature", "customer_source", "tier", "contact_name", "address")
# Lowest first: an import may raise a customer's level, never lower it (that needs the marketing head).
LEVEL_ORDER = ("internal", "confidential", "secret")


def _aliases() -> dict[str, tuple[str, ...]]:
    with ALIASES_PATH.open(encoding="utf-8") as f:
        return {row["code"]: tuple(a for a in row["aliases"].split("|") if a) for row in csv.DictReader(f)}


@lru_cache(maxsize=1)
def choice_synonyms() -> dict[str, list[tuple[str, str]]]:
    """Field code → [(spelling, choice value)], from the catalogue's data."""
    found: dict[str, list[tuple[str, str]]] = {}
    with SYNONYMS_PATH.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            found.setdefault(row["field"], []).extend((s, row["value"]) for s in row["synonyms"].split("|") if s)
    return found


@register
class CustomerImportResource(BulkResource):
    key = "customers"
    duplicate_keys = (
        ("mobile", ((MOBILE_KEY, "mobile"),)),
        ("id_number", ((ID_KEY, "id_number"),)),
        ("uscc", ((USCC_KEY, "unified_social_credit_code"),)),
        ("name", ((NAME_KEY, "name_key"), (REGION_KEY, "admin_region"))),
    )
    file_keys = (
        ("code", (CODE_KEY,)),
        ("mobile", (MOBILE_KEY,)),
        ("id_number", (ID_KEY,)),
        ("uscc", (USCC_KEY,)),
        ("name", (NAME_KEY, REGION_KEY)),
    )

    class Meta:
        model = Customer
        fields = tuple(s.code for s in CATALOGUE if s.code in IMPORTABLE)

    # --- columns ------------------------------------------------------------------------------------
    @cached_property
    def _alias_table(self):
        return _aliases()

    def columns(self) -> list[Column]:
        aliases = self._alias_table
        specs = [s for s in CATALOGUE if s.code in IMPORTABLE]
        cols = [Column(s.code, s.label, aliases.get(s.code, ()) + (s.label_zh, s.label_en)) for s in specs]
        cols.append(Column("unit", _("Unit (code or name)"), aliases.get("unit", ()) + ("unit",)))
        cols.append(Column("profile_type", _("Profile (ordinary, retail, dealer)"), aliases.get("profile_type", ())))
        return cols

    def required_columns(self) -> list[str]:
        return ["name"]

    def existing_filter_sql(self) -> str:
        return "c.customer_status <> 'cancelled'"

    # --- defaults for empty cells ---------------------------------------------------------------------
    def default_fields(self, job) -> list[DefaultField]:
        from django.db.models import Count
        from django.urls import reverse

        fields = []
        for code in DEFAULTABLE:
            spec = CATALOGUE[code]
            if spec.type == "choice":
                fields.append(DefaultField(code, spec.label, choices=tuple(choices_for(code, spec.choices))))
            elif spec.type == "region":
                usual = []
                if job.unit_id:
                    usual = (Customer.objects.filter(unit_id=job.unit_id).exclude(admin_region="").order_by()
                             .values_list("admin_region").annotate(n=Count("pk")).order_by("-n")[:5])
                fields.append(DefaultField(
                    code, spec.label, lookup_url=reverse("customers:regions"),
                    suggestions=tuple((region, f"{region} {region_label(region)}") for region, _n in usual),
                    help=_("A district name or its 6-digit code, e.g. 黄浦区 or 310101."),
                ))
            else:
                fields.append(DefaultField(code, spec.label))
        return fields

    def clean_default(self, code: str, value: str):
        if code not in DEFAULTABLE:
            raise ValidationError(_("This field takes no default."))
        text = str(value).strip()
        if CATALOGUE[code].type == "region":
            text = text.split(" ", 1)[0]  # "310101 上海市 黄浦区" as the suggestions write it
        return self._cleaners()[code](text)

    def describe_default(self, code: str, value) -> str:
        spec = CATALOGUE.by_code.get(code)
        if spec is None:
            return str(value)
        if spec.type == "choice":
            return choice_label(code, value)
        if spec.type == "region":
            return f"{value} {region_label(value)}"
        return str(value)

    # --- cleaning -----------------------------------------------------------------------------------
    def context(self, job) -> dict:
        actor = job.created_by
        User = get_user_model()
        users, seen = {}, {}
        for user in User.objects.filter(is_active=True).only("id", "username", "first_name", "last_name"):
            for spelling in {user.username.lower(), display_name(user), f"{user.first_name}{user.last_name}".strip()}:
                if spelling:
                    seen[spelling] = seen.get(spelling, 0) + 1
                    users[spelling] = user.pk
        ambiguous = {k for k, n in seen.items() if n > 1}
        allowed_units = set(import_permissions.import_units(actor).values_list("pk", flat=True))
        units = {}
        for unit in OrgUnit.objects.filter(is_active=True):
            for spelling in (unit.code.lower(), unit.name, normalise.text(unit.name)):
                units[spelling] = unit.pk
        return {
            "job": job, "actor": actor, "users": users, "ambiguous": ambiguous, "units": units,
            "allowed_units": allowed_units, "active": job.mode == "active", "today": timezone.localdate().isoformat(),
            "cleaners": self._cleaners(job.value_map), "fields": {f.name: f for f in Customer._meta.concrete_fields},
            "defaults": {code: (value, _("%(field)s was empty: the default “%(value)s” was used.") % {
                "field": CATALOGUE[code].label, "value": self.describe_default(code, value)})
                for code, value in (job.defaults or {}).items() if code in DEFAULTABLE},
        }

    def _cleaners(self, value_map: dict | None = None) -> dict:
        """`value_map`: the importer's own words for choices, {field code: {sheet value: choice or ""}}."""
        value_map = value_map or {}
        cleaners = {}
        for spec in CATALOGUE:
            if spec.code in IMPORTABLE:
                cleaners[spec.code] = _cleaner_for(spec, value_map.get(spec.code))
        cleaners["profile_type"] = _memo(_choice_cleaner("profile_type", list(PROFILE_LABELS), _("Profile"),
                                                         value_map.get("profile_type")))
        return cleaners

    def choice_fields(self) -> dict[str, tuple[str, list[tuple[str, str]], bool]]:
        specs = [s for s in CATALOGUE if s.code in IMPORTABLE and s.type == "choice"]
        fields = {s.code: (str(s.label), [(v, choice_label(s.code, v)) for v in s.choices], s.requirement != REQUIRED)
                  for s in specs}
        labels = "zh" if (translation.get_language() or "zh-hans").startswith("zh") else "en"
        fields["profile_type"] = (str(_("Profile")), [(v, PROFILE_LABELS[v][0 if labels == "zh" else 1])
                                                       for v in PROFILE_LABELS], False)
        return fields

    def clean_rows(self, rows, ctx) -> list[CleanRow]:
        return [self._clean(row_no, raw, ctx) for row_no, raw in rows]

    def needs_database(self, row: CleanRow) -> bool:
        return bool(row.keys.get(CODE_KEY)) and not row.errors

    def resolve_rows(self, cleaned: list[CleanRow], ctx) -> None:
        self._match_codes([c for c in cleaned if self.needs_database(c)], ctx)

    def _clean(self, row_no: int, raw: dict, ctx) -> CleanRow:
        row = CleanRow(row_no)
        cleaners, values, errors = ctx["cleaners"], {}, row.errors
        raw = dict(raw)
        if "mobile" in raw:
            _route_phone(raw)
        for code, value in raw.items():
            if code in ("unit", "account_manager", "phone_order_clerk", "delivery_person", "service_staff", "licence_officer"):
                continue
            try:
                result = cleaners[code](value)
            except ValidationError as exc:
                errors.append((code, exc.messages[0]))
                if exc.code == "choice":
                    row.unknown.append((code, normalise.text(value)[:100]))
                continue
            if result is not None and result != "":
                values[code] = result
        for code in ("account_manager", "phone_order_clerk", "delivery_person", "service_staff", "licence_officer"):
            if code in raw:
                found = _staff(raw[code], ctx)
                if isinstance(found, str):
                    errors.append((code, found))
                else:
                    values[code + "_id"] = found
        # An update derives nothing yet: the ID number may be a field the importer may not see (_match_codes).
        self._cross_checks(values, errors, derive=not values.get("customer_code"))
        code = values.pop("customer_code", "")
        if not code and not values.get("name") and "name" not in dict(errors):
            errors.append(("name", _("A customer needs a name.")))
        if code:
            row.keys[CODE_KEY] = code
            row.status = "update"
            row.data = values
            return row
        # A new customer: where it belongs, who owns it, and what the system derives.
        if "unit" in raw:
            unit_id = ctx["units"].get(normalise.text(raw["unit"]).lower()) or ctx["units"].get(normalise.text(raw["unit"]))
            if unit_id is None:
                errors.append(("unit", _("No unit is called “%(value)s”.") % {"value": normalise.text(raw["unit"])[:40]}))
            elif unit_id not in ctx["allowed_units"]:
                errors.append(("unit", _("You may not import into this unit.")))
            row.unit_id = unit_id
        else:
            row.unit_id = ctx["job"].unit_id
        if "account_manager_id" not in values and ctx["job"].owner_id:
            values["account_manager_id"] = ctx["job"].owner_id
        values.setdefault("registered_on", ctx["today"])
        values.setdefault("profile_type", "none")
        if not values.get("customer_nature") and "customer_nature" not in dict(errors):
            # No 客户性质 column: an ID number (or a gender, a birth date) says it is a person, a credit
            # code a company; else the ID columns would be dropped as "not applying".
            if values.get("id_number") or values.get("gender") or values.get("birth_date"):
                values["customer_nature"] = "individual"
            elif values.get("unified_social_credit_code"):
                values["customer_nature"] = "company"
        if ctx["defaults"]:
            failed = dict(errors)
            for field_code, (default, note) in ctx["defaults"].items():
                if values.get(field_code) in (None, "") and field_code not in failed:  # an empty cell, never a wrong one
                    values[field_code] = default
                    row.notes.append((field_code, note))
        values.setdefault("customer_source", "legacy_import")
        if values.get("tier") and not values.get("confidentiality_level"):
            values["confidentiality_level"] = TIER_CONFIDENTIALITY.get(values["tier"], "internal")
        kinds = kinds_of(values.get("customer_nature", ""), values["profile_type"])
        for spec_code in _not_applying(kinds).intersection(values):
            values.pop(spec_code)  # a field that does not apply to this kind of customer is dropped, as the form does
        if ctx["active"]:
            for spec in CATALOGUE.editable():
                if spec.requirement == REQUIRED and spec.applies(kinds) and not values.get(spec.code) \
                        and spec.code not in dict(errors):
                    errors.append((spec.code, _("Required for an active customer.")))
            if values.get("customer_nature") == "individual" and not values.get("gender") and "gender" not in dict(errors):
                errors.append(("gender", _("Gender is required for an individual customer.")))
        _id_warning(row, values)
        values["name_key"] = name_key(values.get("name", ""))
        values["id_last4"] = values.get("id_number", "")[-4:]
        values["profile_completeness"] = _completeness(kinds, values)
        row.data = values
        hard = False
        for code, key in KEY_FIELDS.items():
            if code != "customer_code" and values.get(code):
                row.keys[key] = values[code]
                hard = True
        if not hard and values["name_key"]:
            row.keys[NAME_KEY], row.keys[REGION_KEY] = values["name_key"][:100], values.get("admin_region", "")
        return row

    @staticmethod
    def _cross_checks(values: dict, errors: list, derive: bool = True) -> None:
        """The form's rules: the ID number decides birth date and gender, and must agree with them."""
        id_number = values.get("id_number")
        if not id_number:
            return
        birth = f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"  # validated: a real date
        if values.get("birth_date") and values["birth_date"] != birth:
            errors.append(("birth_date", _("The date of birth does not agree with the ID number (%(date)s).") % {"date": birth}))
        gender = id_number_gender(id_number)
        if values.get("gender") and values["gender"] != gender:
            errors.append(("gender", _("The gender does not agree with the ID number.")))
        if derive:
            values.setdefault("birth_date", birth)
            values.setdefault("gender", gender)

    def _match_codes(self, rows: list[CleanRow], ctx) -> None:
        """Rows with a customer code update that customer: only if the importer may edit it, and
        only the cells the file fills (a blank cell never erases a value). A field the importer may
        not see is skipped before any comparison, with the same note whatever the customer holds:
        neither the result nor the commit may tell a right guess from a wrong one."""
        if not rows:
            return
        actor = ctx["actor"]
        found = {c.customer_code: c for c in Customer.objects.filter(customer_code__in={r.keys[CODE_KEY] for r in rows})
                 .select_related("unit", "account_manager")}
        editable = {}
        for row in rows:
            customer = found.get(row.keys[CODE_KEY])
            if customer is None:
                row.errors.append(("customer_code", _("No customer has the code %(code)s; leave the code empty for new customers.")
                                   % {"code": row.keys[CODE_KEY]}))
                continue
            if customer.pk not in editable and not permissions.can_edit(actor, customer):
                row.errors.append(("customer_code", _("You may not change customer %(code)s (account manager: %(owner)s).")
                                   % {"code": customer.customer_code, "owner": display_name(customer.account_manager) or "—"}))
                continue
            editable[customer.pk] = customer
        access = policy.field_access(actor, editable.values())
        for row in rows:
            customer = found.get(row.keys[CODE_KEY])
            if row.errors or customer is None:
                continue
            for code in [c for c in row.data if c not in ctx["fields"] and not c.endswith("_id")]:
                row.data.pop(code)  # unit and profile columns never move an existing customer
            for code in [c for c in row.data if not access.can_see(customer, c)]:
                row.data.pop(code)
                row.notes.append((code, _("Skipped: you may not see this field.")))
            if "id_number" in row.data:
                self._cross_checks(row.data, row.errors)  # only now: the birth date and gender it implies
                _id_warning(row, row.data)
            level = row.data.get("confidentiality_level")
            if level and _level_rank(level) < _level_rank(customer.confidentiality_level):
                row.errors.append(("confidentiality_level", _(
                    "An import cannot lower the confidentiality level (now “%(level)s”): lowering it needs the "
                    "marketing head's approval. Leave this cell empty, or ask for the change on the customer's page.")
                    % {"level": choice_label("confidentiality_level", customer.confidentiality_level)}))
                continue
            changed = [c for c, v in row.data.items() if _json_value(getattr(customer, ctx["fields"][c].attname if c in ctx["fields"] else c)) != v]
            row.target_id = customer.pk
            row.data = {c: row.data[c] for c in changed}
            row.status = "update" if changed else "unchanged"

    # --- commit -------------------------------------------------------------------------------------
    def duplicate_targets(self, viewer, ids: set[int]) -> dict[int, Target]:
        seen = set(policy.visible_customers(viewer).filter(pk__in=ids).values_list("pk", flat=True))
        targets = {}
        for customer in Customer.objects.filter(pk__in=ids).select_related("account_manager").only(
                "pk", "customer_code", "name", "account_manager__first_name", "account_manager__last_name",
                "account_manager__username"):
            owner = display_name(customer.account_manager)
            if customer.pk in seen:
                targets[customer.pk] = Target(True, customer.customer_code or "", customer.name, owner)
            else:
                targets[customer.pk] = Target(False, owner=owner)
        return targets

    def commit(self, job, actor, pause: float = 0) -> dict:
        from imports.models import ImportRow

        stage, table = ImportRow._meta.db_table, Customer._meta.db_table
        self._refuse_if_stale(job, stage, table)
        now, today = timezone.now(), timezone.localdate()
        created = 0
        unit_ids = set(ImportRow.objects.filter(job=job, status="new").order_by().values_list("unit_id", flat=True).distinct())
        for unit_id in sorted(unit_ids):
            count = ImportRow.objects.filter(job=job, status="new", unit_id=unit_id).count()
            code_sql, code_params = "NULL", []
            if job.mode == "active":
                prefix, base = reserve_codes(OrgUnit.objects.get(pk=unit_id), count)
                code_sql = "%s || " + sql.zero_padded(f"{int(base)} + ROW_NUMBER() OVER (ORDER BY row_no)", CODE_DIGITS)
                code_params = [prefix]
            columns, exprs, params = self._insert_columns(job, actor, now, today, code_sql, code_params)
            created += sql.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM {stage} "
                f"WHERE job_id = %s AND status = 'new' AND unit_id = %s ORDER BY row_no",
                [*params, job.pk, unit_id],
            )
            if pause:
                time.sleep(pause)
        updated = self._apply_updates(job, actor, now)
        ids = []
        if created + updated <= 1000:
            ids = list(Customer.objects.filter(import_job=job).values_list("pk", flat=True))
            ids += list(ImportRow.objects.filter(job=job, status="update").values_list("target_id", flat=True))
        return {"created": created, "updated": updated, "customer_ids": ids}

    def _refuse_if_stale(self, job, stage: str, table: str) -> None:
        """What the preview accepted must still hold: no one registered the same customer since,
        and no customer to update was changed since."""
        clashes = 0
        for _name, pairs in self.duplicate_keys:
            joined = " AND ".join(f"c.{m} = s.{s_}" for s_, m in pairs)
            present = " AND ".join(f"s.{s_} <> ''" for s_, _m in pairs)
            with sql.connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT COUNT(*) FROM {stage} s JOIN {table} c ON {joined} "
                    f"WHERE s.job_id = %s AND s.status = 'new' AND {present} AND {self.existing_filter_sql()}", [job.pk])
                clashes += cursor.fetchone()[0]
        with sql.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {stage} s JOIN {table} c ON c.id = s.target_id "
                f"WHERE s.job_id = %s AND s.status IN ('update', 'unchanged') AND c.updated_at > %s", [job.pk, job.previewed_at])
            changed = cursor.fetchone()[0]
        if clashes or changed:
            raise ImportRefused(
                _("Since the preview, %(clashes)s rows have come to repeat customers registered meanwhile and "
                  "%(changed)s customers to update were changed. Nothing was imported; run the preview again.")
                % {"clashes": clashes, "changed": changed}
            )

    def _insert_columns(self, job, actor, now, today, code_sql, code_params):
        fixed = {
            "unit_id": ("unit_id", []),
            "registration_status": ("%s", [Customer.Registration.DRAFT]),
            "customer_code": (code_sql, code_params),
            "customer_status": ("%s", [""]),
            "created_by_id": ("%s", [actor.pk]),
            "created_at": ("%s", [now]),
            "updated_at": ("%s", [now]),
            "import_job_id": ("%s", [job.pk]),
            "import_row": ("row_no", []),
            "last_verified_on": ("%s", [None]),
            "static_reviewed_on": ("%s", [None]),
        }
        if job.mode == "active":  # "directly active" rows get what an approval sets, from the same function
            fixed.update({name: ("%s", [value]) for name, value in approval_values(today).items()})
        producible = set(self._cleaners()) | {"name_key", "id_last4", "profile_completeness", "registered_on",
                                              "customer_source", "confidentiality_level", "birth_date", "gender"}
        columns, exprs, params = [], [], []
        for field in Customer._meta.concrete_fields:
            if field.primary_key:
                continue
            columns.append(field.column)
            if field.attname in fixed:
                expr, p = fixed[field.attname]
                exprs.append(expr)
                params.extend(p)
                continue
            name = field.name
            if name in producible or (field.is_relation and name in self._cleaners()):
                extracted = _cast(sql.json_text("data", field.attname), field)
                if field.null:
                    exprs.append(extracted)
                else:
                    exprs.append(f"COALESCE({extracted}, %s)")
                    params.append(field.get_db_prep_save(field.get_default(), sql.connection))
            else:
                exprs.append("%s")
                params.append(field.get_db_prep_save(field.get_default(), sql.connection) if not field.null else None)
        return columns, exprs, params

    def _apply_updates(self, job, actor, now) -> int:
        from imports.models import ImportRow

        updated = 0
        rows = ImportRow.objects.filter(job=job, status="update").order_by("row_no").values_list("target_id", "data")
        batch = []
        with acting_as(actor):
            for target_id, data in rows.iterator(chunk_size=1000):
                batch.append((target_id, data))
                if len(batch) >= 1000:
                    updated += _update_batch(batch, now, actor)
                    batch = []
            if batch:
                updated += _update_batch(batch, now, actor)
        return updated


def _update_batch(batch, now, actor) -> int:
    """The owner goes through `change_owner` (history and timeline like every other path), the rest in bulk."""
    from .services import change_owner

    customers = Customer.objects.select_for_update().in_bulk([t for t, _d in batch])
    fields = set()
    changed = []
    new_owners: dict = {}
    for target_id, data in batch:
        customer = customers.get(target_id)
        if customer is None:
            continue
        for key, value in data.items():
            field = Customer._meta.get_field(key[:-3] if key.endswith("_id") and key[:-3] in FIELD_NAMES else key)
            if field.name == "account_manager":
                new_owners.setdefault(field.to_python(value), []).append(target_id)
                continue
            setattr(customer, field.attname, field.to_python(value))
            fields.add(field.name)
        customer.refresh_derived()
        customer.updated_at = now
        changed.append(customer)
    if changed:
        Customer.objects.bulk_update(changed, sorted(fields | {"name_key", "id_last4", "profile_completeness",
                                                                "confidentiality_level", "updated_at"}), batch_size=500)
    for owner_id, ids in new_owners.items():
        change_owner(ids, owner_id, actor=actor, via="import")
    return len(changed)


# The unit each amount is kept in, so `3万元` in a field kept in 元 is 30000 (see normalise.decimal).
DECIMAL_UNITS = {"registered_capital": "万元", "monthly_sales_estimate": "元", "purchase_amount": "元",
                 "cumulative_amount": "元"}
FIELD_NAMES = {f.name for f in Customer._meta.concrete_fields}


def _cast(expression: str, field) -> str:
    if not sql.postgres():
        return expression
    kind = field.get_internal_type()
    if field.is_relation or kind in ("BigIntegerField", "IntegerField", "PositiveIntegerField"):
        return f"({expression})::bigint" if field.is_relation else f"({expression})::integer"
    return {"DateField": f"({expression})::date", "DecimalField": f"({expression})::numeric",
            "BooleanField": f"({expression})::boolean"}.get(kind, expression)


def _level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else -1


def _json_value(value):
    """A model value in the form the staged data holds it, to compare the two."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    return value


@lru_cache(maxsize=64)
def _counted(kinds: frozenset) -> frozenset:
    return frozenset(spec.code for spec in CATALOGUE.counted_for_completeness(kinds))


def _completeness(kinds: frozenset, values: dict) -> int:
    """`models.completeness` of a cleaned row: only the counted fields the row holds are looked at."""
    counted = _counted(kinds)
    if not counted:
        return 0
    return round(100 * sum(1 for code in counted.intersection(values) if values[code] not in (None, "")) / len(counted))


@lru_cache(maxsize=64)
def _not_applying(kinds: frozenset) -> frozenset:
    return frozenset(spec.code for spec in CATALOGUE if not spec.applies(kinds))


def _id_warning(row: CleanRow, values: dict) -> None:
    """A valid ID number whose county the division table does not know: imported, with a note in the report."""
    if values.get("id_number") and (warning := id_number_warning(values["id_number"])):
        row.notes.append(("id_number", warning))


def _staff(value, ctx):
    spelling = normalise.text(value)
    key = spelling.lower() if spelling.lower() in ctx["users"] else spelling
    if key in ctx["ambiguous"]:
        return _("Two staff members are called “%(name)s”; write the username instead.") % {"name": spelling[:40]}
    found = ctx["users"].get(key)
    if found is None:
        return _("No active staff member is called “%(name)s”.") % {"name": spelling[:40]}
    return found


def _route_phone(raw: dict) -> None:
    """`联系电话` columns hold mobiles and landlines alike, sometimes both (`13800138000/021-1234567`):
    a landline goes to the landline field when the sheet has no landline column of its own."""
    value = raw["mobile"]
    if isinstance(value, (int, float)):
        return
    parts = [p for p in normalise.text(value).replace("／", "/").replace("、", "/").replace(";", "/").replace("；", "/").split("/") if p.strip()]
    numbers = [normalise_number(p) for p in parts]
    mobiles = [n for n in numbers if n.startswith("1")]
    landlines = [n for n in numbers if n.startswith("0")]
    if landlines and "landline" not in raw and len(mobiles) + len(landlines) == len(numbers):
        raw["landline"] = landlines[0]
        if mobiles:
            raw["mobile"] = mobiles[0]
        else:
            raw.pop("mobile")
    elif len(mobiles) > 1 and len(mobiles) == len(numbers):
        raw["mobile"] = mobiles[0]


# --- cleaners per catalogue type --------------------------------------------------------------------

def _memo(fn, limit: int = 50_000):
    """Cache for columns with few distinct values (choices, regions, dates written as text)."""
    cache: dict = {}

    def cached(value):
        key = (type(value), value)
        try:
            hit = cache[key]
        except KeyError:
            try:
                hit = (True, fn(value))
            except ValidationError as exc:
                hit = (False, exc)
            except TypeError:
                return fn(value)
            if len(cache) < limit:
                cache[key] = hit
        if hit[0]:
            return hit[1]
        raise hit[1].with_traceback(None)  # re-raised as it is, it would keep every earlier raise's frames

    return cached


def _run_validators(field, value) -> None:
    for validator in field.validators:
        validator(value)


def _cleaner_for(spec, value_map: dict | None = None):
    field = Customer._meta.get_field(spec.code)
    check = normalise.field_checker(field)
    t = spec.type
    if t == "choice":
        return _memo(_choice_cleaner(spec.code, spec.choices, spec.label, value_map))
    if t == "date":
        return _memo(lambda v: normalise.date(v).isoformat())
    if t == "bool":
        return _memo(normalise.boolean)
    if t == "decimal":
        unit = DECIMAL_UNITS.get(spec.code, "")

        def clean_decimal(v):
            number = normalise.decimal(v, unit)
            check(number)
            return str(number)
        return clean_decimal
    if t == "int":
        def clean_int(v):
            number = normalise.integer(v)
            check(number)
            return number
        return clean_int
    if t == "region":
        return _memo(_region)
    if t == "code":  # `sh01－000123` → `SH01-000123`: the dash is part of a customer code
        return lambda v: re.sub(r"[\s]+", "", re.sub(r"[‐‑–—－_]", "-", normalise.text(v))).upper()
    if t == "user":
        return lambda v: v  # resolved against the staff list per import
    if t in ("mobile", "landline", "idcard", "uscc", "bank_account", "geo"):
        def clean_number(v):
            if t in ("idcard", "bank_account") and isinstance(v, float) and abs(v) >= 1e15:
                raise ValidationError(_("Excel stored this number as a number and kept only 15 digits; "
                                        "format the column as text and type the number again."), code="digits")
            value = normalise_number(normalise.text(v))
            check(value)
            return value
        return clean_number
    if t == "email":
        def clean_email(v):
            value = normalise.text(v)
            check(value)
            return value
        return clean_email

    def clean_text(v):
        value = normalise.text(v)
        if spec.code == "postal_code":
            value = value.replace(" ", "")
        check(value)
        return value
    return clean_text


def _choice_cleaner(code: str, choices, label, value_map: dict | None = None):
    """Codes, labels in both languages and the catalogue's synonyms, then the importer's value map (which
    may send a value to a choice or to "" for blank, and wins over the rest)."""
    pairs = []
    for value in choices:
        pairs += [(value, value), (ZH_BY_FIELD.get((code, value)) or ZH.get(value, ""), value)]
        for language in ("zh-hans", "en"):
            with translation.override(language):
                pairs.append((choice_label(code, value), value))
        if code == "profile_type":
            pairs += [(spelling, value) for spelling in PROFILE_LABELS[value]]
    pairs += choice_synonyms().get(code, [])
    lookup = normalise.choice_lookup(pairs)
    lookup.update({normalise.choice_key(spelling): value for spelling, value in (value_map or {}).items()
                   if value == "" or value in choices})
    return lambda v: normalise.choice(v, lookup, str(label))


def _region(value) -> str:
    """A 6-digit division code, or a place name that names one division (`上海市黄浦区`, `黄浦区`)."""
    text = normalise_number(normalise.text(value))
    if text.isdigit():
        field = Customer._meta.get_field("admin_region")
        _run_validators(field, text)
        return text
    name = normalise.text(value).replace(" ", "")
    matches = [code for code, label in current_divisions() if label.replace(" ", "").endswith(name) or label.replace(" ", "") == name]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise ValidationError(_("“%(value)s” names several regions; write the 6-digit division code."), code="region",
                              params={"value": name[:40]})
    raise ValidationError(_("Choose a valid administrative region (6-digit division code)."), code="region")

