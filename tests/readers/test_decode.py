"""``scan --objects`` decodes through the readers: a file the readers refuse is refused with
the same message, and the arrays hold the values the readers count."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from maskstats.readers.decode import label_images
from maskstats.readers.options import ReadOptions

pytest.importorskip("cc3d")


def _bad_files(folder) -> None:
    """Files the readers refuse, one or two per format."""
    np.save(folder / "empty.npy", np.zeros((0, 3), np.uint8))
    np.save(folder / "complex.npy", np.zeros((3, 3), np.complex64))
    (folder / "garbage.npy").write_bytes(b"not an array")
    (folder / "garbage.h5").write_bytes(b"not hdf5")
    (folder / "empty.png").write_bytes(b"")
    Image.fromarray(np.zeros((4, 4, 2), np.uint8), "LA").save(folder / "alpha.png")


@pytest.mark.parametrize("name", ["empty.npy", "complex.npy", "garbage.npy", "garbage.h5",
                                  "empty.png", "alpha.png"])
def test_objects_refuses_with_the_readers_message(tmp_path, run, name):
    """With and without --objects a refused file gives the same one-line error, exit 1."""
    pytest.importorskip("h5py")
    _bad_files(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    plain = run("scan", tmp_path / name, "-o", out / "a.json")
    objects = run("scan", tmp_path / name, "--objects", "-o", out / "b.json")
    assert plain.exit_code == objects.exit_code == 1
    assert plain.stderr.startswith(f"Error: {tmp_path / name}: ")
    assert objects.stderr == plain.stderr
    assert not (out / "b.json").exists()


def test_arrays_hold_the_stored_values(tmp_path):
    """Decoded arrays equal the arrays written: grey, 16-bit, palette indices, stack images."""
    rng = np.random.default_rng(7)
    grey = rng.integers(0, 7, (9, 11)).astype(np.uint8)
    wide = rng.integers(0, 3000, (6, 5)).astype(np.uint16)
    indices = rng.integers(0, 5, (7, 7)).astype(np.uint8)
    stack = rng.integers(0, 4, (3, 5, 6)).astype(np.int16)
    Image.fromarray(grey).save(tmp_path / "grey.png")
    Image.fromarray(wide).save(tmp_path / "wide.png")
    pal = Image.fromarray(indices, "P")
    pal.putpalette([v for i in range(256) for v in (i, 255 - i, i // 2)])
    pal.save(tmp_path / "pal.png")
    np.save(tmp_path / "stack.npy", stack)
    expected = {"grey.png": [grey], "wide.png": [wide], "pal.png": [indices],
                "stack.npy": list(stack)}
    for name, arrays in expected.items():
        decoded = [np.array(a) for a in
                   label_images(str(tmp_path / name), ReadOptions(), lambda _m: None)]
        assert len(decoded) == len(arrays)
        for got, want in zip(decoded, arrays):
            assert got.tolist() == want.tolist()
