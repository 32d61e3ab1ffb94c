"""Mask images read through Pillow: PNG, TIFF, BMP, JPEG, every page of a multi-page TIFF.

8-bit images are counted with Pillow's C histogram, without building a NumPy array. Traps
handled here: palette ('P') images give palette INDICES, never colours; 16-bit values
survive; 1/2/4-bit greyscale PNGs give their stored sample values (Pillow scales them to
0..255 on decode, which is undone here); colour-coded RGB masks are refused with an
explanation rather than read as brightness; JPEG masks are read with a warning (lossy).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable, Iterator, NoReturn

import numpy as np

from maskstats.errors import UnreadableMask
from maskstats.core.histogram import ImageHist, add_hists, hist_from_array, hist_from_bins
from maskstats.readers.options import ReadOptions, Warn, integral_or_fail

JPEG_WARNING = ("JPEG masks are lossy: compression leaves stray label values along edges; "
                "check 'unexpected' in the stats, and prefer PNG masks")


def read_pil(path: str, options: ReadOptions, warn: Warn,
             source: Any = None) -> Iterator[ImageHist]:
    """PNG, TIFF, BMP, JPEG through Pillow; every page of a multi-page TIFF is an image.

    ``source``: a file object holding the bytes of ``path`` when they are already read.
    """
    return pil_images(path, options, warn, source, _frame_hists)


def pil_labels(path: str, options: ReadOptions, warn: Warn,
               data: bytes | None = None) -> Iterator[np.ndarray]:
    """The label array of every image (page) of a Pillow-read mask: the values
    :func:`read_pil` counts (palette indices, stored low-bit values, colour-table ids)."""
    import io

    return pil_images(path, options, warn, io.BytesIO(data) if data is not None else None,
                      _frame_label)


def pil_images(path: str, options: ReadOptions, warn: Warn, source: Any,
               per_frame: Callable[[str, Any, ReadOptions], Iterable]) -> Iterator:
    """``per_frame(path, image, options)`` over every frame of the image, after the checks
    of every Pillow read (decompression bombs, JPEG, damaged TIFF pages)."""
    if source is None and hasattr(path, "read"):  # an object fetched into memory (remote)
        source, path = path, str(path)
    im = _open_pil(path, source)
    with im:
        if im.format == "JPEG":
            warn(JPEG_WARNING)
        if im.format != "TIFF":
            yield from _frames(path, im, options, per_frame)
            return
        # libtiff prints damage reports on descriptor 2: they become our messages. All
        # pages are decoded before the first is handed on.
        from maskstats.readers.cstderr import capture_c_stderr

        from maskstats.readers.tiff import verify_deflate_pages

        failure: UnreadableMask | None = None
        with capture_c_stderr() as lines:
            try:
                if source is None:
                    with open(path, "rb") as fh:
                        verify_deflate_pages(path, im, fh)
                else:
                    verify_deflate_pages(path, im, source)
                results = list(_frames(path, im, options, per_frame))
            except UnreadableMask as exc:
                failure = exc
        if failure is not None:
            detail = f"; libtiff: {lines[0]}" if lines else ""
            raise UnreadableMask(path, failure.problem + detail) from None
        for line in lines:
            warn(f"{path}: libtiff: {line}")
        yield from results


def _open_pil(path: str, source: Any):
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # over MAX_IMAGE_PIXELS Pillow warns; over twice that it raises (handled below)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path if source is None else source)
    except Image.DecompressionBombError as exc:
        raise UnreadableMask(path, f"refused as a possible decompression bomb ({exc})") from None
    except UnidentifiedImageError:
        raise UnreadableMask(path, "not an image Pillow can read (unknown format or "
                             "corrupt header)") from None
    except OSError as exc:
        raise UnreadableMask(path, f"cannot open ({exc})") from None


def _frames(path: str, im, options: ReadOptions,
            per_frame: Callable[[str, Any, ReadOptions], Iterable]) -> Iterator:
    """``per_frame`` of every frame (page) of an open Pillow image."""
    for frame in range(getattr(im, "n_frames", 1)):
        try:
            if frame:
                im.seek(frame)
            yield from per_frame(path, im, options)
        except UnreadableMask:
            raise
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise UnreadableMask(path, f"truncated or corrupt image data ({exc})") from None


def _frame_hists(path: str, im, options: ReadOptions) -> Iterator[ImageHist]:
    if options.layout in ("one-hot", "multi-label"):  # bands are the channels
        from maskstats.readers.arrays import hists_of_array

        bands = np.asarray(im)
        yield from hists_of_array(path, bands if bands.ndim == 3 else bands[..., None], options)
        return
    yield _pil_hist(path, im, options)


def _frame_label(path: str, im, options: ReadOptions) -> Iterator[np.ndarray]:
    """The frame as an array of the values :func:`_pil_hist` counts."""
    mode = im.mode
    if mode == "1":  # stored bits 0/1 (Pillow may hand them out as 0/255)
        yield (np.asarray(im) != 0).astype(np.uint8)
    elif mode in ("L", "P"):
        scale = _LOW_BIT_SCALE.get(_rawmode(im) or "", 1)  # read before the decode
        arr = np.asarray(im)
        yield arr // scale if scale != 1 else arr
    elif mode.startswith("I;16") or mode in ("I", "F"):
        arr = np.asarray(im)
        yield integral_or_fail(path, arr) if mode == "F" else arr
    elif mode in ("RGB", "RGBA") and options.colors:
        from maskstats.readers.colors import class_ids

        yield class_ids(np.asarray(im), options.colors)
    else:
        _refuse_mode(path, im)


# Pillow unpacks 1/2/4-bit greyscale to 0..255; the label is the stored sample value.
_LOW_BIT_SCALE = {"1": 255, "L;1": 255, "L;2": 85, "L;2I": 85, "L;4": 17, "L;4I": 17}


def _rawmode(im) -> str | None:
    """The raw pixel layout of the (not yet loaded) frame, e.g. 'L;2' for a 2-bit PNG."""
    try:
        args = im.tile[0][3]
    except (IndexError, TypeError, AttributeError):
        return None
    return args[0] if isinstance(args, tuple) else args


def _pil_hist(path: str, im, options: ReadOptions = ReadOptions()) -> ImageHist:
    mode = im.mode
    pixels = im.size[0] * im.size[1]
    if mode in ("L", "P", "1"):
        scale = _LOW_BIT_SCALE.get(_rawmode(im) or "", 1) if mode != "1" else 255
        bins = im.histogram()  # decodes; C loop, exact for 8-bit modes
        if mode == "P":
            bins = bins[:256]
        if scale == 1:
            return hist_from_bins(bins, pixels)
        return hist_from_bins(bins[::scale], pixels)
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _hist_in_strips(path, im)
    if mode in ("RGB", "RGBA") and options.colors:
        from maskstats.readers.colors import hist_of_image

        return hist_of_image(path, im, options.colors)
    _refuse_mode(path, im)


def _refuse_mode(path: str, im) -> NoReturn:
    """The error for an image whose pixels are not label ids (colours, alpha, ...)."""
    mode = im.mode
    if mode in ("RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV"):
        raise UnreadableMask(path, _colour_message(im))
    if mode in ("LA", "La", "PA"):
        raise UnreadableMask(path, f"mode {mode} image (labels with an alpha channel); "
                             "save the mask without alpha")
    raise UnreadableMask(path, f"unsupported image mode {mode!r} for a label mask")


#: pixels per strip when a 16/32-bit image is counted strip by strip
STRIP_PIXELS = 1 << 22


def _hist_in_strips(path: str, im) -> ImageHist:
    """Count a 16/32-bit or float image in strips of rows: NumPy copies of the whole image
    (Pillow's buffer to bytes to an array) would cost three times its pixel data."""
    im.load()
    width, height = im.size
    rows = max(1, STRIP_PIXELS // max(width, 1))
    parts = []
    for y in range(0, height, rows):
        arr = np.asarray(im.crop((0, y, width, min(height, y + rows))))
        if im.mode == "F":
            arr = integral_or_fail(path, arr)
        parts.append(hist_from_array(arr))
    if not parts:
        return hist_from_array(np.zeros((0,), np.uint16))
    return add_hists(parts)


def _colour_message(im) -> str:
    msg = (f"colour-coded {im.mode} mask: its pixels are colours, not class ids; convert it "
           "to an index mask (palette or 8-bit grey), or pass a colour -> id table with "
           "--colors FILE")
    if im.mode in ("RGB", "RGBA", "CMYK", "YCbCr") and looks_like_photo(im):
        return ("looks like a photograph (JPEG, or more colours than any label set), not a "
                "label mask; if photos lie beside the masks, read only the masks with "
                "--include, e.g. --include '*.png'")
    if im.mode in ("RGB", "RGBA"):
        arr = np.asarray(im)
        if (arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all():
            msg = (f"{im.mode} image whose three channels are equal: a grey label mask saved "
                   "as colour; re-save it as 8-bit grey (mode L), e.g. "
                   "Image.open(p).convert('L').save(p)")
    return msg


#: more distinct colours than this in an RGB image: a photograph, not a colour-coded mask
#: (label sets have tens to a few hundred colours; a photo has tens of thousands)
PHOTO_COLORS = 4096


def looks_like_photo(im) -> bool:
    """A JPEG, or an image with more than :data:`PHOTO_COLORS` distinct colours."""
    return im.format == "JPEG" or im.getcolors(maxcolors=PHOTO_COLORS) is None
