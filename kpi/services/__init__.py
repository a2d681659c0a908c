"""Writes of the kpi app, one module per concern: facts (ingest), targets, rollup."""
