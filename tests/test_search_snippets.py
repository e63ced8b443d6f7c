"""Snippets: the excerpt a hit shows, compared with a table of what it has always shown."""
from __future__ import annotations

import pytest

from helpers import case_input
from kb.cases import create_case
from kb.search import case_search, note_case_change

LONG = ("為了推動長期照顧與社區營造，本府結合民間團體與大專院校，導入 Open Data 與 GIS 圖資，"
        "服務 3,200 戶長者；另以 1999專線受理陳情，並於 2.0 版平臺整合跨局處資料，"
        "提升行政效率與民眾滿意度，後續將持續擴大辦理並檢討成效。")

# (title, summary, query, the snippet every version so far has shown)
SNIPPETS = [
    ("長照整合", LONG, "gis",
     "…大專院校，導入 Open Data 與 <mark>GIS</mark> 圖資，服務 3,200 戶長者；另以 1999專線受理陳情，並於 2.0…"),
    ("長照整合", LONG, "open data",
     "…社區營造，本府結合民間團體與大專院校，導入 <mark>Open</mark> <mark>Data</mark> 與 GIS 圖資，服務 3,200 戶長者；另以 …"),
    ("長照整合", LONG, "3,200",
     "…Open Data 與 GIS 圖資，服務 <mark>3,200</mark> 戶長者；另以 1999專線受理陳情，並於 2.0 版平臺整合跨局…"),
    ("長照整合", LONG, "200",
     "… Data 與 GIS 圖資，服務 3,<mark>200</mark> 戶長者；另以 1999專線受理陳情，並於 2.0 版平臺整合跨局處資料，…"),
    ("長照整合", LONG, "檢討成效",
     "…行政效率與民眾滿意度，後續將持續擴大辦理並<mark>檢討成效</mark>。"),
    ("長照整合", LONG, "長期照顧",
     "為了推動<mark>長期照顧</mark>與社區營造，本府結合民間團體與大專院校，導入 Open Data 與 GIS 圖資，服務 3,200 戶…"),
    ("長照整合", LONG, "长期照顾",
     "為了推動<mark>長期照顧</mark>與社區營造，本府結合民間團體與大專院校，導入 Open Data 與 GIS 圖資，服務 3,200 戶…"),
    ("長照整合", LONG, "1999",
     "… 圖資，服務 3,200 戶長者；另以 <mark>1999</mark>專線受理陳情，並於 2.0 版平臺整合跨局處資料，提升行政效率與民眾…"),
    ("臺南長照ＡＩ客服", "台南市導入ＡＩ客服與 LINE 通報，３,２００戶受惠。", "ai",
     "台南市導入<mark>ＡＩ</mark>客服與 LINE 通報，３,２００戶受惠。"),
    ("臺南長照ＡＩ客服", "台南市導入ＡＩ客服與 LINE 通報，３,２００戶受惠。", "臺南",
     "<mark>台南</mark>市導入ＡＩ客服與 LINE 通報，３,２００戶受惠。"),
    ("臺南長照ＡＩ客服", "台南市導入ＡＩ客服與 LINE 通報，３,２００戶受惠。", "3,200",
     "台南市導入ＡＩ客服與 LINE 通報，<mark>３,２００</mark>戶受惠。"),
    ("分隔字元", "前言\x1f第二段，跨域治理。", "跨域治理",
     "前言 第二段，<mark>跨域治理</mark>。"),
    ("分隔字元", "前言\x1f第二段，跨域治理。", "第二段",
     "前言 <mark>第二段</mark>，跨域治理。"),
    ("分隔字元", "前言\x1f第二段，跨域治理。", '"前言 第二段" OR 跨域治理',
     "<mark>前言 第二段</mark>，<mark>跨域治理</mark>。"),
    ("智慧城市儀表板", "整合各局處資料，提供市民即時查詢。", "儀表板",
     "整合各局處資料，提供市民即時查詢。"),
    ("㈱合作", "本府與㈱臺灣公司及 ﬁnance 團隊合作，推動" + LONG, "finance",
     "本府與㈱臺灣公司及 <mark>ﬁnance</mark> 團隊合作，推動為了推動長期照顧與社區營造，本府結合民間團體與大專院校，導入 Open …"),
    ("㈱合作", "本府與㈱臺灣公司及 ﬁnance 團隊合作，推動" + LONG, "滿意度",
     "…版平臺整合跨局處資料，提升行政效率與民眾<mark>滿意度</mark>，後續將持續擴大辦理並檢討成效。"),
    ("罕用字", "𥚃字所在的里辦公處推動社區共餐，" + LONG, "陳情",
     "…3,200 戶長者；另以 1999專線受理<mark>陳情</mark>，並於 2.0 版平臺整合跨局處資料，提升行政效率與民眾滿意度，後續將持續…"),
    ("多處相符", "社區發展協會與社區大學合作，社區發展再升級。", "社區 社區發展",
     "<mark>社區發展</mark>協會與<mark>社區</mark>大學合作，<mark>社區發展</mark>再升級。"),
    ("多處相符", "社區發展協會與社區大學合作，社區發展再升級。", "大學 OR 升級",
     "社區發展協會與社區<mark>大學</mark>合作，社區發展再<mark>升級</mark>。"),
    ("關鍵詞", "推動食農教育。", "社區營造",
     "長期照顧、<mark>社區營造</mark>"),
    ("長字", "說明：" + "abcdefghij" * 9 + " 結尾，其後另有說明文字以供對照。", "abcdefghij",
     "說明：<mark>abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij</mark>…"),
    ("最後一節", "前言。", "推廣與應用的說明",
     "<mark>推廣與應用的說明</mark>文字。"),
]


@pytest.mark.parametrize("title, summary, query, expected", SNIPPETS)
def test_snippets_are_what_they_always_were(edition, title, summary, query, expected):
    """From the snapshot and from the case written since alike."""
    case = create_case(104, case_input(title=title, summary=summary))
    case_search().rebuild(workers=1)
    stored = [hit.snippet for hit in case_search().search(query).hits]
    note_case_change([case.id])
    since = [hit.snippet for hit in case_search().search(query).hits]
    assert stored == since == [expected]
