"""Issue 11, item 17: uploads are checked by their content, served as what they are, and the ID and
legal-person photos are as sensitive as the ID number."""
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from crm import roles as r
from customers.models import Customer
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def rep(make_user, unit):
    return make_user(r.SALES_REP, units=[unit])


def form_data(unit, **overrides):
    data = {
        "unit": unit.pk, "profile_type": "retail", "name": "李记小卖部", "customer_nature": "individual",
        "customer_source": "walk_in", "address": "上海市徐汇区漕溪北路1号", "admin_region": "310104",
        "tier": "D", "contact_name": "李雷", "mobile": "13912345678", "gender": "female",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("field, name, content", [
    ("photo_storefront", "shop.png", HTML),
    ("photo_legal_person", "face.jpg", HTML),
    ("photo_licence", "licence.pdf", HTML),
    ("photo_licence", "licence.png", PDF),  # a PDF is no image, whatever the field otherwise takes
])
def test_a_file_that_is_not_what_its_name_says_is_refused_in_chinese(client, rep, unit, field, name, content):
    client.force_login(rep)
    response = client.post(reverse("customers:create"), {**form_data(unit), field: SimpleUploadedFile(name, content)})
    page = response.content.decode()
    assert response.status_code == 200 and f'data-error-for="{field}"' in page
    assert "该文件不是有效的" in page.split(f'data-error-for="{field}"')[1].split("</div>")[0]
    assert not Customer.objects.exists()


def test_a_real_image_and_a_real_pdf_are_accepted(client, rep, unit):
    client.force_login(rep)
    response = client.post(reverse("customers:create"), {
        **form_data(unit), "photo_storefront": SimpleUploadedFile("shop.png", png()),
        "photo_licence": SimpleUploadedFile("licence.pdf", PDF),
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get()
    assert customer.photo_storefront.read() == png() and customer.photo_licence.read() == PDF


def _customer_with(unit, rep, **files):
    customer = CustomerFactory(unit=unit, created_by=rep, profile_type="retail")
    for field, (name, content) in files.items():
        getattr(customer, field).save(name, ContentFile(content), save=False)
    customer.save()
    return customer


def test_files_are_served_as_what_they_are(client, rep, unit):
    """A file stored before the check (or slipped past it) is a download, never a page of this site."""
    customer = _customer_with(unit, rep, photo_storefront=("shop.png", HTML), photo_counter=("counter.png", png()),
                              photo_licence=("licence.pdf", PDF))
    client.force_login(rep)
    url = lambda field: reverse("customers:file", args=[customer.pk, field])  # noqa: E731
    hostile = client.get(url("photo_storefront"))
    assert hostile["Content-Type"] == "application/octet-stream"
    assert hostile["Content-Disposition"].startswith("attachment")
    assert hostile["X-Content-Type-Options"] == "nosniff"
    image = client.get(url("photo_counter"))
    assert image["Content-Type"] == "image/png" and image["X-Content-Type-Options"] == "nosniff"
    assert image["Content-Disposition"].startswith("inline")
    pdf = client.get(url("photo_licence"))
    assert pdf["Content-Type"] == "application/pdf" and pdf["X-Content-Type-Options"] == "nosniff"


def test_the_legal_person_photo_is_as_sensitive_as_the_id_number(client, rep, unit, make_user):
    customer = _customer_with(unit, rep, photo_legal_person=("张三.png", png()), photo_storefront=("shop.png", png()))
    url = reverse("customers:file", args=[customer.pk, "photo_legal_person"])
    client.force_login(rep)
    assert client.get(url).status_code == 200
    cs = make_user(r.CS_SPECIALIST, units=[unit])
    client.force_login(cs)
    assert client.get(url).status_code == 404
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    cell = page.split('data-field="photo_legal_person"')[1].split("</dd>")[0]
    assert url not in page and "张三" not in page and 'data-masked="photo_legal_person"' in cell
    assert "customers:unmask" not in cell and "unmask" not in cell  # a scan cannot be revealed as text
    assert reverse("customers:file", args=[customer.pk, "photo_storefront"]) in page
    edit = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert 'name="photo_legal_person"' not in edit and "张三" not in edit


def test_unmasking_a_scan_gives_away_nothing(client, rep, unit, make_user):
    customer = _customer_with(unit, rep, photo_licence=("李四身份证.png", png()))
    client.force_login(make_user(r.CS_SPECIALIST, units=[unit]))
    response = client.post(reverse("customers:unmask", args=[customer.pk]), {"field": "photo_licence", "reason": "核实"})
    assert response.status_code == 403 and "李四" not in response.content.decode()


def test_a_direct_media_url_is_not_served(client, rep, unit, make_user):
    customer = _customer_with(unit, rep, photo_licence=("id.png", png()))
    client.force_login(make_user(r.MARKETING_HEAD, units=[unit]))
    assert client.get(f"/media/{customer.photo_licence.name}").status_code == 404
    assert client.get(f"/{customer.photo_licence.name}").status_code == 404
