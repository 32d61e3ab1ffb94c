"""HDF5 datasets stored in big compressed chunks: each chunk inflated once, counts exact."""

from __future__ import annotations

import math

import numpy as np
import pytest

import maskstats
from maskstats.readers import arrayfiles, arrays
from maskstats.readers.options import ReadOptions

h5py = pytest.importorskip("h5py")


class Recorder:
    """An array with HDF5-like ``chunks`` that records the row slices read from it."""

    def __init__(self, data: np.ndarray, chunks: tuple, cached: bool = False):
        self.data, self.chunks, self.reads = data, chunks, []
        self.shape, self.dtype = data.shape, data.dtype
        self.caches_chunk_rows = cached

    def __getitem__(self, index):
        index = index if isinstance(index, tuple) else (index,)
        self.reads.append(index)
        return self.data[index]


def write(path, data, chunks, compression="gzip"):
    with h5py.File(path, "w") as fh:
        fh.create_dataset("masks", data=data, chunks=chunks, compression=compression)


@pytest.mark.parametrize("cache_limit", [arrayfiles.CHUNK_CACHE_LIMIT, 1])
def test_big_chunks_count_exactly_with_or_without_the_cache(tmp_path, monkeypatch, cache_limit):
    """Chunks larger than a piece give numpy's counts, whether a row of chunks fits in the
    chunk cache or the reader falls back to chunk-aligned pieces (mask and stack)."""
    rng = np.random.default_rng(3)
    mask = rng.integers(0, 7, (130, 110)).astype(np.uint8)
    stack = rng.integers(0, 5, (5, 70, 60)).astype(np.uint16)
    write(tmp_path / "m.h5", mask, (64, 55))
    write(tmp_path / "s.h5", stack, (2, 70, 30))
    monkeypatch.setattr(arrays, "CHUNK_ELEMENTS", 500)  # chunks of 3,520 and 4,200 values
    monkeypatch.setattr(arrayfiles, "CHUNK_CACHE_LIMIT", cache_limit)
    got = maskstats.scan(tmp_path / "m.h5").to_dict()
    assert got["pixel_counts"] == np.bincount(mask.ravel()).tolist()
    got = maskstats.scan(tmp_path / "s.h5").to_dict()
    assert got["num_images"] == 5
    assert got["pixel_counts"] == np.bincount(stack.ravel()).tolist()
    assert got["image_counts"] == [sum(int((img == c).any()) for img in stack)
                                   for c in range(5)]


def test_reader_opens_a_chunk_cache_for_a_row_of_big_compressed_chunks(tmp_path):
    """A dataset whose compressed chunks exceed a piece is opened with a cache holding all
    the chunks of one row of them; uncompressed or small chunks keep HDF5's default."""
    side, chunk = 2048, (1024, 2048)  # 2 M values per chunk, one chunk per row of chunks
    write(tmp_path / "big.h5", np.zeros((side, side), np.uint8), chunk)
    write(tmp_path / "raw.h5", np.zeros((side, side), np.uint8), chunk, compression=None)
    write(tmp_path / "small.h5", np.zeros((side, side), np.uint8), (256, 256))
    with arrayfiles.open_hdf5_dataset(tmp_path / "big.h5", None, cache_chunks=True) as ds:
        assert ds.caches_chunk_rows
        assert ds.id.get_access_plist().get_chunk_cache()[1] >= math.prod(chunk)
    for name in ("raw.h5", "small.h5"):
        with arrayfiles.open_hdf5_dataset(tmp_path / name, None, cache_chunks=True) as ds:
            assert not getattr(ds, "caches_chunk_rows", False)


def test_pieces_never_cut_a_chunk_unless_it_is_cached(monkeypatch):
    """Without a chunk cache every piece starts and ends on chunk boundaries (each chunk is
    inflated by one read); with one, pieces stay small (the cache holds the chunk)."""
    data = np.arange(40 * 30, dtype=np.int32).reshape(40, 30) % 4
    monkeypatch.setattr(arrays, "CHUNK_ELEMENTS", 90)  # 3 rows per piece
    for chunks, cached, rows in [((16, 30), False, 16), ((16, 30), True, 3), ((2, 30), False, 2)]:
        arr = Recorder(data, chunks, cached)
        (h,) = arrays.hists_of_array("x", arr, ReadOptions(layout="mask"))
        assert h.counts.tolist() == np.bincount(data.ravel()).tolist()
        starts = [index[0].start for index in arr.reads]
        assert starts == list(range(0, 40, rows))
