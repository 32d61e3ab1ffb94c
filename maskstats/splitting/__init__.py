"""Stratified, group-aware splits of a per-image table."""
