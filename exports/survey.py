"""The questionnaire's results as charts (one ReportLab drawing, as SVG for pages and inside the
PDF report), the report PDF (成效評量報告) and the raw answers as a workbook.

Everything takes :class:`kb.survey.QuestionResult` records (plain data) and returns bytes.
"""
from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.platypus import KeepTogether, Spacer

from exports.pdf import ACCENT, RULE, Typesetter, find_cjk_font, page_document
from exports.safe_write import workbook_bytes
from exports.case_workbook import read_sheet
from kb.errors import ValidationError
from kb.rocdate import roc_year
from kb.survey import RATING_LABELS, RATING_VALUES, QuestionResult

SERIES_COLOURS = [colors.HexColor(c) for c in ("#1f5f99", "#2e7d32", "#a3520b", "#6a3d9a",
                                               "#b8860b")]
CHART_SIZE = (460, 210)


def chart_drawing(result: QuestionResult, regions: list[str], font_name: str) -> Drawing:
    """A bar chart of one question: a bar per choice, one colour per region, with a legend."""
    width, height = CHART_SIZE
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 45, width - 150, height - 65
    chart.data = [[result.by_region[region][choice] for choice in result.choices]
                  for region in regions] or [[0] * len(result.choices)]
    chart.categoryAxis.categoryNames = result.choices
    for axis in (chart.categoryAxis.labels, chart.valueAxis.labels):
        axis.fontName, axis.fontSize = font_name, 8
    chart.categoryAxis.labels.angle = 20 if len(result.choices) > 5 else 0
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueStep = max(1, (max(max(row) for row in chart.data) + 4) // 5)
    for n in range(len(regions)):
        chart.bars[n].fillColor = SERIES_COLOURS[n % len(SERIES_COLOURS)]
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 95, height - 30
    legend.fontName, legend.fontSize = font_name, 8
    legend.colorNamePairs = [(SERIES_COLOURS[n % len(SERIES_COLOURS)], region)
                             for n, region in enumerate(regions)]
    drawing.add(legend)
    return drawing


def chart_svg(result: QuestionResult, regions: list[str], *, font: str | None = None) -> bytes:
    """The question's chart as SVG, its text in the reader's own sans-serif font."""
    choice = find_cjk_font(font)
    svg = renderSVG.drawToString(chart_drawing(result, regions, choice.name))
    return svg.replace(f"font-family: {choice.name}", "font-family: sans-serif").encode("utf-8")


def _summary(result: QuestionResult, regions: list[str]) -> str:
    if result.kind == "rating":
        parts = [f"平均 {result.mean:.2f} 分" if result.mean is not None else "尚無填答"]
        parts += [f"{r} {m:.2f}" for r, m in result.means_by_region.items() if m is not None]
        return f"填答 {result.count} 人；" + "，".join(parts)
    if result.kind == "open":
        return f"填答 {result.count} 人"
    return f"填答 {result.count} 人；" + "、".join(f"{c} {n}" for c, n in result.counts.items())


def build_survey_report(title: str, year: int, regions: list[str], responses: dict[str, int],
                        results: list[QuestionResult], *, font: str | None = None,
                        max_texts: int = 40) -> bytes:
    """The questionnaire report: answers per region, then each question with its numbers,
    its chart, and for open questions the common words and the answers themselves."""
    ts = Typesetter(find_cjk_font(font))
    buffer = BytesIO()
    margin = 2 * cm
    def footer(canvas, _doc):
        canvas.setStrokeColor(RULE)
        ts.draw(canvas, f"{roc_year(year)}成效評量報告　第 {canvas.getPageNumber()} 頁", margin,
                1.4 * cm, A4[0] - 2 * margin, "small")

    doc = page_document(buffer, ts, f"{roc_year(year)}{title} 成效評量報告", margin=margin,
                        on_page_end=footer)
    story = [ts.para(f"{roc_year(year)}{title}", "title"), ts.para("成效評量報告", "subtitle"),
             ts.para("填答份數：" + "、".join(f"{r} {responses.get(r, 0)} 份" for r in regions)
                     + f"，合計 {sum(responses.values())} 份。", "plain"), Spacer(1, 0.3 * cm)]
    for n, result in enumerate(results, start=1):
        head = [ts.para(f"{n}. {result.text}", "h2"), ts.para(_summary(result, regions), "plain")]
        if result.kind != "open":
            story.append(KeepTogether([*head, chart_drawing(result, regions, ts.font.name)]))
            continue
        story += head
        if result.words:
            story.append(ts.para("常見詞：" + "、".join(f"{w}（{c}）" for w, c in result.words),
                                 ts.style("plain", textColor=ACCENT)))
        story += [ts.para(f"・{region}：{text}", "plain") for region, text in result.texts[:max_texts]]
        if len(result.texts) > max_texts:
            story.append(ts.para(f"（另有 {len(result.texts) - max_texts} 則，見原始資料）", "small"))
    doc.build(story)
    return buffer.getvalue()


ANSWERS_SHEET = "填答資料"


def _question_header(question: dict) -> str:
    return f"{question['key']}：{question['text']}"


def answers_workbook(questions: list[dict], rows: list[tuple[str, str, str, dict]]) -> bytes:
    """Every answer as a row (region, source, time, one column per question). With no rows it
    is the template for typing in paper questionnaires (:func:`read_paper_answers`)."""
    book = Workbook()
    sheet = book.active
    sheet.title = ANSWERS_SHEET
    sheet.append(["分區", "來源", "填答時間", *(_question_header(q) for q in questions)])
    for region, source, at, answers in rows:
        sheet.append([region, source, at, *("、".join(v) if isinstance(v, list) else v
                                            for v in (answers.get(q["key"], "") for q in questions))])
    return workbook_bytes(book)


def read_paper_answers(data: bytes, questions: list[dict]) -> list[tuple[str, dict, str]]:
    """The paper questionnaires typed into the answers workbook: (region, answers by question
    key, where) per row. Ratings may be typed as 1–5 or as their label; several choices are
    separated by 、."""
    content = read_sheet(data, ANSWERS_SHEET)
    if not content.rows:
        raise ValidationError("檔案沒有任何資料")
    header_number, header = content.rows[0]
    labels = [str(v or "").strip() for v in header]
    wanted = ["分區", *(_question_header(q) for q in questions)]
    missing = [label for label in wanted if label not in labels]
    if missing:
        raise ValidationError(f"工作表「{content.title}」第 {header_number} 列缺少欄位："
                              + "、".join(missing) + "（請用本頁下載的範本）")
    labels_to_values = dict(zip(RATING_LABELS, RATING_VALUES))
    rows = []
    for number, values in content.rows[1:]:
        def cell(label):
            index = labels.index(label)
            return "" if index >= len(values) or values[index] is None else str(values[index]).strip()
        answers = {}
        for question in questions:
            typed = cell(_question_header(question))
            if question["kind"] == "rating":
                typed = str(labels_to_values.get(typed, typed)).removesuffix(".0")
            elif question["kind"] == "multiple":
                typed = [part.strip() for part in typed.replace("，", "、").split("、") if part.strip()]
            answers[question["key"]] = typed
        rows.append((cell("分區"), answers, f"工作表「{content.title}」第 {number} 列"))
    return rows
