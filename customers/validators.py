"""Normalisation and validation of customer values; the same functions serve forms and imports."""
import datetime
import re
import unicodedata
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

SEPARATORS = re.compile(r"[\s\-‐‑–—－_]+")


def normalise_text(value: str) -> str:
    """Full-width letters and digits to half-width (NFKC), outer spaces trimmed."""
    if value is None:
        return value
    return unicodedata.normalize("NFKC", str(value)).strip()


def normalise_number(value: str) -> str:
    """For phone, ID and code values: half-width, no spaces or dashes, upper case; `13800138000.0` from Excel too."""
    if value is None:
        return value
    text = SEPARATORS.sub("", normalise_text(value)).upper()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


def validate_mobile(value: str) -> None:
    if value and not re.fullmatch(r"1[3-9]\d{9}", value):
        raise ValidationError(_("Enter an 11-digit mobile number starting with 13-19."), code="mobile")


def validate_landline(value: str) -> None:
    if value and not re.fullmatch(r"0\d{2,3}\d{7,8}(\d{1,6})?", value):
        raise ValidationError(_("Enter the area code and number, e.g. 0757-12345678."), code="landline")


ID_SHAPE = re.compile(r"\d{17}[\dX]")
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
# What the GB/T 2260 table knows of a number's first six digits (see `id_region_status`).
REGION_KNOWN, COUNTY_UNKNOWN, PREFECTURE_UNKNOWN, PROVINCE_UNKNOWN = "known", "county", "prefecture", "province"


@lru_cache(maxsize=65536)
def id_region_status(prefix: str) -> str:
    """Whether a GB/T 2260 code of any year names this county. A number keeps the code in force when the
    person was first registered, which may be years after birth (`310115`, Pudong, 1992, on the card of
    someone born in 1985), and a code retired since stays on millions of valid cards: so a county
    counts whatever its years. An unknown county in a known prefecture is only doubtful."""
    table = numdb.get("cn/loc")
    found = {k: v for _part, props in table.info(prefix) for k, v in props.items()}
    if "province" not in found:
        return PROVINCE_UNKNOWN
    if found.get("county"):
        return REGION_KNOWN
    prefecture = {k: v for _part, props in table.info(prefix[:4] + "00") for k, v in props.items()}
    return COUNTY_UNKNOWN if prefecture.get("county") else PREFECTURE_UNKNOWN


def _birth_date(value: str) -> datetime.date | None:
    return _date_of(value[6:14])


@lru_cache(maxsize=65536)  # about 46,000 real dates since 1900: an import checks each once
def _date_of(digits: str) -> datetime.date | None:
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


_SURELY_PAST = [datetime.date.min]  # a day known to have come: the clock only moves on


def _in_future(day: datetime.date) -> bool:
    """`day > today`, asking the clock only for a day after the last one it gave (an import checks a
    hundred thousand birth dates, all long past)."""
    if day <= _SURELY_PAST[0]:
        return False
    today = datetime.date.today()
    _SURELY_PAST[0] = today
    return day > today


def validate_id_number(value: str) -> None:
    """A resident ID number is valid when it has 18 characters, the right check digit, a real birth date
    between 1900 and today, and a region code that GB/T 2260 knows in any year (at least its province
    and prefecture: see `id_number_warning`). The one check for forms, imports and the API."""
    if not value:
        return
    if len(value) != 18:
        raise ValidationError(_("A resident ID number has 18 characters."), code="id_length")
    if not ID_SHAPE.fullmatch(value):
        raise ValidationError(_("A resident ID number is 17 digits followed by a digit or X."), code="id_format")
    if ric.calc_check_digit(value) != value[17]:
        raise ValidationError(_("The check digit of this ID number is wrong; please check the number."), code="id_checksum")
    birth = _birth_date(value)
    if birth is None or birth < EARLIEST_BIRTH:
        raise ValidationError(_("The birth date in this ID number (digits 7-14) is not a real date."), code="id_birth_date")
    if _in_future(birth):
        raise ValidationError(_("The birth date in this ID number lies in the future."), code="id_birth_date")
    status = id_region_status(value[:6])
    if status == PROVINCE_UNKNOWN:
        raise ValidationError(_("The first two digits of this ID number are not a province code."), code="id_region")
    if status == PREFECTURE_UNKNOWN:
        raise ValidationError(_("The region code of this ID number (first six digits) is not a known prefecture."),
                              code="id_region")


def id_number_warning(value: str) -> str:
    """For a valid number: what to double-check, or "" (a county the division table does not know)."""
    if value and len(value) == 18 and id_region_status(value[:6]) == COUNTY_UNKNOWN:
        return str(_("The county code %(code)s of this ID number is not in the division table; please check the number.")
                   % {"code": value[:6]})
    return ""


