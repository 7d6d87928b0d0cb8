"""The weekly staffing plan as an XLSX workbook (Vietnamese headers, as the centres' own
spreadsheets): the plan by day, hour and service with the actual figures beside it, who
sits where, and what was learned about each service."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from server.services.staffing import WeeklyPlan

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
KINDS = {"ordinary": "Ngày thường", "near_holiday": "Gần ngày lễ", "holiday": "Ngày lễ"}

PLAN_HEADERS = (
    "Ngày",
    "Thứ",
    "Loại ngày",
    "Giờ",
    "Lĩnh vực",
    "Lượt đến dự báo",
    "Tải (Erlang)",
    "Số quầy cần riêng (Erlang C)",
    "Quầy chính theo kế hoạch",
    "Quầy mở trong giờ",
    "Dự kiến % gọi trong hạn",
    "Đạt mục tiêu",
    "Lượt đến thực tế",
    "Thực tế % gọi trong hạn",
    "Số quầy thực tế đã gọi",
)
SEAT_HEADERS = ("Ngày", "Thứ", "Giờ", "Quầy", "Cán bộ")
SERVICE_HEADERS = (
    "Mã",
    "Lĩnh vực",
    "Mục tiêu (phút)",
    "Tỉ lệ gọi trong hạn mục tiêu",
    "Thời gian phục vụ TB (phút)",
    "Tỉ lệ vắng mặt",
)


def _sheet(sheet: Worksheet, title: str, headers: tuple[str, ...]) -> None:
    sheet.append([title])
    sheet["A1"].font = Font(bold=True)
    sheet.append(list(headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"


def _text(sheet: Worksheet, row: list[Any], text_columns: tuple[int, ...]) -> None:
    """Append `row`; the given columns stay text even when they look like a formula."""
    sheet.append(row)
    for index in text_columns:
        cell = sheet.cell(row=sheet.max_row, column=index + 1)
        if isinstance(cell.value, str):
            cell.data_type = "s"


def plan_xlsx(plan: WeeklyPlan) -> bytes:
    """The plan as an XLSX file."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Kế hoạch"
    title = (
        f"Kế hoạch nhân sự – {plan.site_name} – tuần từ {plan.week_start:%d/%m/%Y} "
        f"(học từ {plan.history_from:%d/%m/%Y})"
    )
    _sheet(sheet, title, PLAN_HEADERS)
    names = {s.service_id: f"{s.code} – {s.name_vi}" for s in plan.services}
    kinds = {d.day: d.kind for d in plan.forecast.days}
    for day_plan in plan.days:
        day = day_plan.day
        for hour in day_plan.hours:
            for line in hour.services:
                actual = plan.actual.get((day, hour.hour, line.service_id))
                past = day in plan.past_days
                _text(
                    sheet,
                    [
                        day,
                        WEEKDAYS[day.weekday()],
                        KINDS[kinds[day]],
                        f"{hour.hour:02d}:00",
                        names.get(line.service_id, str(line.service_id)),
                        round(line.arrivals, 2),
                        round(line.load, 3),
                        line.needed,
                        line.main_counters,
                        hour.counters,
                        round(line.level, 3),
                        "Có" if line.meets_target else "Không",
                        (actual.arrivals if actual else 0) if past else None,
                        actual.share_within_target if past and actual else None,
                        (len(actual.counter_ids) if actual else 0) if past else None,
                    ],
                    (4,),
                )
                sheet.cell(row=sheet.max_row, column=1).number_format = "DD/MM/YYYY"
                for column in (11, 14):
                    sheet.cell(row=sheet.max_row, column=column).number_format = "0.0%"
    seats = workbook.create_sheet("Bố trí cán bộ")
    _sheet(seats, title, SEAT_HEADERS)
    for day_plan in plan.days:
        for hour in day_plan.hours:
            for seat in hour.seats:
                _text(
                    seats,
                    [
                        day_plan.day,
                        WEEKDAYS[day_plan.day.weekday()],
                        f"{hour.hour:02d}:00",
                        seat.number,
                        seat.clerk_name or "(chưa có cán bộ)",
                    ],
                    (4,),
                )
                seats.cell(row=seats.max_row, column=1).number_format = "DD/MM/YYYY"
    services = workbook.create_sheet("Lĩnh vực")
    _sheet(services, title, SERVICE_HEADERS)
    for s in plan.services:
        _text(
            services,
            [
                s.code,
                s.name_vi,
                s.target_minutes,
                s.target_share,
                round(plan.forecast.service_minutes.get(s.service_id, 0.0), 2),
                round(plan.forecast.no_show_share.get(s.service_id, 0.0), 4),
            ],
            (0, 1),
        )
    for book_sheet in workbook.worksheets:
        for letter, width in zip("ABCDEFGHIJKLMNO", (12, 10, 12, 7, 34), strict=False):
            book_sheet.column_dimensions[letter].width = width
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
