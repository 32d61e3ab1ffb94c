"""Counting kernels, the Stats schema, merging, atomic files and strict JSON."""
