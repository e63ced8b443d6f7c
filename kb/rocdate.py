"""Dates as people here read and type them: ROC years (民國115年 = 2026), the one place that
knows the 1911 offset. The web registers these as Jinja filters (``|roc_date`` …)."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from kb.errors import ValidationError, echoed

ROC_OFFSET = 1911
WEEKDAYS = "一二三四五六日"
# 115/12/08, 115-12-8, 115.12.08, 民國115年12月8日, 115年12月8日 (and 2026-12-08 from older forms)
_TYPED = re.compile(r"^(?:民國|中華民國)?\s*(\d{1,4})\s*(?:年|/|-|\.)\s*(\d{1,2})\s*(?:月|/|-|\.)"
                    r"\s*(\d{1,2})\s*日?$")
DATE_HINT = "例如 115/12/08 或 民國115年12月8日"


def roc_year(year: int, *, with_ad: bool = False) -> str:
    """An ROC year in words: 民國104年, or 民國104年（2015） ``with_ad``."""
    return f"民國{year}年（{year + ROC_OFFSET}）" if with_ad else f"民國{year}年"


def ad_year(roc: int) -> int:
    """The AD year of an ROC year (104 → 2015)."""
    return roc + ROC_OFFSET


def roc_date(day: date, *, weekday: bool = False, prefix: str = "民國") -> str:
    """A date in ROC form: 民國104年10月2日, with （星期五） when ``weekday``."""
    text = f"{prefix}{day.year - ROC_OFFSET}年{day.month}月{day.day}日"
    return f"{text}（星期{WEEKDAYS[day.weekday()]}）" if weekday else text


def roc_time(moment: datetime, *, seconds: bool = False) -> str:
    """A moment in ROC form: 民國115年12月8日 14:05 (14:05:09 with ``seconds``)."""
    return f"{roc_date(moment)} {moment:%H:%M:%S}" if seconds else f"{roc_date(moment)} {moment:%H:%M}"


def roc_date_input(day: date | None) -> str:
    """The value of a date field: 115/12/08 (empty for no date)."""
    return f"{day.year - ROC_OFFSET}/{day.month:02d}/{day.day:02d}" if day else ""


def parse_roc_date(typed: str, *, field: str = "日期") -> date | None:
    """The date a person typed as 115/12/08, 民國115年12月8日 (full-width digits too) or
    2026-12-08; None for an empty field. Raises ValidationError naming ``field`` otherwise."""
    text = unicodedata.normalize("NFKC", typed or "").strip()
    if not text:
        return None
    match = _TYPED.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        try:
            return date(year if year > ROC_OFFSET else year + ROC_OFFSET, month, day)
        except ValueError:
            pass
    raise ValidationError(f"{field}「{echoed(typed)}」不是有效的日期，請以民國年填寫（{DATE_HINT}）")
