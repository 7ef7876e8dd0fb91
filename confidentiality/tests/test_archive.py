from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from confidentiality import archive as lending
from confidentiality.models import ArchiveLoan
from crm import roles as r
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit])
    return {
        "rep": rep, "archivist": make_user(r.ARCHIVIST), "manager": make_user(r.SALES_MANAGER, units=[unit]),
        "customer": CustomerFactory(unit=unit, created_by=rep),
    }


def test_copy_needs_the_department_manager_and_comes_back_within_3_days(people):
    loan = lending.request_loan(borrower=people["rep"], customer=people["customer"], kind="copy", purpose="合同核对")
    with pytest.raises(lending.ArchiveError):
        lending.approve_loan(actor=people["archivist"], loan_id=loan.pk)
    lending.approve_loan(actor=people["manager"], loan_id=loan.pk)
    loan = lending.lend_out(actor=people["archivist"], loan_id=loan.pk)
    assert loan.due_at - loan.lent_at == timedelta(days=3)


def test_originals_come_back_the_same_day_and_show_overdue_after(people):
    loan = lending.request_loan(borrower=people["rep"], customer=people["customer"], kind="read", purpose="查阅")
    lending.approve_loan(actor=people["archivist"], loan_id=loan.pk)
    loan = lending.lend_out(actor=people["archivist"], loan_id=loan.pk)
    assert timezone.localtime(loan.due_at).date() == timezone.localdate()
    assert not lending.overdue().exists()
    with mock.patch("django.utils.timezone.now", return_value=loan.due_at + timedelta(minutes=1)):
        assert list(lending.overdue()) == [loan]
        report = lending.outstanding_report()
    assert report["overdue"] == [loan] and report["out"] == [loan]


def test_return_checks_completeness(people):
    loan = lending.request_loan(borrower=people["rep"], customer=people["customer"], kind="loan", purpose="x")
    lending.approve_loan(actor=people["archivist"], loan_id=loan.pk)
    lending.lend_out(actor=people["archivist"], loan_id=loan.pk)
    with pytest.raises(lending.ArchiveError):
        lending.receive_back(actor=people["archivist"], loan_id=loan.pk, complete=False)
    lending.receive_back(actor=people["archivist"], loan_id=loan.pk, complete=False, note="缺第3页")
    assert lending.outstanding_report()["incomplete"] == [ArchiveLoan.objects.get()]


def test_nobody_borrows_a_file_they_may_not_see(people, make_user, unit):
    with pytest.raises(lending.ArchiveError):
        lending.request_loan(borrower=make_user(r.SALES_REP, units=[unit]), customer=people["customer"], kind="read", purpose="x")


def test_monthly_report_page_and_download(client, people):
    loan = lending.request_loan(borrower=people["rep"], customer=people["customer"], kind="loan", purpose="x")
    lending.approve_loan(actor=people["archivist"], loan_id=loan.pk)
    lending.lend_out(actor=people["archivist"], loan_id=loan.pk)
    client.force_login(people["archivist"])
    assert "1 份档案在外" in client.get(reverse("confidentiality:archive_report")).content.decode()
    response = client.get(reverse("confidentiality:archive_report"), {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
