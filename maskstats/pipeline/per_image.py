"""The per-image table sink: one row per image (frame), streamed to disk as the scan runs.

``scan --per-image images.csv``. The class columns ``c0..c<K-1>`` are
known only when the scan ends (K is the largest class seen + 1 unless ``--num-classes`` fixes
it), so rows are first spooled *sparsely* (the values an image holds and their pixels, one
line per image) to a temporary file next to the output; :meth:`PerImageTable.finish` then
writes the final table in chunks of ``CHUNK`` rows through
:func:`maskstats.core.files.atomic_write_bytes`. Memory stays flat whatever the number of images, and
the output is never half-written: a failed scan leaves the old file (if any) untouched.

A row follows the stats exactly: ``c<k>`` holds the pixels of class k, ``ignored`` the pixels
of ignore values and nodata (and, for COCO panoptic, the void pixels), ``unexpected`` the pixels of
values outside [0, K) that are not ignored. Summing ``c<k>`` over the rows gives the stats'
``pixel_counts``; counting its non-zero rows gives ``image_counts``. Colours missing from a
colour table are in no column, as they are in no stats count (they stay in ``pixels``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from maskstats.core.nodata import NODATA_VALUE
from maskstats.readers.colors import UNKNOWN_BASE
from maskstats.errors import UsageProblem
from maskstats.core.files import atomic_write_bytes, format_for
from maskstats.pipeline.records import FileRecord
from maskstats.table.load import table_columns
from maskstats.table.names import check_name, csv_cell

#: file extension -> table format
TABLE_FORMATS = {".csv": "csv", ".parquet": "parquet"}
#: rows converted and written at a time
CHUNK = 4096
_I64 = np.int64


def table_format(path: str | os.PathLike) -> str:
    """``csv`` or ``parquet`` by extension (default CSV); Parquet needs pyarrow (the extra)."""
    fmt = format_for(path, None, TABLE_FORMATS, "csv")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise UsageProblem(f"{os.fspath(path)}: writing Parquet needs the 'parquet' extra: "
                               "pip install 'maskstats[parquet]'") from None
    return fmt


def _spool_folder(path: str) -> str:
    """Where the spool goes: next to the output when that is a regular (or new) file."""
    target = os.path.realpath(path)
    folder = os.path.dirname(target) or "."
    if os.path.exists(target) and not os.path.isfile(target):
        return tempfile.gettempdir()  # a device or FIFO (/dev/null): nothing to put beside it
    return folder if os.path.isdir(folder) and os.access(folder, os.W_OK) else \
        tempfile.gettempdir()


class PerImageTable:
    """A sink writing the per-image table to ``path`` (CSV or Parquet by extension).

    ``names`` maps a record's path to the name the table gives it (relative to its folder
    argument); ``void_is_ignored``: pixels in no value of an image count as ignored (COCO
    panoptic void); ``colors``: negative values from ``UNKNOWN_BASE`` up are unknown colours.
    """

    def __init__(self, path: str | os.PathLike, names: Mapping[str, str] | None = None, *,
                 void_is_ignored: bool = False, colors: bool = False, objects: bool = False):
        self.path = os.fspath(path)
        if self.path == "-":
            raise UsageProblem("--per-image needs a file name, not '-' (stdout)")
        self.fmt = table_format(self.path)
        self.names = names or {}
        self.void_is_ignored, self.colors, self.objects = void_is_ignored, colors, objects
        self.rows = 0
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n",
                                            dir=_spool_folder(self.path),
                                            prefix=".maskstats-per-image-", suffix=".spool")

    #: the integer columns saying where a row lies, between ``path`` and ``pixels``
    POSITION = ("frame",)

    def add(self, records: Sequence[FileRecord]) -> None:
        lines = []
        for r in records:
            if r.skipped is not None:
                continue
            name = self.names.get(r.path, r.path)
            check_name(name, r.path)  # before anything is written
            lines.extend(self.lines(json.dumps(name, ensure_ascii=False), r))
        self.rows += len(lines)
        self.spool.write("".join(lines))

    def lines(self, name: str, r: FileRecord) -> list[str]:
        """The spool lines of one record: name, position (comma-separated), pixels, the
        values and their pixels [, object classes and their numbers]."""
        objs = r.objects if self.objects and r.objects is not None else None
        lines = []
        for frame, h in enumerate(r.hists):
            line = spool_line(name, str(frame), int(h.pixels), h.values, h.counts)
            if objs is not None:  # components per class: classes, then their numbers
                cls, num = np.unique(objs[frame].classes, return_counts=True)
                line += (f"\t{','.join(map(str, cls.tolist()))}"
                         f"\t{','.join(map(str, num.tolist()))}")
            lines.append(line + "\n")
        return lines

    def close(self) -> None:
        self.spool.close()

    # -- the final table ---------------------------------------------------------------------
    def finish(self, num_classes: int, ignore_index: Iterable[int] = ()) -> dict[str, Any]:
        """Write the table with ``num_classes`` class columns; its ``per_image`` stats entry."""
        ignore = np.array(sorted({int(v) for v in ignore_index}), dtype=_I64)
        chunks = self._chunks(num_classes, ignore)
        digest = hashlib.sha256()
        try:
            columns = table_columns(num_classes, self.objects, windows=len(self.POSITION) > 1)
            if self.fmt == "csv":
                atomic_write_bytes(self.path, _hashed(_csv_bytes(chunks, columns), digest))
            else:
                _write_parquet(self.path, chunks, columns, digest)
        finally:
            self.close()
        return {"path": self.path, "sha256": digest.hexdigest(), "rows": self.rows}

    def _chunks(self, k: int, ignore: np.ndarray) -> Iterator[tuple]:
        """(names, fixed columns (m, P + 3), class counts (m, K) [+ objects (m, K)]) per
        CHUNK, P the position columns."""
        self.spool.flush()
        self.spool.seek(0)
        while True:
            lines = [line for _, line in zip(range(CHUNK), self.spool)]
            if not lines:
                return
            yield self._convert(lines, k, ignore)

    def _convert(self, lines: list[str], k: int, ignore: np.ndarray) -> tuple:
        m = len(lines)
        fields = [line.rstrip("\n").split("\t") for line in lines]
        names = [json.loads(f[0]) for f in fields]
        position = np.array([f[1].split(",") for f in fields], dtype=_I64).reshape(
            m, len(self.POSITION))
        pixels = np.array([int(f[2]) for f in fields], dtype=_I64)
        row, values, counts = _sparse(fields, 3, m)
        ignored_v = np.isin(values, ignore) | (values == NODATA_VALUE)
        is_class = (values >= 0) & (values < k) & ~ignored_v
        unknown = (values < 0) & (values >= UNKNOWN_BASE) if self.colors else \
            np.zeros(values.size, bool)
        classes = np.zeros((m, k), _I64)
        classes[row[is_class], values[is_class]] = counts[is_class]
        ignored = np.zeros(m, _I64)
        np.add.at(ignored, row[ignored_v], counts[ignored_v])
        unexpected = np.zeros(m, _I64)
        other = ~ignored_v & ~is_class & ~unknown
        np.add.at(unexpected, row[other], counts[other])
        if self.void_is_ignored:
            covered = np.zeros(m, _I64)
            np.add.at(covered, row, counts)
            ignored += pixels - covered
        fixed = np.concatenate([position, np.stack([pixels, ignored, unexpected], axis=1)],
                               axis=1)
        if not self.objects:
            return names, fixed, classes
        orow, ovalues, ocounts = _sparse(fields, 5, m)
        keep = (ovalues >= 0) & (ovalues < k) & ~np.isin(ovalues, ignore)
        objects = np.zeros((m, k), _I64)
        objects[orow[keep], ovalues[keep]] = ocounts[keep]
        return names, fixed, np.concatenate([classes, objects], axis=1)


def spool_line(name: str, position: str, pixels: int, values: np.ndarray,
               counts: np.ndarray) -> str:
    """One spool line (without its end): the fields :meth:`PerImageTable._convert` reads."""
    return (f"{name}\t{position}\t{pixels}\t{','.join(map(str, values.tolist()))}\t"
            f"{','.join(map(str, counts.tolist()))}")


def _sparse(fields: list[list[str]], at: int, m: int) -> tuple[np.ndarray, ...]:
    """(row, value, count) of the sparse pairs in columns ``at`` and ``at + 1`` of each line."""
    def ints(text: str) -> np.ndarray:
        return np.array(text.split(","), dtype=_I64) if text else np.zeros(0, _I64)

    parts_v = [ints(f[at]) if len(f) > at else np.zeros(0, _I64) for f in fields]
    parts_c = [ints(f[at + 1]) if len(f) > at else np.zeros(0, _I64) for f in fields]
    row = np.repeat(np.arange(m), [v.size for v in parts_v])
    return row, np.concatenate(parts_v), np.concatenate(parts_c)


def _hashed(chunks: Iterable[bytes], digest) -> Iterator[bytes]:
    for chunk in chunks:
        digest.update(chunk)
        yield chunk


def _csv_bytes(chunks: Iterable[tuple], columns: list[str]) -> Iterator[bytes]:
    yield (",".join(columns) + "\n").encode("utf-8")
    for names, fixed, classes in chunks:
        numbers = np.concatenate([fixed, classes], axis=1).tolist()
        yield "".join(f"{csv_cell(name)},{','.join(map(str, row))}\n"
                      for name, row in zip(names, numbers)).encode("utf-8")


def _write_parquet(path: str, chunks: Iterable[tuple], columns: list[str], digest) -> None:
    """Row groups of CHUNK rows into a temporary file, then copied atomically to ``path``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field("path", pa.string())]
                       + [pa.field(c, pa.int64()) for c in columns[1:]])
    with tempfile.TemporaryFile(dir=_spool_folder(path), prefix=".maskstats-per-image-",
                                suffix=".parquet") as tmp:
        with pq.ParquetWriter(tmp, schema) as writer:
            for names, fixed, classes in chunks:
                numbers = np.concatenate([fixed, classes], axis=1)
                arrays = [pa.array(names, pa.string())] + [pa.array(numbers[:, j], pa.int64())
                                                           for j in range(numbers.shape[1])]
                writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        tmp.seek(0)
        atomic_write_bytes(path, _hashed(iter(lambda: tmp.read(1 << 20), b""), digest))
