"""Reads: the dealers a user sees (through the customers' policy) and the card as that user may see it."""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import QuerySet

from customers.policy import FieldAccess, field_access, queue_reach, queue_view, visible_customers

from .catalogue import CATALOGUE, GRANT_ONLY_FIELDS, SENSITIVE_FIELDS
from .choice_labels import choice_label
from .models import CreditGradeRule, CreditPolicy, CreditProposal, Dealer, HqShareCheck, PlanLine

ZERO = Decimal("0")
FEN = Decimal("0.01")
HUNDRED_D = Decimal("100")

MASK = "****"
# A grant naming the customer's field covers the card's field of the same kind.
GRANT_ALIASES = {"operator_phone": "mobile", "operator_address": "home_address", "bank_relations": "bank_account"}


def visible_dealers(user) -> QuerySet:
    return Dealer.objects.filter(customer__in=visible_customers(user).values("pk")).select_related("customer")


@dataclass
class CardAccess:
    """The customers' field access, read for the card's own sensitive fields: owners and co-owners
    see them, like anyone holding a grant that names the field; a grant-only field needs the grant."""

    access: FieldAccess

    def can_see(self, dealer: Dealer, code: str) -> bool:
        if code not in SENSITIVE_FIELDS:
            return True
        names = self.access.granted.get(dealer.pk, set())
        granted = code in names or GRANT_ALIASES.get(code) in names
        if code in GRANT_ONLY_FIELDS:
            return granted
        return granted or dealer.pk in self.access.owned


def card_access(user, dealers) -> CardAccess:
    dealers = list(dealers)
    return CardAccess(field_access(user, [d.customer for d in dealers]))


def mask_value(code: str, value) -> str:
    if value in (None, ""):
        return ""
    text = str(value)
    if code == "operator_phone" and len(text) >= 7:
        return f"{text[:3]}****{text[-4:]}"
    if code == "operator_address":
        return f"{text[:6]}****"
    return MASK


def display(dealer: Dealer, code: str) -> str:
    """A card value as text in the active language (choices by label, booleans as 是/否)."""
    from django.utils.translation import gettext as _

    spec = CATALOGUE[code]
    value = getattr(dealer, code)
    if value is None or value == "":
        return ""
    if spec.type == "choice":
        return choice_label(code, value)
    if spec.type == "bool":
        return _("Yes") if value else _("No")
    if code == "sales_channels" and isinstance(value, dict):
        return "；".join(f"{channel_label(k)} {v}%" for k, v in value.items())
    if code == "supply_brands" and isinstance(value, list):
        return "；".join(f"{b.get('brand', '')} {b.get('percent', '')}%" for b in value)
    return str(value)


def channel_label(key: str) -> str:
    from django.utils.translation import gettext as _

    return {"retail_store": _("Retail stores"), "institutions": _("Institutions"), "wholesale": _("Wholesale"),
            "other": _("Other")}.get(key, key)


def shown(access: CardAccess, dealer: Dealer, code: str) -> str:
    text = display(dealer, code)
    return text if access.can_see(dealer, code) else mask_value(code, text)


def card_sections(user, dealer: Dealer, access: CardAccess | None = None) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """[(section label, [(field label, shown value, masked?)])] for the card page and the printout."""
    from .forms import SECTION_LABELS

    access = access or card_access(user, [dealer])
    sections = []
    for section, label in SECTION_LABELS.items():
        rows = [(spec.label, shown(access, dealer, spec.code), not access.can_see(dealer, spec.code))
                for spec in CATALOGUE.in_section(section)]
        sections.append((label, rows))
    return sections


def card_changes(user, dealer: Dealer) -> list:
    """The card's history; a sensitive field's old and new values are masked as the card is."""
    access = card_access(user, [dealer])
    rows = []
    for change in dealer.changes.select_related("actor"):
        visible = access.can_see(dealer, change.field)
        label = CATALOGUE.by_code[change.field].label if change.field in CATALOGUE.by_code else change.field
        rows.append({"at": change.at, "actor": change.actor, "label": label,
                     "old": change.old_value if visible else mask_value(change.field, change.old_value),
                     "new": change.new_value if visible else mask_value(change.field, change.new_value)})
    return rows


# --- credit score (seed 003) --------------------------------------------------------------------------

