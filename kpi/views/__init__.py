"""The KPI pages, one module per page family: scorecards, history, bulletin, contests (and benchmarks),
overview; what they share is in common.py."""
