from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class LettersAndDigitsValidator:
    """Password policy: at least one letter and one digit, on top of Django's length and common-word checks."""

    def validate(self, password, user=None):
        if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
            raise ValidationError(_("The password must contain both letters and digits."), code="password_classes")

    def get_help_text(self):
        return _("Your password must contain both letters and digits.")