@dataclass(frozen=True)
class CreditScore:
    grade: str
    score: Decimal
    credit_limit: Decimal
    credit_days: int
    basis: dict


def score_window(on: date, months: int) -> tuple[date, date]:
    """The last `months` full months before the month of `on`."""
    first = on.replace(day=1)
    return first - relativedelta(months=months), first - timedelta(days=1)


def _months(start: date, count: int) -> list[date]:
    return [start + relativedelta(months=i) for i in range(count)]


def credit_scores(dealers, on: date) -> dict[int, CreditScore]:
    """Each dealer's score and grade from the last months' payments, payment methods and plan completion,
    weighed by the admin's `CreditPolicy` and graded by the `CreditGradeRule` rows (a handful of queries
    for any number of dealers)."""
    from orders.selectors import monthly_payments, monthly_quantities, payment_method_shares

    policy = CreditPolicy.current()
    rules = sorted(CreditGradeRule.objects.all(), key=lambda rule: rule.min_score, reverse=True)
    if not rules:
        return {}
    dealers = list(dealers)
    ids = [d.pk for d in dealers]
    start, end = score_window(on, policy.months)
    months = _months(start, policy.months)
    paid = monthly_payments(ids, start, end)
    shares = payment_method_shares(ids, start, end)
    planned: dict[int, Decimal] = {}
    plan_products: dict[tuple[int, date], set[int]] = {}
    for dealer_id, month, product_id, quantity in PlanLine.objects.filter(
            plan__dealer_id__in=ids, plan__month__gte=start, plan__month__lte=end).values_list(
            "plan__dealer_id", "plan__month", "product_id", "quantity"):
        planned[dealer_id] = planned.get(dealer_id, ZERO) + quantity
        plan_products.setdefault((dealer_id, month), set()).add(product_id)
    done: dict[int, Decimal] = {}  # quantities bought of the products planned, in the months planned
    for month in months:
        for (dealer_id, product_id), quantity in monthly_quantities(ids, month).items():
            if product_id in plan_products.get((dealer_id, month), ()):
                done[dealer_id] = done.get(dealer_id, ZERO) + quantity
    weights = policy.payment_weight + policy.method_weight + policy.plan_weight
    out = {}
    for dealer_id in ids:
        total_paid = sum((paid.get((dealer_id, m), ZERO) for m in months), ZERO)
        average = (total_paid / policy.months).quantize(FEN, ROUND_HALF_UP)
        payment_part = min(HUNDRED_D, average * 100 / policy.full_marks_payment)
        method_part = sum((share * Decimal(str(policy.method_scores.get(method, 0)))
                           for method, share in shares.get(dealer_id, {}).items()), ZERO)
        plan_total = planned.get(dealer_id, ZERO)
        plan_part = min(HUNDRED_D, done.get(dealer_id, ZERO) * 100 / plan_total) if plan_total else ZERO
        score = ((payment_part * policy.payment_weight + method_part * policy.method_weight
                  + plan_part * policy.plan_weight) / weights).quantize(Decimal("0.01"), ROUND_HALF_UP) if weights else ZERO
        rule = next((r for r in rules if score >= r.min_score), rules[-1])
        out[dealer_id] = CreditScore(rule.grade, score, rule.credit_limit, rule.credit_days, {
            "from": start.isoformat(), "to": end.isoformat(), "average_payment": str(average),
            "payment_score": str(payment_part.quantize(Decimal("0.01"), ROUND_HALF_UP)),
            "method_score": str(method_part.quantize(Decimal("0.01"), ROUND_HALF_UP)),
            "plan_completion": str(plan_part.quantize(Decimal("0.01"), ROUND_HALF_UP)),
        })
    return out



# --- sales progress table (seed 003: 客户销售预定及成绩进度表) -------------------------------------------

@dataclass
class ProgressRow:
    dealer: Dealer
    region: str
    tier: str
    last_actual: Decimal
    plan: Decimal | None
    actual: Decimal

    @property
    def completion(self) -> Decimal | None:
        return (self.actual * 100 / self.plan).quantize(Decimal("0.1"), ROUND_HALF_UP) if self.plan else None


