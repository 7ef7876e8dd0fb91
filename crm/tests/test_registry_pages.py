"""Acceptance 2 on the real pages: what the test app registers in ready() shows up with no other app edited."""
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import roles as r
from crm.tests.workflow_app.contributions import TICKETS
from crm.tests.workflow_app.models import Ticket
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep_with_ticket(make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep, name="华东五金")
    ticket = Ticket.objects.create(title="发票抬头错了", assignee=rep, customer_ref=customer.pk,
                                   due=timezone.localdate() - timedelta(days=1))
    TICKETS.move(ticket, Ticket.Status.ANSWERED, actor=rep, comment="已回复客户")
    return rep, customer


def test_the_test_apps_inbox_source_fills_the_inbox_page(client, rep_with_ticket):
    rep, _customer = rep_with_ticket
    client.force_login(rep)
    page = client.get(reverse("service:inbox")).content.decode()
    item = re.search(r'<li[^>]*data-kind="ticket".*?</li>', page, re.S)
    assert item and "发票抬头错了" in item.group(0) and "list-group-item-danger" in item.group(0)


def test_the_test_apps_timeline_source_and_panel_show_on_the_customer_page(client, rep_with_ticket):
    rep, customer = rep_with_ticket
    client.force_login(rep)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    timeline = re.search(r'data-testid="timeline">(.*?)</ul>', page, re.S).group(1)
    assert "发票抬头错了" in timeline and "已回复客户" in timeline
    panel = re.search(r'data-panel="tickets">(.*?)</div>\s*</div>', page, re.S)
    assert panel and "发票抬头错了 · 华东五金" in panel.group(1)


def test_the_test_apps_nav_entry_is_in_its_menu_in_the_base_template(client, rep_with_ticket, make_user):
    rep, _customer = rep_with_ticket
    client.force_login(rep)
    page = client.get(reverse("home")).content.decode()
    service_menu = re.search(r'data-nav-menu="service">(.*?)</ul>\s*</li>', page, re.S).group(1)
    assert 'data-nav="tickets"' in service_menu and 'data-nav="visits"' in service_menu
    client.force_login(make_user(r.SALES_REP))  # its predicate: only people with tickets
    assert 'data-nav="tickets"' not in client.get(reverse("home")).content.decode()


def test_the_inbox_keeps_its_badge_and_menus_are_dropdowns(client, make_user):
    client.force_login(make_user(r.SALES_MANAGER))
    page = client.get(reverse("home")).content.decode()
    inbox = re.search(r'<li class="nav-item" data-nav="inbox">(.*?)</li>', page, re.S).group(1)
    assert f'hx-get="{reverse("service:inbox_count")}"' in inbox
    menus = re.findall(r'data-nav-menu="(\w+)"', page)
    assert menus == ["customers", "service", "orders", "confidentiality", "reports", "admin"]  # admin: the import
    assert ">客户<" in page and ">服务<" in page and ">保密与档案<" in page
