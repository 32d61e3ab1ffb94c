"""The cache's storage format: the records of many files as flat int64 arrays in one ``.npz``.

A shard holds, for file i: its stored name ``paths[i]``, its stat key ``stat[i]``, its frames
``frame_offsets[i]:frame_offsets[i + 1]``; for frame j: its size ``frame_pixels[j]`` and its
histogram ``values/counts[value_offsets[j]:value_offsets[j + 1]]`` and, with ``--objects``, its
components ``obj_classes/obj_sizes[obj_offsets[j]:obj_offsets[j + 1]]``. Warnings and one-hot
anomaly counters (rare, small) are JSON in ``meta``. Every image's histogram is kept, so a warm
rescan rebuilds the per-image table without reading a mask.
"""

from __future__ import annotations

import io
import json
from typing import Sequence

import numpy as np

from maskstats.core.histogram import ImageHist
from maskstats.core.notices import Notice
from maskstats.pipeline.objects import Objects
from maskstats.pipeline.records import FileRecord, pack_hists, pack_objects

SHARD_FORMAT = "maskstats-cache"
#: version 2: one histogram per image (version 1 kept one per-value table per file)
SHARD_VERSION = 2
_I64 = np.int64
ARRAYS = ("paths", "stat", "frame_offsets", "frame_pixels", "value_offsets", "values", "counts",
          "obj_offsets", "obj_classes", "obj_sizes")


class Shard:
    """The records of one shard file (read from disk or built from records)."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict):
        if meta.get("format") != SHARD_FORMAT or meta.get("version") != SHARD_VERSION:
            raise ValueError("not a maskstats cache shard of this version")
        n = len(arrays["paths"])
        fo, vo = arrays["frame_offsets"], arrays["value_offsets"]
        frames = len(arrays["frame_pixels"])
        if (arrays["stat"].shape != (n, 3) or fo.shape != (n + 1,) or vo.shape != (frames + 1,)
                or fo[0] != 0 or vo[0] != 0 or np.any(np.diff(fo) < 0)
                or np.any(np.diff(vo) < 0) or int(fo[-1]) != frames
                or int(vo[-1]) != len(arrays["values"])
                or len(arrays["counts"]) != len(arrays["values"])
                or len(meta["notices"]) != n or len(meta["extras"]) != n
                or (meta["objects"] and (arrays["obj_offsets"].shape != (frames + 1,)
                                         or int(arrays["obj_offsets"][-1])
                                         != len(arrays["obj_classes"])
                                         or len(arrays["obj_sizes"])
                                         != len(arrays["obj_classes"])))):
            raise ValueError("inconsistent array lengths")
        self.arrays, self.meta = arrays, meta
        self.paths: list[str] = arrays["paths"].tolist()
        self.keys: list[tuple] = [tuple(k) for k in arrays["stat"].tolist()]
        self._fo = fo.tolist()
        self._vo = vo.tolist()
        self._px = arrays["frame_pixels"].tolist()
        self._values, self._counts = arrays["values"], arrays["counts"]
        self._oo = arrays["obj_offsets"].tolist() if meta["objects"] else None

    @classmethod
    def from_records(cls, records: Sequence[FileRecord], names: Sequence[str]) -> "Shard":
        """Store ``records`` (each with a stat key) under the names ``names``."""
        n = len(records)
        packed = [pack_hists(r.hists) for r in records]
        frame_counts = [len(r.hists) for r in records]
        fo = np.zeros(n + 1, _I64)
        np.cumsum(frame_counts, out=fo[1:])
        lengths = np.concatenate([p[2] for p in packed]) if n else np.zeros(0, _I64)
        vo = np.zeros(len(lengths) + 1, _I64)
        np.cumsum(lengths, out=vo[1:])

        def cat(i: int) -> np.ndarray:
            return np.concatenate([p[i] for p in packed]).astype(_I64) if n else np.zeros(0, _I64)

        arrays = {"paths": np.array(list(names), dtype=str),
                  "stat": np.array([r.key for r in records], dtype=_I64).reshape(n, 3),
                  "frame_offsets": fo, "frame_pixels": cat(3), "value_offsets": vo,
                  "values": cat(0), "counts": cat(1)}
        with_objects = bool(records) and all(r.objects is not None for r in records)
        empty = np.zeros(0, _I64)
        arrays.update(obj_offsets=np.zeros(1, _I64), obj_classes=empty, obj_sizes=empty)
        if with_objects:
            objs = [pack_objects(r.objects) for r in records]
            lengths = np.concatenate([o[2] for o in objs])
            oo = np.zeros(len(lengths) + 1, _I64)
            np.cumsum(lengths, out=oo[1:])
            arrays.update(obj_offsets=oo,
                          obj_classes=np.concatenate([o[0] for o in objs]).astype(_I64),
                          obj_sizes=np.concatenate([o[1] for o in objs]).astype(_I64))
        meta = {"format": SHARD_FORMAT, "version": SHARD_VERSION, "objects": with_objects,
                "notices": [[x.to_list() for x in r.notices] for r in records],
                "extras": [p[4] for p in packed]}
        return cls(arrays, meta)

    @classmethod
    def load(cls, path: str) -> "Shard":
        """Read and check one shard; any damage raises (the caller drops the file)."""
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in (*ARRAYS, "meta")}
        return cls(arrays, json.loads(str(arrays.pop("meta"))))

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, meta=np.array(json.dumps(self.meta)), **self.arrays)
        return buf.getvalue()

    def hists(self, i: int) -> list[ImageHist]:
        """The image histograms of file ``i`` (views into the shard's arrays)."""
        values, counts, vo, px = self._values, self._counts, self._vo, self._px
        a, b = self._fo[i], self._fo[i + 1]
        extras = self.meta["extras"][i]
        if extras is None:
            return [ImageHist(values[vo[j]:vo[j + 1]], counts[vo[j]:vo[j + 1]], px[j])
                    for j in range(a, b)]
        return [ImageHist(values[vo[j]:vo[j + 1]], counts[vo[j]:vo[j + 1]], px[j],
                          extras[j - a] or None) for j in range(a, b)]

    def objects(self, i: int) -> list[Objects] | None:
        """The components of each image of file ``i`` (None when the shard holds none)."""
        if self._oo is None:
            return None
        classes, sizes = self.arrays["obj_classes"], self.arrays["obj_sizes"]
        return [Objects(classes[self._oo[j]:self._oo[j + 1]], sizes[self._oo[j]:self._oo[j + 1]])
                for j in range(self._fo[i], self._fo[i + 1])]

    def record(self, i: int, path: str | None = None) -> FileRecord:
        """File ``i`` as a record named ``path`` (default: its stored name)."""
        stored = self.meta["notices"][i]
        notices = tuple(map(Notice.from_list, stored)) if stored else ()
        return FileRecord(self.paths[i] if path is None else path, self.hists(i), notices,
                          self.keys[i], objects=self.objects(i))
