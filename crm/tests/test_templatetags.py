from django.contrib.auth.models import User

from crm.templatetags.crm_tags import display_name


def test_chinese_names_read_family_name_first_without_space():
    assert display_name(User(username="u", first_name="伟", last_name="张")) == "张伟"


def test_other_names_and_missing_names():
    assert display_name(User(username="u", first_name="Ada", last_name="Lovelace")) == "Ada Lovelace"
    assert display_name(User(username="u")) == "u"