def id_birth_date(value: str) -> datetime.date:
    """The birth date of a valid ID number."""
    return _birth_date(value)


def id_number_gender(value: str) -> str:
    return "male" if int(value[16]) % 2 else "female"


def validate_uscc(value: str) -> None:
    if not value:
        return
    try:
        uscc.validate(value)
    except InvalidLength:
        raise ValidationError(_("A unified social credit code has 18 characters."), code="uscc_length")
    except InvalidChecksum:
        raise ValidationError(_("The check character of this credit code is wrong."), code="uscc_checksum")
    except (InvalidFormat, InvalidComponent):
        raise ValidationError(_("This is not a valid unified social credit code."), code="uscc_format")


def region_names(code: str) -> dict[str, str]:
    """Province / prefecture / county of a GB/T 2260 code, from python-stdnum's division table."""
    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    county = info.get("county", "")
    if county.startswith("["):  # "[1983-]name": historic divisions carry their years
        county = county.split("]", 1)[1].split(",")[0]
    if county:
        info["county"] = county
    return info


def validate_region(value: str) -> None:
    if value and (not re.fullmatch(r"\d{6}", value) or not region_names(value)):
        raise ValidationError(_("Choose a valid administrative region (6-digit division code)."), code="region")


def validate_geo(value: str) -> None:
    if not value:
        return
    match = re.fullmatch(r"(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)", value)
    if not match or not (-90 <= float(match[1]) <= 90 and -180 <= float(match[2]) <= 180):
        raise ValidationError(_("Enter latitude,longitude, e.g. 31.2304,121.4737."), code="geo")


def validate_bank_account(value: str) -> None:
    if value and not re.fullmatch(r"\d{8,30}", value):
        raise ValidationError(_("A bank account number has 8-30 digits."), code="bank_account")


def validate_postal_code(value: str) -> None:
    if value and not re.fullmatch(r"\d{6}", value):
        raise ValidationError(_("A postal code has 6 digits."), code="postal_code")


def validate_wechat(value: str) -> None:
    if value and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{5,19}", value):
        raise ValidationError(_("A WeChat ID has 6-20 characters and starts with a letter."), code="wechat")


def validate_qq(value: str) -> None:
    if value and not re.fullmatch(r"[1-9]\d{4,10}", value):
        raise ValidationError(_("A QQ number has 5-11 digits and does not start with 0."), code="qq")


def validate_taxpayer_id(value: str) -> None:
    if value and len(value) not in (15, 17, 18, 20):
        raise ValidationError(_("A taxpayer ID has 15, 17, 18 or 20 characters."), code="taxpayer_id")


UPLOAD_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def sniff_upload(file) -> str | None:
    """The content type a file really has if it is one we take: a JPEG/PNG/WebP that Pillow decodes,
    or a PDF by its header; None for anything else, whatever its name says."""
    from PIL import Image

    try:
        file.seek(0)
        if file.read(5) == b"%PDF-":
            return "application/pdf"
        file.seek(0)
        with Image.open(file) as image:
            kind = image.format
            image.verify()
        file.seek(0)
        with Image.open(file) as image:
            image.draft("RGB", (512, 512))  # a JPEG decodes at 1/8 scale: proof enough, and cheap
            image.load()  # verify() reads the structure only; this decodes the pixels
        return UPLOAD_IMAGE_TYPES.get(kind)
    except Exception:  # Pillow raises a dozen kinds of error for what is not an image it can decode
        return None
    finally:
        file.seek(0)


def serve_upload(file):
    """An uploaded file as a response: served as what it really is, never as what its name says;
    anything but a verified image or PDF is a download, and nothing it holds can run."""
    from django.http import FileResponse

    handle = file.open("rb")
    kind = sniff_upload(handle)
    response = FileResponse(handle, filename=file.name.rsplit("/", 1)[-1], as_attachment=kind is None,
                            content_type=kind or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    if kind != "application/pdf":  # the browser's PDF viewer does not run in a sandbox
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def validate_upload(file) -> None:
    if file and getattr(file, "size", 0) > 5 * 1024 * 1024:
        raise ValidationError(_("The file is larger than 5 MB."), code="file_size")
    if not file or getattr(file, "_committed", False):
        return  # a file stored earlier is checked again when it is served
    kind = sniff_upload(file)
    if file.name.lower().endswith(".pdf"):
        if kind != "application/pdf":
            raise ValidationError(_("This file is not a PDF."), code="file_content")
    elif kind is None or not kind.startswith("image/"):
        raise ValidationError(_("This file is not a JPEG, PNG or WebP image."), code="file_content")


# Extra validators named by the catalogue's `rule` column, keyed by field code.
FIELD_VALIDATORS = {
    "postal_code": [validate_postal_code],
    "wechat": [validate_wechat],
    "qq": [validate_qq],
    "taxpayer_id": [validate_taxpayer_id],
}
