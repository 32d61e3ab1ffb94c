"""``maskstats scan``: count pixels per class in mask files."""

from __future__ import annotations

import sys

import click

from maskstats.readers.arrays import LAYOUTS
from maskstats.cli.common import debug_option, warn
from maskstats.cli.options import (class_names_option, ignore_index_option,
                                   num_classes_option, output_option, quiet_option)
from maskstats.cli.staging import record_target, stage_table
from maskstats.cli.summary import all_classes_option, save_and_summarise
from maskstats.presets.presets import list_presets
from maskstats.core.extras import PER_IMAGE


@click.command()
@click.argument("paths", nargs=-1, metavar="PATH...")
@output_option("maskstats.json")
@ignore_index_option
@num_classes_option
@click.option("--include", multiple=True, metavar="GLOB",
              help="Only files whose path (relative to the folder) or name matches "
                   "(repeatable); replaces the files a --preset reads by default.")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Skip files whose path (relative to the folder) or name matches (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N",
              help="Worker processes [default: all cores]. The result is the same for any N.")
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail",
              show_default=True, help="Stop at an unreadable file, or list it under 'skipped'.")
@click.option("--cache", type=click.Path(file_okay=False), metavar="DIR",
              help="Per-file cache folder (e.g. ~/.cache/maskstats): a rescan reads only new "
                   "or changed files, and an interrupted scan resumes.")
