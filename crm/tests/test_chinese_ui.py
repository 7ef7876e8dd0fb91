"""Issue 15 acceptance 2: every page reachable from each role's navigation speaks Chinese.

Walks each demo role's navigation entries and the pages they link to (one step further: detail, new and admin
change-list pages), and reads the text a person sees (text, placeholders, titles). A Latin word is allowed only
if it is a proper name or a code shown on purpose (a login, a unit code, a file format, a customer code); Django's
empty choice ``---------`` never is."""
import re
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from crm import roles as r
from crm.demo import DEMO_USERS
from crm.models import OrgUnit
from crm.navigation import navigation_for

pytestmark = pytest.mark.django_db

# Names and codes shown on purpose: the other language's own name, products and file formats, credit ratings
# and contact apps as the sales office writes them. Logins, unit and role codes are added per run; so are the
# words of the test suite's stand-in app (crm.tests.workflow_app), which exists only here.
ALLOWED = {
    "English", "Excel", "xlsx", "xls", "csv", "PDF", "IP", "QQ", "APP", "VIP", "AA", "AAA", "WPS",
    "kg", "ml",  # units in product specifications (10kg, 500ml), as the products' own data writes them
    "GBK",  # the encoding's own name
    # payment-method codes as keys of the credit policy's JSON scores, edited in the admin as codes
    "bank_draft", "wire", "cash", "acceptance_bill",
}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’_=.\-]*")
SKIPPED_PATHS = ("/accounts/logout/", "/i18n/", "/export", "/files/", "/report", "/print/", "/progress/", "/count/")


class VisibleText(HTMLParser):
    """The words on the page: text outside scripts and styles, plus placeholders and titles; and the links."""

    HIDDEN = {"script", "style", "template", "datalist"}

    def __init__(self):
        super().__init__()
        self.parts, self.links, self._hidden = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.HIDDEN:
            self._hidden += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        self.parts.extend(attrs[name] for name in ("placeholder", "title") if attrs.get(name))

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def foreign_words(text: str, allowed: set[str]) -> set[str]:
    return {
        w for w in WORD.findall(text)
        if len(w) > 1 and w not in allowed and not re.search(r"\d", w)  # codes carry digits: SH01T1-000001
    }


def walk(client, start: list[str], depth: int = 1, limit: int = 120):
    """(url, visible text) of every page reachable from `start` within `depth` links, GET only."""
    level = {url: 0 for url in start}
    queue, seen = list(start), set()
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        parser = VisibleText()
        parser.feed(html)
        yield url, " ".join(parser.parts), html
        if level[url] >= depth:
            continue
        for href in parser.links:
            link = urlparse(href)
            target = link.path + (f"?{link.query}" if link.query else "")
            if link.netloc or not link.path.startswith("/") or any(s in link.path for s in SKIPPED_PATHS):
                continue
            if target not in level:
                level[target] = level[url] + 1
                queue.append(target)


@pytest.fixture
def office(db):
    """The demo office, plus a data request naming sensitive fields and a complaint, so their pages have rows."""
    from confidentiality import services as requests
    from customers.models import Customer
    from service import services

    call_command("load_demo")
    users = {u.username: u for u in get_user_model().objects.all()}
    customer = Customer.objects.exclude(customer_code=None).order_by("pk").first()
    requests.submit_data_request(
        requester=users["planner"], purpose="年度策划", scope="customers", data_unit=customer.unit,
        customers=[customer], fields=["mobile", "id_number"], form="view", days=7,
    )
    services.register_complaint(actor=users["rep"], customer=customer, category="service", description="送货晚了")
    return users


@pytest.mark.parametrize("username", [row[0] for row in DEMO_USERS])
def test_every_page_a_role_reaches_is_in_chinese(office, username):
    user = office[username]
    client = Client()
    client.force_login(user)
    stand_in = {w for m in apps.get_app_config("crm_workflow_app").get_models() for w in str(m._meta.verbose_name).split()}
    allowed = ALLOWED | stand_in | set(get_user_model().objects.values_list("username", flat=True)) \
        | set(OrgUnit.objects.values_list("code", flat=True)) | set(r.ROLES)  # a role group's name is its code
    start = [entry.url() for entry in navigation_for(user) if entry.url_name]
    leaks, pages = {}, 0
    for url, text, html in walk(client, start):
        pages += 1
        assert 'lang="zh-hans"' in html, url
        assert "---------" not in text, url
        for word in foreign_words(text, allowed):
            leaks.setdefault(word, url)
    assert pages >= len(start)
    assert not leaks, "; ".join(f"{w} ({u})" for w, u in sorted(leaks.items()))


