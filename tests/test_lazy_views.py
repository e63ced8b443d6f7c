"""A serving process loads a page's module when one of its URLs is first asked for: starting the
app and answering the sign-in page and a search reads no workbook or PDF library, so the first
search comes soon after start."""
from __future__ import annotations

import json
import subprocess
import sys

SERVE_AND_SEARCH = """
import json, sys
from web import create_app
app = create_app({"TESTING": True}, home=sys.argv[1])
client = app.test_client()
answers = [client.get("/login").status_code, client.get("/search?q=長照").status_code]
loaded = sorted({name.split(".")[0] for name in sys.modules} & {"openpyxl", "reportlab"})
print(json.dumps({"answers": answers, "loaded": loaded}))
"""


def test_start_sign_in_and_search_load_no_workbook_or_pdf_library(home, edition):
    run = subprocess.run([sys.executable, "-c", SERVE_AND_SEARCH, str(home)],
                         capture_output=True, text=True, check=True)
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["answers"] == [200, 200]
    assert report["loaded"] == []

