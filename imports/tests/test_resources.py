"""The customer resource keeps django-import-export's interface: `import_data(dataset, dry_run)`
returns its `Result`, served by the bulk path underneath."""
import pytest
import tablib

from crm import roles as r
from customers.importing import CustomerImportResource
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from imports.resources import get_resource

pytestmark = pytest.mark.django_db


def dataset(*rows):
    data = tablib.Dataset(headers=["客户名称", "手机", "客户等级", "客户代码"])
    for row in rows:
        data.append(row)
    return data


def test_import_data_dry_run_reports_per_row_and_writes_nothing(make_user, unit):
    admin = make_user(r.ADMIN, units=[unit])
    CustomerFactory(unit=unit, mobile="13900000001")
    result = get_resource("customers").import_data(
        dataset(["甲商店", "13800000001", "a", ""], ["乙商店", "13900000001", "C", ""], ["丙商店", "12345", "B", ""]),
        dry_run=True, user=admin, unit=unit,
    )
    assert result.totals["new"] == 1
    assert result.totals["skip"] == 1  # a duplicate of the existing customer
    assert result.totals["invalid"] == 1
    assert result.invalid_rows[0].number == 3
    assert "mobile" in result.invalid_rows[0].error_dict
    assert result.has_validation_errors()
    assert Customer.objects.count() == 1


def test_import_data_commits_and_updates_by_customer_code(make_user, unit):
    # A sales manager may change the unit's customers; an administrator sees none of them (need to know).
    admin = make_user(r.SALES_MANAGER, units=[unit])
    existing = CustomerFactory(unit=unit, mobile="13900000002", tier="C", customer_code="SH01-000009")
    result = CustomerImportResource().import_data(
        dataset(["甲商店", "13800000002", "Ｂ", ""], [existing.name, "", "D", "SH01-000009"]),
        dry_run=False, user=admin, unit=unit,
    )
    assert (result.totals["new"], result.totals["update"]) == (1, 1)
    assert Customer.objects.get(mobile="13800000002").tier == "B"
    existing.refresh_from_db()
    assert existing.tier == "D"
    assert existing.changes.filter(field="tier", old_value="C", new_value="D").exists()


def test_an_administrator_may_create_but_not_change_customers_it_cannot_see(make_user, unit):
    admin = make_user(r.ADMIN, units=[unit])
    existing = CustomerFactory(unit=unit, customer_code="SH01-000010", tier="C")
    result = CustomerImportResource().import_data(dataset([existing.name, "", "D", "SH01-000010"]), dry_run=True,
                                                  user=admin, unit=unit)
    assert result.totals["invalid"] == 1
    assert "customer_code" in result.invalid_rows[0].error_dict


def test_an_imported_customer_says_where_it_came_from_on_its_timeline(make_user, unit):
    from customers.selectors import timeline

    manager = make_user(r.SALES_MANAGER, units=[unit])
    CustomerImportResource().import_data(dataset(["甲商店", "13800000003", "C", ""]), dry_run=False, user=manager, unit=unit)
    customer = Customer.objects.get(mobile="13800000003")
    entry = next(e for e in timeline(customer) if e.detail.startswith("dataset.xlsx"))
    assert entry.detail == "dataset.xlsx，第 2 行" and entry.actor == manager  # zh-hans, the default
