"""Every audit table in full, as a CSV file that travels with the report.

The report's main body shows a few tables in the course's layout and the PDF only summarizes
the others; their full rows are CSV files attached to the PDF (file attachments a reader
opens from the viewer's sidebar) and linked from the HTML as ``data:`` URIs, so the HTML still
opens alone, on any machine, with nothing fetched.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pandas as pd

from nnaudit.store import Run


@dataclass
class Attachment:
    audit: str
    table: str
    rows: int
    columns: int
    data: bytes              # UTF-8 CSV

    @property
    def file_name(self) -> str:
        return f"{self.audit}-{self.table}.csv"

    @property
    def uri(self) -> str:
        return "data:text/csv;base64," + base64.b64encode(self.data).decode("ascii")


def table_attachment(audit: str, name: str, df: pd.DataFrame) -> Attachment:
    return Attachment(audit=audit, table=name, rows=len(df), columns=len(df.columns),
                      data=df.to_csv(index=False).encode("utf-8"))


def run_attachments(run: Run, audits: list[str]) -> dict[str, list[Attachment]]:
    """Audit -> one attachment per table, for the audits that ran, in their order."""
    return {audit: [table_attachment(audit, name, df) for name, df in run.tables(audit).items()]
            for audit in audits}
