"""Downloads carry Chinese names a person can file (評分表_民國104年_書面篩選_委員姓名.xlsx); the
header is RFC 5987 ``filename*`` with an ASCII fallback (see helpers.saved_name and the
download tests of each page)."""
from __future__ import annotations

import pytest

from web.downloads import download_name


@pytest.mark.parametrize(("parts", "year", "expected"), [
    (("評分表", "書面篩選", "王大明"), 104, "評分表_民國104年_書面篩選_王大明.xlsx"),
    (("評選結果",), 104, "評選結果_民國104年.xlsx"),
    (("精進案例", "104-TPE-001"), None, "精進案例_104-TPE-001.xlsx"),
    (("議程", "第一區/第二區", ""), 104, "議程_民國104年_第一區-第二區.xlsx"),
    (("種籽師資庫", '內部版:"*?'), None, "種籽師資庫_內部版.xlsx"),
])
def test_download_names_are_chinese_and_safe_for_any_file_system(parts, year, expected):
    assert download_name(*parts, year=year, suffix="xlsx") == expected
