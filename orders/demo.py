"""Demo products and credit terms for `make run`; loading twice adds nothing."""
from decimal import Decimal

from customers.models import Customer

from . import services
from .models import CreditTerms, Product

DEMO_PRODUCTS = [
    # code, name, specification, unit, category, list price, returnable, return window (days)
    ("A100", "东北大米", "10kg", "袋", "粮油", "55.50", True, 30),
    ("A200", "花生油", "5L", "桶", "粮油", "89.90", True, 30),
    ("B300", "生抽酱油", "500ml", "瓶", "调味品", "12.35", True, 15),
    ("B310", "香醋", "500ml", "瓶", "调味品", "9.80", False, 0),
    ("C400", "矿泉水", "550ml×24", "箱", "饮料", "28.00", True, 7),
]


def load_demo_orders() -> int:
    added = 0
    for code, name, spec, unit, category, price, returnable, days in DEMO_PRODUCTS:
        _product, created = Product.objects.get_or_create(code=code, defaults={
            "name": name, "specification": spec, "unit": unit, "category": category, "list_price": Decimal(price),
            "returnable": returnable, "return_days": days})
        added += created
    customer = Customer.objects.filter(name="上海华联超市徐汇店", registration_status="approved").first()
    if customer is not None and not CreditTerms.objects.filter(customer=customer).exists():
        services.set_credit_terms(customer, limit="50000", period_days=30, source=CreditTerms.Source.ACCOUNT_PERIOD,
                                  reference="演示数据", actor=None)
        added += 1
    return added
