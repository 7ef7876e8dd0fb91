from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from confidentiality import retention
from confidentiality.models import Destruction
from crm import roles as r
from crm.models import AuditEntry
from customers.models import CustomerChange, CustomerEvent
from customers.tests.factories import VALID_ID, CustomerFactory

pytestmark = pytest.mark.django_db


def cancelled(unit, years_ago: float, **kwargs):
    customer = CustomerFactory(unit=unit, customer_status="cancelled", id_number=VALID_ID, home_address="北京市西城区", **kwargs)
    CustomerEvent.objects.create(customer=customer, kind="cancelled", at=timezone.now() - timedelta(days=365 * years_ago))
    return customer


def test_identity_data_is_due_five_years_after_the_relationship_ends(unit):
    old = cancelled(unit, 5.1)
    cancelled(unit, 4.5)
    CustomerFactory(unit=unit, id_number=VALID_ID)  # still a customer
    assert retention.identity_data_due().customer_ids == [old.pk]


def test_destruction_needs_another_persons_approval_and_leaves_a_record(unit, make_user, capsys):
    old = cancelled(unit, 6)
    CustomerChange.objects.create(customer=old, field="id_number", old_value="", new_value=VALID_ID)
    make_user(r.ADMIN, username="sysadmin")
    gm = make_user(r.GENERAL_MANAGER, username="gm1")
    call_command("retention", "--propose", "sysadmin")
    proposal = Destruction.objects.get()
    assert proposal.customer_ids == [old.pk] and "proposed as destruction" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("retention", "--approve", str(proposal.pk), "--by", "sysadmin")  # the proposer
    call_command("retention", "--approve", str(proposal.pk), "--by", "gm1")
    old.refresh_from_db()
    assert (old.id_number, old.home_address, old.birth_date, old.id_last4) == ("", "", None, "")
    assert old.name  # only identity data goes
    assert not CustomerChange.objects.filter(customer=old, field="id_number").exists()
    done = Destruction.objects.get()
    assert done.status == "done" and done.approved_by == gm and VALID_ID not in done.what
    assert AuditEntry.objects.filter(subject=f"destruction {done.pk}").exists()
    assert retention.identity_data_due().customer_ids == []
    with pytest.raises(retention.RetentionError):
        retention.approve_and_destroy(actor=gm, destruction_id=done.pk)
