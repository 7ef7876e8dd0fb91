"""Finding the header row of a hand-kept sheet and proposing which column is which field.

A legacy sheet has a title row or two (`2016年客户名单`), sometimes a two-level header, and headers
written a dozen ways (`手机`, `手机号码`, `联系手机*`, `营业面积（㎡）`). Each field has aliases; the row
among the first ones that names the most fields is the header."""
import hashlib
import re
import unicodedata
from dataclasses import dataclass

SEARCH_ROWS = 30
MIN_MATCHES = 2
BRACKETS = re.compile(r"[（(\[【<《].*?[）)\]】>》]")
# A header that starts with a field's alias but goes on with one of these names something else.
OTHER_THING = ("电话", "手机", "号码", "编号", "代码", "日期", "时间", "地址", "姓名", "名称", "邮箱", "微信", "qq", "传真", "身份证")
NOISE = re.compile(r"[\s*＊:：_\-—/\\.。,，、'\"“”‘’#＃?？!！]+")


def normalise_header(text) -> str:
    """`ＱＱ号码*` → `qq号码`: half-width, lower case, no spaces, marks or punctuation."""
    if text is None:
        return ""
    return NOISE.sub("", unicodedata.normalize("NFKC", str(text)).lower())


@dataclass(frozen=True)
class Column:
    """An importable field as the header matcher sees it."""

    code: str
    label: str
    aliases: tuple[str, ...]


class HeaderMatcher:
    def __init__(self, columns: list[Column]):
        self.columns = columns
        # An alias may name several fields in order (`联系电话`: the mobile, else the landline).
        self.exact: dict[str, list[str]] = {}
        for column in columns:
            for alias in (column.code, column.label, *column.aliases):
                codes = self.exact.setdefault(normalise_header(alias), [])
                if column.code not in codes:
                    codes.append(column.code)
        # Longest first, so `客户经理电话` is not taken for `客户经理`.
        self.by_length = sorted(((a, c) for a, c in self.exact.items() if len(a) >= 2), key=lambda x: -len(x[0]))

    def candidates(self, header) -> list[str]:
        key = normalise_header(header)
        if not key:
            return []
        if key in self.exact:
            return self.exact[key]
        bare = normalise_header(BRACKETS.sub("", unicodedata.normalize("NFKC", str(header))))
        if bare in self.exact:
            return self.exact[bare]
        for alias, codes in self.by_length:
            if len(alias) >= 3 and bare.startswith(alias):
                rest = bare[len(alias):]
                if any(word in rest for word in OTHER_THING):
                    return []  # `客户经理电话` is a phone number, not the account manager
                return codes
        return []

    def match(self, header) -> str | None:
        found = self.candidates(header)
        return found[0] if found else None

    def propose(self, headers: list) -> dict[int, str]:
        """Column index → field code; a field named twice is taken from its first column only.
        Headers that name one field go first, so `手机` keeps the mobile even when an ambiguous
        `联系电话` (mobile, else landline) stands to its left and gets the landline."""
        found = [(index, self.candidates(header)) for index, header in enumerate(headers)]
        mapping, taken = {}, set()
        for index, codes in sorted((f for f in found if f[1]), key=lambda f: (len(f[1]) > 1, f[0])):
            code = next((c for c in codes if c not in taken), None)
            if code:
                mapping[index] = code
                taken.add(code)
        return dict(sorted(mapping.items()))

    def find_header(self, rows: list[tuple[int, list]]) -> tuple[int, list] | None:
        """(row number, header cells) of the row that names the most fields, or None."""
        best, best_score = None, MIN_MATCHES - 1
        for number, values in rows:
            score = len(self.propose(values))
            if score > best_score:
                best, best_score = (number, values), score
        return best


def signature(headers: list) -> str:
    """Same headers (after normalising) → same signature, to offer a saved mapping again."""
    key = "\x1f".join(normalise_header(h) for h in headers)
    return hashlib.sha256(key.encode()).hexdigest()


def column_letter(index: int) -> str:
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
