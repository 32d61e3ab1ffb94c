"""The per-image (per-window) table: read, check, query."""
