"""Comparing the class distributions of several stats files."""
