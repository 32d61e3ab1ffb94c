"""Readers: one module per format family; a path -> per-frame histograms or label arrays."""
