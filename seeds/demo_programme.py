"""Venues and dates of the demo years' regional forums (成果分享), so their agendas and
certificates look like a real year's."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from kb.editions import edition_regions
from kb.models import Edition
from kb.programme import save_region_venue
from kb.rocdate import ad_year

# One venue per region, in region order.
DEMO_VENUES = ("國立臺灣大學集思會議中心", "國立中興大學圖書館國際會議廳", "國立成功大學成功會館")


def demo_forum_day(year: int, position: int) -> date:
    """The demo forum day of the region at ``position`` (0–2) in ROC ``year``: the Wednesday,
    Thursday and Friday of the second week of October."""
    day = date(ad_year(year), 10, 8)
    wednesday = day + timedelta(days=(2 - day.weekday()) % 7)
    return wednesday + timedelta(days=position)


def set_demo_venues(years: Sequence[int]) -> None:
    """Give each region of each of ``years`` (those that exist) a demo venue and forum date,
    through :func:`kb.programme.save_region_venue`."""
    for edition in Edition.select().where(Edition.year.in_(list(years))):
        for region in edition_regions(edition):
            save_region_venue(edition.year, region.name,
                              DEMO_VENUES[region.position],
                              demo_forum_day(edition.year, region.position))
