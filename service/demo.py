"""Demo opportunities for `make run`, one or two in each stage of the board. Loading twice adds nothing."""
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import Customer

from . import records
from .models import Opportunity

DEMO_OPPORTUNITIES = [
    # customer, title, content, amount, stage to reach
    ("上海华联超市徐汇店", "冷柜增购", "门店扩建，需要新增两台冷柜，此前从未向我们采购冷柜", "36000.00", "found"),
    ("上海华联超市徐汇店", "年货专柜", "春节年货专柜陈列与供货", "58000.00", "proposal"),
    ("联华便利店漕溪店", "早餐供应合作", "早餐鲜食供货，首次合作", "12500.00", "qualified"),
    ("联华便利店漕溪店", "自有品牌饮料", "门店自有品牌饮料代工", "80000.00", "negotiation"),
]


def load_demo_opportunities() -> int:
    rep = get_user_model().objects.get(username="rep")
    stages = list(Opportunity.Stage.values)
    created = 0
    for name, title, content, amount, stage in DEMO_OPPORTUNITIES:
        customer = Customer.objects.filter(name=name).first()
        if customer is None or Opportunity.objects.filter(customer=customer, title=title).exists():
            continue
        opportunity = records.open_opportunity(actor=rep, customer=customer, title=title, content=content,
                                               deadline=timezone.localdate() + timedelta(days=30),
                                               amount=Decimal(amount))
        for step in stages[1:stages.index(stage) + 1]:
            records.move_opportunity(actor=rep, opportunity_id=opportunity.pk, stage=step)
        created += 1
    return created
