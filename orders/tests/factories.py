from decimal import Decimal

import factory

from crm import roles as r
from crm.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from orders.models import Product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"产品{n}")
    specification = "500g"
    unit = "箱"
    category = "食品"
    list_price = Decimal("100.00")
    returnable = True
    return_days = 30


def finance_user(**kwargs):
    return UserFactory(roles=[r.FINANCE], **kwargs)


def gm_user(**kwargs):
    return UserFactory(roles=[r.GENERAL_MANAGER], **kwargs)


def warehouse_user(**kwargs):
    return UserFactory(roles=[r.WAREHOUSE], **kwargs)


def rep_customer(**kwargs):
    """An approved customer owned by a fresh sales rep; returns (rep, customer)."""
    rep = UserFactory(roles=[r.SALES_REP])
    return rep, CustomerFactory(created_by=rep, **kwargs)


def place_order(rep, customer, *lines, submit=True, **header):
    """An order of `lines` ((product, quantity, unit_price), ...) entered by `rep`, submitted unless told not to."""
    from orders import services

    order = services.create_order(
        actor=rep, customer=customer, delivery_address=header.pop("delivery_address", "上海市浦东新区1号"),
        transport=header.pop("transport", "road"),
        lines=[{"product": p, "quantity": Decimal(q), "unit_price": Decimal(u)} for p, q, u in lines], **header,
    )
    return services.submit_order(actor=rep, order_id=order.pk) if submit else order
