"""Reading a per-image table from Parquet (the ``parquet`` extra, pyarrow), column by column."""

from __future__ import annotations

import hashlib
import os

import numpy as np

from maskstats.table.core import BadTable, EmptyTable, Table, check_layout


def read_parquet(path: str) -> Table:
    try:
        import pyarrow.parquet as pq
        import pyarrow.types as pat
    except ImportError:
        raise BadTable(f"{path}: reading Parquet needs the 'parquet' extra: "
                       "pip install 'maskstats[parquet]'") from None
    if not os.path.isfile(path):
        raise BadTable(f"{path}: no such file")
    try:
        t = pq.read_table(path)
    except Exception as exc:  # pyarrow raises many kinds on a bad file
        raise BadTable(f"{path}: cannot read the Parquet table ({exc})") from None
    header = t.column_names
    k, has_objects, windows = check_layout(header, path)
    if t.num_rows == 0:
        raise EmptyTable(f"{path}: the table has no rows")
    n = t.num_rows
    nfixed = 8 if windows else 4
    fixed = np.empty((nfixed, n), dtype=np.int64)
    counts = np.empty((n, k), dtype=np.int64)
    objects = np.empty((n, k), dtype=np.int64) if has_objects else None
    targets = [fixed[j] for j in range(nfixed)] + [counts[:, j] for j in range(k)]
    if objects is not None:
        targets += [objects[:, j] for j in range(k)]
    for name, target in zip(header[1:], targets):
        col = t.column(name)
        if not pat.is_integer(col.type):
            raise BadTable(f"{path}: column {name} holds {col.type}, not whole numbers "
                           "(counts are non-negative integers)")
        if col.null_count:
            raise BadTable(f"{path}: column {name} has {col.null_count} empty cell(s)")
        values = col.to_numpy()
        if values.dtype == np.uint64 and values.size and values.max() >= 2**63:
            raise BadTable(f"{path}: column {name}: a value is out of range (int64)")
        values = values.astype(np.int64, copy=False)
        if values.size and values.min() < 0:
            row = int(np.argmax(values < 0))
            raise BadTable(f"{path}: row {row + 1}: column {name}: {values[row]} is negative "
                           "(counts are non-negative integers)")
        target[:] = values
    paths = t.column("path")
    if not (pat.is_string(paths.type) or pat.is_large_string(paths.type)) or paths.null_count:
        raise BadTable(f"{path}: column path must hold text without gaps (found {paths.type}"
                       f"{', with nulls' if paths.null_count else ''})")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return Table(paths.to_pylist(), fixed[0], fixed[-3], fixed[-2], fixed[-1], counts, objects,
                 source=path, sha256=digest.hexdigest(),
                 windows=fixed[1:5].T.copy() if windows else None)
