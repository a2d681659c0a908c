"""The kinds `import_csv` knows, each an importer function and its required columns.

Both doors (the management command and the admin upload) look the kind up here, so they run the same
service with the same validation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from branches.services import UNIT_COLUMNS, units_import
from customers.services.imports import CUSTOMER_COLUMNS, SNAPSHOT_COLUMNS, customers_import, snapshots_import
from kpi.services.facts import FACT_COLUMNS, facts_import
from kpi.services.targets import TARGET_COLUMNS, targets_import
from lib.csvimport import CsvRow, ImportResult
from staff.services import STAFF_COLUMNS, staff_import


@dataclass(frozen=True)
class Importer:
    columns: tuple[str, ...]
    run: Callable[..., ImportResult]
    # An importer that records who sent the file names the keyword it takes the login under.
    user_kwarg: str | None = None

    def __call__(self, rows: list[CsvRow], *, user=None) -> ImportResult:
        if self.user_kwarg:
            return self.run(rows=rows, **{self.user_kwarg: user})
        return self.run(rows=rows)


IMPORTERS: dict[str, Importer] = {
    "units": Importer(UNIT_COLUMNS, units_import),
    "staff": Importer(STAFF_COLUMNS, staff_import),
    "facts": Importer(FACT_COLUMNS, facts_import, user_kwarg="created_by"),
    "targets": Importer(TARGET_COLUMNS, targets_import, user_kwarg="changed_by"),
    "customers": Importer(CUSTOMER_COLUMNS, customers_import),
    "customer_snapshots": Importer(SNAPSHOT_COLUMNS, snapshots_import),
}
