"""Demo customers for `make run`, taken through the real workflow. Loading twice adds nothing."""
from django.contrib.auth import get_user_model

from crm.models import OrgUnit

from . import services
from .models import Customer

BASE = {
    "customer_source": "walk_in", "address": "上海市徐汇区漕溪北路88号", "admin_region": "310104",
    "settlement_method": "transfer", "confidentiality_level": "",
}
DEMO_CUSTOMERS = [
    # name, nature, profile, tier, mobile, contact, extra, final state
    ("韩梅梅", "individual", "none", "D", "13912345678", "韩梅梅",
     {"gender": "female", "id_number": "11010519491231002X", "birth_date": "1949-12-31", "occupation": "教师"}, "approved"),
    ("上海华联超市徐汇店", "company", "retail", "C", "13812340001", "王经理",
     {"unified_social_credit_code": "91110108MA01KPGA5T", "retail_format": "supermarket"}, "approved"),
    ("联华便利店漕溪店", "sole_proprietor", "retail", "B", "13812340002", "李店长", {"retail_format": "convenience_store"}, "approved"),
    ("好德食杂店", "sole_proprietor", "retail", "E", "13812340003", "赵老板", {"retail_format": "grocery"}, "submitted"),
    ("李雷", "individual", "none", "E", "13812340004", "李雷", {"gender": "male"}, "draft"),
]


def load_demo_customers() -> int:
    User = get_user_model()
    rep, manager = User.objects.get(username="rep"), User.objects.get(username="manager")
    unit = OrgUnit.objects.get(code="SH01T1")
    created = 0
    for name, nature, profile, tier, mobile, contact, extra, state in DEMO_CUSTOMERS:
        if Customer.objects.filter(name=name).exists():
            continue
        customer = Customer(
            name=name, customer_nature=nature, profile_type=profile, tier=tier, mobile=mobile, contact_name=contact,
            **BASE, **extra,
        )
        customer.full_clean(exclude=["unit", "created_by", "customer_code"])
        services.register_customer(actor=rep, unit=unit, customer=customer)
        if state in ("submitted", "approved"):
            services.submit_registration(actor=rep, customer_id=customer.pk, acknowledge_duplicates=True)
        if state == "approved":
            services.approve_registration(actor=manager, customer_id=customer.pk, comment="演示数据")
        created += 1
    return created
