"""Administrative divisions (GB/T 2260) from python-stdnum's table, for the region picker and display."""
import re
from functools import cache

from stdnum import numdb

YEARS = re.compile(r"^\[(\d*)-(\d*)\]")


def _current_name(raw: str) -> str | None:
    """The name still in use ("[1986-]正定县" yes, "[1986-2014]栾城县" no); several may be listed."""
    for part in raw.split(","):
        match = YEARS.match(part)
        if not match:
            return part
        if not match.group(2):
            return part[match.end() :]
    return None


@cache
def current_divisions() -> tuple[tuple[str, str], ...]:
    """(code, "省 市 区") for every county-level division in use today."""
    rows = []
    for _len, province_code, _high, province_props, counties in numdb.get("cn/loc").prefixes:
        province = province_props.get("province", "")
        names = {}
        for _l, low, high, props, _children in counties:
            if low == high and (name := _current_name(props.get("county", ""))):
                names[low] = name
        for suffix, name in names.items():
            if suffix.endswith("00") or name == "市辖区":
                continue
            prefecture = names.get(suffix[:2] + "00", "")
            if prefecture in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
                prefecture = ""
            rows.append((province_code + suffix, " ".join(p for p in (province, prefecture, name) if p)))
    return tuple(rows)


@cache
def _labels() -> dict[str, str]:
    return dict(current_divisions())


def region_label(code: str) -> str:
    return _labels().get(code, code)


def search_regions(term: str, limit: int = 20) -> list[tuple[str, str]]:
    term = (term or "").strip()
    if not term:
        return []
    return [(code, label) for code, label in current_divisions() if term in label or code.startswith(term)][:limit]
