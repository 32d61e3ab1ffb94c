"""--preset binary, presets that do not fit the masks, the hints, names never dropped."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import DATA, save_png
from PIL import Image

import maskstats
from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.presets.fit import FIT_LIMIT, PresetMisfit


def test_binary_preset_on_real_em_masks():
    """ISBI EM labels (0 membrane, 255 cell) -> 2 classes with exact counts."""
    arrays = [np.asarray(Image.open(p)) for p in sorted((DATA / "em_membrane").glob("*.png"))]
    stats = maskstats.scan(DATA / "em_membrane", preset="binary", jobs=2)
    assert stats.num_classes == 2
    assert stats.class_names == ["background", "foreground"]
    assert stats.pixel_counts == [sum(int((a == 0).sum()) for a in arrays),
                                  sum(int((a == 255).sum()) for a in arrays)]
    assert stats.image_counts == [sum(bool((a == 0).any()) for a in arrays),
                                  sum(bool((a == 255).any()) for a in arrays)]
    assert not stats.unexpected


def test_binary_preset_reads_zero_one(tmp_path):
    """0/1 masks give the same classes as 0/255 ones."""
    a = np.zeros((10, 10), np.uint8)
    a[:3] = 1
    save_png(tmp_path / "m.png", a)
    stats = maskstats.scan(tmp_path, preset="binary", jobs=1)
    assert stats.pixel_counts == [70, 30]


def test_binary_preset_other_value_names_file_and_value(tmp_path):
    """Any value other than 0, 1, 255 is an error naming the file that holds it."""
    save_png(tmp_path / "a.png", np.zeros((10, 10), np.uint8))
    b = np.full((10, 10), 255, np.uint8)
    b[0, 0] = 128  # one interpolated pixel
    save_png(tmp_path / "b.png", b)
    with pytest.raises(UnreadableMask) as err:
        maskstats.scan(tmp_path, preset="binary", jobs=2)
    assert err.value.path.endswith("b.png") and "value 128" in str(err.value)


def test_binary_hint_only_for_zero_255(run, tmp_path):
    """0/255 masks: the hint names --preset binary, never --num-classes or --ignore-index."""
    result = run("scan", str(DATA / "em_membrane"), "-o", str(tmp_path / "s.json"))
    assert result.exit_code == 0
    assert "--preset binary" in result.stdout
    assert "--num-classes" not in result.stdout and "--ignore-index" not in result.stdout
    voc = run("scan", str(DATA / "voc"), "-o", str(tmp_path / "v.json"))
    assert "--preset binary" not in voc.stdout
    binary = run("scan", str(DATA / "em_membrane"), "--preset", "binary",
                 "-o", str(tmp_path / "b.json"))
    assert "Hint" not in binary.stdout


def test_num_classes_hint_not_for_sparse_ids(run, tmp_path):
    """Values 0 and 40..42 only: the hint points at --preset/--remap, not --num-classes."""
    a = np.zeros((8, 8), np.uint8)
    a[0, :3] = [40, 41, 42]
    save_png(tmp_path / "m.png", a)
    result = run("scan", str(tmp_path / "m.png"), "-o", str(tmp_path / "s.json"))
    assert "--remap" in result.stdout and "--num-classes" not in result.stdout


def camvid32(tmp_path, n=2):
    """Masks of the 32-class CamVid release: values 0..31 spread evenly."""
    rng = np.random.default_rng(5)
    arrays = [rng.integers(0, 32, (20, 20), dtype=np.uint8) for _ in range(n)]
    for i, a in enumerate(arrays):
        save_png(tmp_path / f"{i}_L.png", a)
    return arrays


def test_preset_that_does_not_fit_is_exit_1_with_share_and_values(run, tmp_path):
    """--preset camvid on 32-class masks: exit 1, one line with the share, values, opt-out."""
    arrays = camvid32(tmp_path)
    outside = sum(int((a > 11).sum()) for a in arrays)
    share = 100 * outside / sum(a.size for a in arrays)
    out = tmp_path / "s.json"
    result = run("scan", str(tmp_path), "--preset", "camvid", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert f"{share:.1f}%" in result.stderr
    assert "values 12-31" in result.stderr and "--allow-unexpected" in result.stderr
    assert not out.exists()


def test_allow_unexpected_opts_out(tmp_path):
    """With allow_unexpected the scan goes on and reports the values under unexpected."""
    arrays = camvid32(tmp_path)
    stats = maskstats.scan(tmp_path, preset="camvid", jobs=1, allow_unexpected=True)
    assert sum(stats.unexpected.values()) == sum(int((a > 11).sum()) for a in arrays)


def test_under_one_percent_outside_passes(tmp_path):
    """A few stray values (below the limit) are reported, not refused."""
    a = np.zeros((40, 40), np.uint8)
    a.flat[:int(FIT_LIMIT * a.size)] = 99
    save_png(tmp_path / "m.png", a)
    stats = maskstats.scan(tmp_path, preset="voc", jobs=1)
    assert stats.unexpected == {"99": int(FIT_LIMIT * a.size)}
    a.flat[:int(FIT_LIMIT * a.size) + 1] = 99
    save_png(tmp_path / "m.png", a)
    with pytest.raises(PresetMisfit):
        maskstats.scan(tmp_path, preset="voc", jobs=1)


def test_num_classes_never_drops_preset_names(tmp_path):
    """--num-classes that does not match a preset's names is a usage error, not nameless stats."""
    save_png(tmp_path / "m.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(UsageProblem, match="21 class names"):
        maskstats.scan(tmp_path, preset="voc", num_classes=25, jobs=1)
    stats = maskstats.scan(tmp_path, preset="voc", num_classes=21, jobs=1)
    assert len(stats.class_names) == 21


def write_colour_mask(path, rows):
    """An RGB mask holding each (rgb, pixels) of ``rows`` in turn."""
    flat = [rgb for rgb, n in rows for _ in range(n)]
    Image.fromarray(np.array(flat, np.uint8).reshape(1, -1, 3)).save(path)


def test_colour_table_ignore_row(tmp_path):
    """A class_dict.csv row named 'ignore' (or flagged) is ignored pixels, not a class."""
    (tmp_path / "t.csv").write_text("name,r,g,b\nroad,128,64,128\nignore,0,0,0\n"
                                    "car,64,0,128\n")
    (tmp_path / "f.csv").write_text("name,r,g,b,ignore\nroad,128,64,128,\nvoid,0,0,0,1\n"
                                    "car,64,0,128,0\n")
    write_colour_mask(tmp_path / "m.png", [((128, 64, 128), 5), ((0, 0, 0), 3),
                                           ((64, 0, 128), 2)])
    for table in ("t.csv", "f.csv"):
        stats = maskstats.scan(tmp_path / "m.png", colors=tmp_path / table, jobs=1)
        assert stats.class_names == ["road", "car"]
        assert stats.pixel_counts == [5, 2]
        assert stats.ignored_pixels == 3


def test_colour_table_names_kept_with_num_classes(tmp_path):
    """--num-classes differing from the colour table's names is refused, naming both."""
    (tmp_path / "t.json").write_text(json.dumps({"a": [1, 2, 3], "b": [4, 5, 6]}))
    write_colour_mask(tmp_path / "m.png", [((1, 2, 3), 2)])
    with pytest.raises(UsageProblem, match="2 class names of the colour table"):
        maskstats.scan(tmp_path / "m.png", colors=tmp_path / "t.json", num_classes=3, jobs=1)


def test_allow_unexpected_cli_exit_0(run, tmp_path):
    """scan --allow-unexpected writes the stats (exit 0) with the values under unexpected."""
    arrays = camvid32(tmp_path / "m")
    out = tmp_path / "s.json"
    result = run("scan", str(tmp_path / "m"), "--preset", "camvid", "--allow-unexpected",
                 "-o", str(out))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(out.read_text())
    assert sum(doc["unexpected"].values()) == sum(int((a > 11).sum()) for a in arrays)
