"""Data requests, archive loans and printouts move through crm.workflow: every move of each map, straight
from the map, and one event row per step."""
import pytest

from confidentiality import archive as lending
from confidentiality import services
from confidentiality.models import ArchiveLoan, ArchiveLoanEvent, DataRequest, DataRequestEvent, Printout, PrintoutEvent
from confidentiality.tests.test_services import _fulfilled, org, submit  # noqa: F401 - fixtures
from crm import roles as r
from crm.errors import ActionForbidden
from crm.testing import check_move, workflow_cases
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
S = DataRequest.Status


@pytest.mark.parametrize("source,target,allowed", workflow_cases(services.DATA_REQUEST))
def test_every_data_request_move(source, target, allowed, org):
    # Who acts depends on the request, not only its state: build one whose next step is this move's.
    cross = not (target == S.FULFILLED and source in (S.SUBMITTED, S.MARKETING_APPROVED))
    actor = {S.SUBMITTED: org["marketing"], S.MARKETING_APPROVED: org["csmanager"]}.get(source, org["cs_bj"])
    if not cross:
        actor = org["cs_sh"]

    def make(state):
        request = submit(org) if cross else submit(org, unit="sh", customers=[org["sh_customer"]])
        DataRequest.objects.filter(pk=request.pk).update(status=state)
        return request

    check_move(services.DATA_REQUEST, make, source, target, allowed, actor=actor)


def test_a_request_touching_secret_customers_is_the_marketing_heads_whatever_path_moves_it(org):
    """The issue-11 routing lives in the map's permissions, so no caller of the map can skip it."""
    secret = CustomerFactory(unit=org["sh"], created_by=org["sh_customer"].created_by, confidentiality_level="secret")
    request = submit(org, unit="sh", customers=[secret])
    assert request.touches_secret
    with pytest.raises(ActionForbidden):
        services.DATA_REQUEST.move(request, S.FULFILLED, actor=org["cs_sh"])
    services.DATA_REQUEST.move(request, S.MARKETING_APPROVED, actor=org["marketing"])
    assert list(DataRequestEvent.objects.filter(request=request).values_list("status", flat=True)) == [
        S.SUBMITTED, S.MARKETING_APPROVED,
    ]


@pytest.fixture
def people(make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit])
    return {"rep": rep, "archivist": make_user(r.ARCHIVIST), "customer": CustomerFactory(unit=unit, created_by=rep)}


@pytest.mark.parametrize("source,target,allowed", workflow_cases(lending.LOANS))
def test_every_archive_loan_move(source, target, allowed, people):
    def make(state):
        return ArchiveLoan.objects.create(customer=people["customer"], borrower=people["rep"], kind="loan",
                                          purpose="核对", status=state)

    check_move(lending.LOANS, make, source, target, allowed, actor=people["archivist"])


def test_each_loan_step_leaves_an_event(people):
    archivist = people["archivist"]
    loan = lending.request_loan(borrower=people["rep"], customer=people["customer"], kind="read", purpose="查阅")
    lending.approve_loan(actor=archivist, loan_id=loan.pk)
    lending.lend_out(actor=archivist, loan_id=loan.pk)
    lending.receive_back(actor=archivist, loan_id=loan.pk, complete=False, note="少一页")
    rows = list(ArchiveLoanEvent.objects.filter(loan=loan).values_list("kind", "actor", "comment", "data"))
    assert rows == [
        ("requested", people["rep"].pk, "", {"to": "requested"}),
        ("approved", archivist.pk, "", {"from": "requested", "to": "approved"}),
        ("lent", archivist.pk, "", {"from": "approved", "to": "out"}),
        ("returned", archivist.pk, "少一页", {"from": "out", "to": "returned", "complete": False}),
    ]


@pytest.mark.parametrize("source,target,allowed", workflow_cases(services.PRINTOUT))
def test_every_printout_move(source, target, allowed, org):
    grant = _fulfilled(org, form="print")

    def make(state):
        return Printout.objects.create(grant=grant, printed_by=org["planner"], copies=1,
                                       return_due=grant.expires_at.date(), status=state)

    check_move(services.PRINTOUT, make, source, target, allowed, actor=org["cs_bj"])


def test_a_printout_is_registered_and_checked_in_with_an_event_each(org):
    grant = _fulfilled(org, form="print")
    assert grant.request.status == S.FULFILLED
    printout = services.register_printout(actor=org["planner"], grant=grant, copies=2)
    checked = services.check_in_printout(actor=org["cs_bj"], printout_id=printout.pk, returned_copies=2)
    assert checked.status == Printout.Status.RETURNED and checked.returned_copies == 2
    assert list(PrintoutEvent.objects.filter(printout=printout).values_list("kind", "actor")) == [
        ("printed", org["planner"].pk), ("checked_in", org["cs_bj"].pk),
    ]
    with pytest.raises(services.DataRequestError) as again:
        services.check_in_printout(actor=org["cs_bj"], printout_id=printout.pk, returned_copies=2)
    assert again.value.code == "printout.already_checked_in"
