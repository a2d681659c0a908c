"""The read side of kpi, split by what it serves: scorecards, bulletin, contests (and benchmarks), overview,
history. Import the module you need (`from kpi.selectors import scorecards`)."""