def test_the_scan_catches_a_leak():
    """The check itself: it fails on a code in the text and on Django's dashes."""
    page = VisibleText()
    page.feed('<p>需要的敏感字段: mobile</p><select><option>---------</option></select><input placeholder="tier=A">')
    text = " ".join(page.parts)
    assert foreign_words(text, ALLOWED) == {"mobile", "tier=A"} and "---------" in text
    assert foreign_words("导出 Excel 文件 SH01T1-000001 · A 级", ALLOWED) == set()


# Admin names (issue 15 item 6): Django makes a plural by appending "s" to the singular, so a model named only in
# the singular reads 通知s in the admin; third-party apps (axes, guardian, celery beat) name themselves in English.
LATIN = re.compile(r"[A-Za-z]")


def plural_problem(singular: str, plural: str) -> str | None:
    """What is wrong with a model's plural name in Chinese, or None."""
    if plural == f"{singular}s":
        return "singular + s"
    if LATIN.search(plural):
        return "Latin letters"
    return None


def test_every_model_in_the_admin_and_every_model_named_in_chinese_has_a_chinese_plural():
    from django.contrib import admin
    from django.utils import translation

    problems = {}
    with translation.override("zh-hans"):
        for model in apps.get_models():
            meta = model._meta
            singular, plural = str(meta.verbose_name), str(meta.verbose_name_plural)
            if meta.app_label == "crm_workflow_app":  # the test suite's stand-in, not part of the product
                continue
            in_admin = admin.site.is_registered(model)
            if not in_admin and LATIN.search(singular):  # an internal table nobody sees by name
                continue
            problem = plural_problem(singular, plural)
            if in_admin and LATIN.search(singular):
                problem = "Latin letters in the singular"
            if in_admin and LATIN.search(str(meta.app_config.verbose_name)):
                problem = f"app named {meta.app_config.verbose_name}"
            if problem:
                problems[meta.label] = f"{singular} / {plural}: {problem}"
    assert not problems, problems


def test_the_plural_check_can_fail():
    assert plural_problem("通知", "通知s") == "singular + s"
    assert plural_problem("对象权限（个人）", "user object permissions") == "Latin letters"
    assert plural_problem("通知", "通知") is None


@pytest.mark.parametrize("superuser", [False, True], ids=["demo admin", "superuser"])
def test_the_admin_index_speaks_chinese(office, superuser):
    """The admin's first page, as the demo admin and as a superuser (who sees axes, celery beat, every app)."""
    user = office["admin"]
    if superuser:
        user = get_user_model().objects.create_superuser("root", "", "crm-demo-2026")
    client = Client()
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    parser = VisibleText()
    parser.feed(response.content.decode())
    text = " ".join(parser.parts)
    assert "登录锁定" in text  # axes under its Chinese name
    assert not re.findall(r"[\u3400-\u9fff]s\b", text)  # 关怀消息s: a one-letter word the scan below would pass
    allowed = ALLOWED | {user.username} | set(OrgUnit.objects.values_list("code", flat=True))
    assert foreign_words(text, allowed) == set()


OUR_APPS = ("crm", "imports", "customers", "confidentiality", "service", "orders", "dealers")


def test_every_field_of_our_models_in_the_admin_has_a_chinese_label():
    """A field without a verbose_name shows its code in the admin (Customer, Created at, handler)."""
    from django.contrib import admin
    from django.utils import translation

    unnamed = []
    with translation.override("zh-hans"):
        for model in admin.site._registry:
            if model._meta.app_label not in OUR_APPS:
                continue
            for field in model._meta.get_fields():
                if field.auto_created or not hasattr(field, "verbose_name"):
                    continue
                if foreign_words(str(field.verbose_name), ALLOWED):
                    unnamed.append(f"{model._meta.label}.{field.name}: {field.verbose_name}")
    assert not unnamed, unnamed
