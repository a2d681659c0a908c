"""Models arrive with their issue (customers: issue 7; kpi: issue 3)."""
