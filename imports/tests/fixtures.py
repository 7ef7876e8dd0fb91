"""Fixtures the import tests share (imported by the modules that use them)."""
import pytest

from crm import roles as r


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded sheets go to the test's own folder, never to var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def admin(make_user, unit):
    return make_user(r.ADMIN, units=[unit], username="imp_admin")


@pytest.fixture
def zhang(make_user, unit):
    """The account manager the sheets name as 张伟 or zhangwei."""
    return make_user(r.SALES_REP, units=[unit], username="zhangwei", first_name="伟", last_name="张")