@click.option("--backend", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Run on local worker processes or on Dask (extra "
                                      "'dask'; a LocalCluster of -j workers).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Address of a running Dask scheduler (e.g. tcp://host:8786); implies "
                   "--backend dask.")
@click.option("--layout", type=click.Choice(LAYOUTS), default="auto", show_default=True,
              help="Axes of .npy/.npz/.h5 arrays: mask = one mask; stack = first axis indexes "
                   "images; one-hot = last axis holds C classes with one 1 per pixel; "
                   "multi-label = last axis holds C channels counted independently (also "
                   "multi-band TIFFs); auto = 2-D mask, 3-D or (N,H,W,1) stack.")
@click.option("--key", metavar="NAME",
              help="Array in an .npz or dataset in an HDF5 file [default: the only one, else "
                   "one named masks, labels, y or y_train].")
@click.option("--preset", type=click.Choice(list_presets()), metavar="NAME",
              help="Dataset convention: classes, ignore values, names and value remap "
                   f"({', '.join(list_presets())}). --ignore-index adds to its ignore values.")
@click.option("--allow-unexpected", "allow_unexpected", is_flag=True,
              help="With --preset: go on when more than 1% of the pixels hold values outside "
                   "the preset's classes (counted apart under 'unexpected'); by default that "
                   "is an error, as the masks then use another encoding.")
@click.option("--remap", type=click.Path(dir_okay=False), metavar="FILE",
              help="Map stored values to classes before counting: JSON {\"from\": to} or "
                   "two columns 'from,to' per line; unlisted values stay.")
@class_names_option
@click.option("--colors", type=click.Path(dir_okay=False), metavar="FILE",
              help="Colour table for RGB/RGBA masks: class_dict.csv (name,r,g,b), CVAT "
                   "labelmap.txt, JSON {name: [r,g,b]}, or a palette PNG.")
@click.option("--on-unknown-color", type=click.Choice(["error", "report"]), default="error",
              show_default=True, help="Colours not in --colors: fail (exit 1, naming the top "
                                      "colours and files) or report them under "
                                      "'unknown_colors' and go on.")
@click.option("--panoptic", type=click.Path(dir_okay=False), metavar="JSON",
              help="COCO panoptic annotations: counts come from segments_info areas (PNGs not "
                   "decoded); PATH is the folder of the panoptic PNGs.")
@click.option("--verify", is_flag=True,
              help="With --panoptic: decode every PNG (id = R + 256 G + 65536 B) and check "
                   "each segment's area against the JSON.")
@click.option("--coco", type=click.Path(dir_okay=False), metavar="JSON",
              help="COCO or LVIS instance annotations (no PATH, no image decoded): c<k> = "
                   "pixels of the union of category k's masks as pycocotools rasterises "
                   "them, o<k> = its instances (iscrowd 0); classes in 'categories' order.")
@click.option("--yolo", type=click.Path(dir_okay=False), metavar="DATA_YAML",
              help="Ultralytics dataset YAML (no PATH): polygons filled as Ultralytics' "
                   "polygon2mask does (extra 'yolo'), boxes as their pixels; image sizes "
                   "from the image headers.")
@click.option("--split", metavar="NAME",
              help="With --yolo: only this split of the YAML (train, val or test) "
                   "[default: every split it lists, each image once].")
@click.option("--per-image", "per_image", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also write one row per image (frame) with its exact pixels per class: "
                   "FILE.csv, or FILE.parquet (extra 'parquet'). Columns path, frame, pixels, "
                   "ignored, unexpected, c0, c1, ...")
@click.option("--objects", is_flag=True,
              help="Also count connected components (objects) per class and their sizes "
                   "(extra 'objects'): stats object_counts and object_pixels_quantiles, "
                   "o<k> columns in --per-image.")
@click.option("--connectivity", type=click.Choice(["4", "8", "6", "18", "26"]), metavar="N",
              help="Connectivity of --objects: 4 or 8 in 2-D, 6, 18 or 26 in 3-D "
                   "[default: 8 in 2-D, 26 in 3-D].")
@click.option("--verify-checksums", is_flag=True,
              help="Also check the zlib checksum (adler32) of every PNG's image data: a second "
                   "inflate, about +80% CPU time. Chunk CRCs are always checked.")
@click.option("--window", metavar="H[xW]",
              help="With --per-image: one row per window of H x W pixels (columns y, x, "
                   "height, width after frame); the last window of each axis ends flush "
                   "with the edge. The stats keep whole-image totals.")
@click.option("--stride", metavar="S[xT]",
              help="Step between --window starts [default: the window size, no overlap].")
@click.option("--allow-gaps", is_flag=True,
              help="Accept a --stride larger than --window (pixels between windows are in "
                   "no row).")
@click.option("--crop", metavar="H[xW]",
              help="Also the exact class balance of one uniformly random H x W crop per "
                   "image: stats 'crop' with expected pixels and presence per class "
                   "(images smaller than the crop are taken whole).")
@click.option("--max-pixels", type=click.IntRange(min=1), metavar="N",
              help="Decompression-bomb limit of images decoded whole [default: 178956970]; "
                   "huge tiled/striped TIFFs are read block by block (extra 'tiff').")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@quiet_option
@all_classes_option
@debug_option
def scan(paths, output, no_progress, quiet, all_classes, **options) -> None:
    """Count pixels per class in mask files and write a stats JSON.

    PATH can be folders (walked recursively in sorted order) and files. Supported masks:
    PNG (8-bit, 16-bit, palette: the palette index is the class), TIFF, BMP, JPEG (with a
    warning), .npy/.npz arrays, HDF5 datasets (extra 'hdf5'), NIfTI .nii/.nii.gz volumes
    (extra 'nifti'; counted in voxels) and RGB/RGBA colour masks with --colors. Other files
    are skipped and counted.

    \b
    Examples:
      maskstats scan data/VOC2012/SegmentationClass --ignore-index 255
      maskstats scan gtFine/ --include '*_labelTrainIds.png' --num-classes 19 --ignore-index 255
      maskstats scan masks/ -o - | maskstats weights - --scheme inverse-max
      maskstats scan masks/ --cache ~/.cache/maskstats   # rescans read changed files only
      maskstats scan y_train.npy --layout one-hot          # Keras (N,H,W,C) one-hot stack
      maskstats scan data.npz --key y_val                  # pick one array of an .npz
      maskstats scan gtFine/ --include '*_labelIds.png' --preset cityscapes
      maskstats scan CamVid/train_labels --colors class_dict.csv
      maskstats scan panoptic_val2017/ --panoptic panoptic_val2017.json
      maskstats scan labelsTr/ --class-names dataset.json  # NIfTI (extra 'nifti'), voxels
      maskstats scan masks/ --per-image images.csv         # + one row per image
      maskstats scan masks/ --objects                      # + objects per class (extra)
      maskstats scan rasters/ --window 512 --per-image windows.csv  # one row per window
      maskstats scan --coco instances_val2017.json --per-image images.csv
      maskstats scan --yolo data.yaml --split train --per-image images.csv
    """
    from maskstats.pipeline.scan import scan as run_scan

    if not paths and all(options.get(k) is None for k in ("coco", "yolo", "split")):
        raise click.UsageError("Missing argument 'PATH...'.")

    show_progress = not no_progress and sys.stderr.isatty()
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if not show_progress:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True,
                       desc="scanning")
        bar.update(done - bar.n)

    if options.get("connectivity") is not None:
        options["connectivity"] = int(options["connectivity"])
    with stage_table(options) as staged:  # the table and the stats: one set, whole or nothing
        try:
            # every other option is a keyword argument of maskstats.scan() of the same name
            stats = run_scan(list(paths), progress=progress, on_warning=warn, **options)
        finally:
            if bar is not None:
                bar.close()
        record_target(stats, staged)
        table = stats.extra.get(PER_IMAGE)
        done = (f"Wrote {output} and {table['path']} ({table['rows']:,} rows)"
                if table else None)
        save_and_summarise(stats, output, quiet, done, all_classes=all_classes, staged=staged)

