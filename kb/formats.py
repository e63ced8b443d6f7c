"""Formats of what people type into contact fields: e-mail addresses and Taiwanese telephone
numbers, checked the same way on the web form, the Excel case list and the command line."""
from __future__ import annotations

import re
import unicodedata

EMAIL_HINT = "例如 name@city.gov.tw"
PHONE_HINT = "例如 02-2720-8889、0912-345-678，分機寫在 # 之後"
# One @, a dot in the domain, no spaces; the mail server is the final judge.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Digits with the usual separators, an optional +886 and an extension (#123, 分機123, ext 123).
_PHONE = re.compile(r"^\+?[\d\s()-]+((#|分機|轉|ext\.?)\s*\d{1,6})?$", re.IGNORECASE)
_DIGITS = re.compile(r"\d")
PHONE_DIGITS = (7, 15)  # a local number without area code … an international one


def email_problem(typed: str) -> str | None:
    """Why ``typed`` is not an e-mail address (zh-TW), or None when it is one or is empty."""
    text = unicodedata.normalize("NFKC", typed or "").strip()
    if not text or _EMAIL.match(text):
        return None
    return f"「{typed.strip()}」不是有效的電子郵件地址（{EMAIL_HINT}）"


def phone_problem(typed: str) -> str | None:
    """Why ``typed`` is not a telephone number (zh-TW), or None when it is one or is empty."""
    text = unicodedata.normalize("NFKC", typed or "").strip()
    if not text:
        return None
    main = re.split(r"#|分機|轉|ext", text, maxsplit=1, flags=re.IGNORECASE)[0]
    digits = len(_DIGITS.findall(main))
    if _PHONE.match(text) and PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        return None
    return f"「{typed.strip()}」不是有效的電話號碼（{PHONE_HINT}）"
