"""Writes people.xls, the XLS fixture of tests/formats.rs (pip install xlwt==1.3.0)."""
import datetime

import xlwt

wb = xlwt.Workbook()
ws = wb.add_sheet("People")
date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
for j, h in enumerate(["id", "name", "score", "active", "joined"]):
    ws.write(0, j, h)
rows = [(1, "Anna", 9.5, True, datetime.date(2026, 3, 6)), (2, "Bram", 7, False, None)]
for i, r in enumerate(rows, start=1):
    for j, v in enumerate(r):
        if v is None:
            continue
        if isinstance(v, datetime.date):
            ws.write(i, j, v, date)
        else:
            ws.write(i, j, v)
other = wb.add_sheet("Other")
other.write(0, 0, "x")
other.write(1, 0, "y")
wb.save("people.xls")
