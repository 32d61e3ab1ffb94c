"""What ``maskstats check`` reports: findings of a few kinds, and the report of a folder.

Each finding names one file (``path``) or several (``paths``: duplicates, one frame in several
encodings, masks without an image) and says what was seen (``detail``). The report is
``{"files": N, "findings": [...]}``; a clean folder has no findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: every kind, in the order reports list them (docs/check.md describes each)
KINDS = ("unreadable", "photo", "mixed-encodings", "lossy", "alpha", "interpolated",
         "out-of-range", "empty", "duplicate", "size-mismatch")


@dataclass(frozen=True)
class Finding:
    """One problem: its kind, the file (or files) it is about, and what was seen."""

    kind: str
    detail: str
    path: str | None = None
    paths: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind}
        if self.paths:
            d["paths"] = list(self.paths)
        else:
            d["path"] = self.path
        d["detail"] = self.detail
        return d


@dataclass
class Report:
    """The findings of one check, in :data:`KINDS` order then file order."""

    files: int
    findings: list[Finding] = field(default_factory=list)

    def sort(self) -> "Report":
        order = {k: i for i, k in enumerate(KINDS)}
        self.findings.sort(key=lambda f: order.get(f.kind, len(order)))  # stable: file order
        return self

    @property
    def clean(self) -> bool:
        return not self.findings

    def by_kind(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = {}
        for f in self.findings:
            groups.setdefault(f.kind, []).append(f)
        return groups

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "findings": [f.to_dict() for f in self.findings]}
