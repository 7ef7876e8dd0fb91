"""One watermark builder (`crm.exports.watermark`): every workbook that leaves the system names its user."""
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm import roles as r

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role, url, params", [
    (r.MARKETING_HEAD, "confidentiality:audit", {"format": "xlsx"}),
    (r.ARCHIVIST, "confidentiality:archive_report", {"format": "xlsx"}),
    (r.SALES_SUPERVISOR, "service:inquiries", {"period": "month", "format": "xlsx"}),
])
def test_every_download_names_who_made_it_by_sign_in_name(client, make_user, unit, role, url, params):
    """Two staff may share a name (张伟): the sign-in name is what identifies the person a leaked copy was made for."""
    user = make_user(role, units=[unit], username="zhangwei_07", first_name="伟", last_name="张")
    client.force_login(user)
    response = client.get(reverse(url), params)
    assert response.status_code == 200
    line = load_workbook(BytesIO(response.content)).active["A1"].value
    assert "张伟 (zhangwei_07)" in line