@dataclass
class ProgressGroup:
    region: str
    tier: str
    rows: list

    def _sum(self, attr):
        return sum((getattr(r, attr) or ZERO for r in self.rows), ZERO)

    @property
    def last_actual(self):
        return self._sum("last_actual")

    @property
    def plan(self):
        return self._sum("plan")

    @property
    def actual(self):
        return self._sum("actual")

    @property
    def completion(self):
        return (self.actual * 100 / self.plan).quantize(Decimal("0.1"), ROUND_HALF_UP) if self.plan else None


def region_group(code: str) -> str:
    """The prefecture a county-level code belongs to, as a label ("上海市 黄浦区" → "上海市")."""
    from customers.regions import region_label

    if not code:
        return ""
    parts = region_label(code).split()
    return " ".join(parts[:-1]) if len(parts) > 1 else (parts[0] if parts else code)


def sales_progress(user, month: date, *, region: str = "", tier: str = "", limit: int = 2000) -> list[ProgressGroup]:
    """Per region and tier, each member's last month's actual, this month's plan and actual (quantities) and
    the completion; only dealers the user may see."""
    from orders.selectors import monthly_quantities

    month = month.replace(day=1)
    dealers = visible_dealers(user).filter(franchise_status__in=(Dealer.Status.ACTIVE, Dealer.Status.ADVISED))
    if region:
        dealers = dealers.filter(customer__admin_region__startswith=region)
    if tier:
        dealers = dealers.filter(customer__tier=tier)
    dealers = list(dealers.order_by("customer__admin_region", "customer__tier", "customer__name")[:limit])
    ids = [d.pk for d in dealers]
    last, this = {}, {}
    for target, figures in ((last, monthly_quantities(ids, month - relativedelta(months=1))),
                            (this, monthly_quantities(ids, month))):
        for (dealer_id, _product), quantity in figures.items():
            target[dealer_id] = target.get(dealer_id, ZERO) + quantity
    planned: dict[int, Decimal] = {}
    for dealer_id, quantity in PlanLine.objects.filter(plan__dealer_id__in=ids, plan__month=month).values_list(
            "plan__dealer_id", "quantity"):
        planned[dealer_id] = planned.get(dealer_id, ZERO) + quantity
    groups: dict[tuple[str, str], ProgressGroup] = {}
    for dealer in dealers:
        key = (region_group(dealer.customer.admin_region), dealer.customer.tier)
        group = groups.setdefault(key, ProgressGroup(key[0], key[1], []))
        group.rows.append(ProgressRow(dealer, key[0], key[1], last.get(dealer.pk, ZERO), planned.get(dealer.pk),
                                      this.get(dealer.pk, ZERO)))
    return sorted(groups.values(), key=lambda g: (g.region, g.tier))


def open_credit_proposals(user):
    """Proposals waiting for this user's side of the approval (marketing head or finance), of the dealers whose
    money the policy lets it work: finance every dealer's (names masked by `credit_queue`), everyone else the
    dealers it sees."""
    from . import permissions

    qs = CreditProposal.objects.filter(status__in=CreditProposal.OPEN).select_related("dealer__customer")
    if not queue_reach(user).money:
        qs = qs.filter(dealer__customer__in=visible_customers(user).values("pk"))
    if user.is_superuser:
        return qs
    waiting = []
    if permissions.approves_for_marketing(user):
        waiting += [CreditProposal.Status.PROPOSED, CreditProposal.Status.FINANCE_APPROVED]
    if permissions.approves_for_finance(user):
        waiting += [CreditProposal.Status.PROPOSED, CreditProposal.Status.MARKETING_APPROVED]
    return qs.filter(status__in=waiting)


def credit_queue(user, limit: int = 200) -> list:
    """The open proposals of `open_credit_proposals`, each with `shown_name`: code and name of a dealer the reader
    names, the masked code of one it works without seeing (one query for the page)."""
    proposals = list(open_credit_proposals(user)[:limit])
    view = queue_view(user, [p.dealer.customer for p in proposals])
    for p in proposals:
        p.shown_name = view.label(p.dealer.customer)
    return proposals


def open_shortfalls(user):
    """HQ-share shortfalls of dealers the user sees and may decide on, waiting for advice or dismissal."""
    from . import permissions

    if not permissions.can_decide_franchise(user):
        return HqShareCheck.objects.none()
    return (HqShareCheck.objects.filter(outcome=HqShareCheck.Outcome.SHORT, dealer__in=visible_dealers(user))
            .select_related("dealer__customer").order_by("month", "pk"))
