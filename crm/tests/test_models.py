import pytest
from django.core.exceptions import ValidationError

from crm.models import OrgUnit, StaffProfile
from crm.tests.factories import OrgUnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_descendant_ids_cover_the_whole_subtree_and_nothing_else():
    hq = OrgUnitFactory(code="HQ", kind=OrgUnit.Kind.COMPANY)
    branch = OrgUnitFactory(code="SH01", parent=hq)
    team = OrgUnitFactory(code="SH01T1", parent=branch, kind=OrgUnit.Kind.TEAM)
    other = OrgUnitFactory(code="BJ01", parent=hq)

    assert OrgUnit.objects.descendant_ids([branch.pk]) == {branch.pk, team.pk}
    assert OrgUnit.objects.descendant_ids([hq.pk]) == {hq.pk, branch.pk, team.pk, other.pk}
    assert OrgUnit.objects.descendant_ids([]) == set()
    assert team.ancestors() == [branch, hq]


def test_a_unit_cannot_be_moved_under_its_own_descendant():
    hq = OrgUnitFactory(code="HQ")
    branch = OrgUnitFactory(code="SH01", parent=hq)
    hq.parent = branch
    with pytest.raises(ValidationError) as excinfo:
        hq.full_clean()
    assert "parent" in excinfo.value.message_dict


def test_unit_code_format_is_enforced():
    with pytest.raises(ValidationError) as excinfo:
        OrgUnit(code="sh-01", name="x").full_clean()
    assert "code" in excinfo.value.message_dict


def test_every_user_gets_a_staff_profile():
    user = UserFactory()
    assert StaffProfile.objects.filter(user=user, status=StaffProfile.Status.ACTIVE).exists()


def test_departed_staff_needs_a_departure_date():
    profile = UserFactory().staff_profile
    profile.status = StaffProfile.Status.DEPARTED
    with pytest.raises(ValidationError) as excinfo:
        profile.full_clean()
    assert "departed_on" in excinfo.value.message_dict


def test_staff_mobile_is_validated():
    profile = UserFactory().staff_profile
    profile.phone = "12800138000"
    with pytest.raises(ValidationError):
        profile.full_clean()
    profile.phone = "13800138000"
    profile.full_clean()
