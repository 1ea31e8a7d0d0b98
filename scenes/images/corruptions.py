"""Common image corruptions at five severities: ImageNet-C's fifteen and RoboDepth's three more.

The definitions and severity tables are those of Hendrycks & Dietterich, *Benchmarking Neural
Network Robustness to Common Corruptions and Perturbations*, ICLR 2019 (ImageNet-C; as packaged
in ``imagecorruptions`` 1.1.2, Michaelis et al. 2019, whose parameters and order of operations
each function follows), and, for ``dark``, ``color_quant`` and ``iso_noise``, of Kong et al.,
*RoboDepth: Robust Out-of-Distribution Depth Estimation under Corruptions*, NeurIPS 2023 Datasets
and Benchmarks (``corruptions/utils.py`` of github.com/ldkong1205/RoboDepth: ``low_light``,
``color_quant``, ``iso_noise``).  The other fifteen RoboDepth corruptions are ImageNet-C's.

Why written here and not imported from ``imagecorruptions`` (checked with numpy 2.2.6,
scikit-image 0.26, scipy 1.17, setuptools 84 and the pinned opencv-python-headless 4.10.0.84):

* installing it pulls ``opencv-python`` (its declared dependency), whose ``cv2`` overwrites the
  pinned headless 4.10 build that BlenderProc reads its EXR output with (pip installed
  opencv-python 5.0.0.93 beside it, and ``cv2.__version__`` became 5.0.0);
* it does not import: ``from pkg_resources import resource_filename`` fails (setuptools >= 81
  has no ``pkg_resources``); it also uses ``np.float_`` (removed in numpy 2: fog) and
  ``multichannel=`` (removed in scikit-image 0.19: glass blur), and its impulse noise draws from
  scikit-image's own unseeded Generator;
* it draws from numpy's global RandomState; here every random draw comes from the explicit
  ``numpy.random.Generator`` the caller passes (no global state), so one seed gives the same
  bytes in any process, thread or order of frames;
* glass blur's pixel shuffle is a Python loop over every pixel with one ``randint`` call each
  (about 1.5 s per 640x192 frame); here the same sequential copies run over precomputed offsets;
* frost blends crops of six bundled frost photographs (``imagecorruptions/frost/``); they are
  not shipped here, so :func:`frost` blends a procedural frost texture instead (see there).

Only scipy, numpy and Pillow are used (OpenCV's reflect-101 border is scipy's ``mirror`` mode,
scikit-image's ``gaussian`` is ``scipy.ndimage.gaussian_filter`` with ``mode="nearest"``).
Images are RGB uint8 (H, W, 3), at least 32 x 32 pixels (as ``imagecorruptions`` requires);
each function returns values in 0 ... 255 that :func:`corrupt` truncates to uint8, as
``imagecorruptions.corrupt`` does (``np.uint8``).  Depth and masks are never touched: a
corruption changes the image the network sees, not the scene.
"""
from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

#: Severity levels (ImageNet-C and RoboDepth use 1 ... 5; 0 is the clean image in tables).
SEVERITIES = (1, 2, 3, 4, 5)
#: Smallest image side accepted, pixels (``imagecorruptions.corrupt``'s limit).
MIN_SIDE_PX = 32
#: Prefix of the image-transform id of a corruption (``corruption:<name>:<severity>``).
TRANSFORM_PREFIX = "corruption"


def _scipy_ndimage():
    from scipy import ndimage  # imported when a corruption runs (scenes loads fast without it)

    return ndimage


def _unit(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, dtype=np.float64) / 255.0


def _gray(x: np.ndarray) -> np.ndarray:
    """OpenCV's RGB-to-grey weights (ITU-R BT.601), on (H, W, 3) -> (H, W, 1)."""
    return (x @ np.array([0.299, 0.587, 0.114]))[..., None]


def _gaussian(x: np.ndarray, sigma, mode: str = "nearest", truncate: float = 4.0, channels: bool = True):
    """scikit-image's ``filters.gaussian`` (float input): per channel when ``channels``."""
    sigmas = (sigma, sigma, 0.0) if channels else sigma
    return _scipy_ndimage().gaussian_filter(x, sigmas, mode=mode, truncate=truncate)


# ----------------------------------------------------------------------------- noise


def gaussian_noise(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Additive normal noise of standard deviation 0.08 ... 0.38 (of the 0..1 range): sensor noise
    in low light (Hendrycks & Dietterich 2019)."""
    c = (0.08, 0.12, 0.18, 0.26, 0.38)[severity - 1]
    x = _unit(rgb)
    return np.clip(x + rng.normal(size=x.shape, scale=c), 0, 1) * 255


def shot_noise(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Poisson (photon) noise: value ~ Poisson(x * c) / c with c = 60 ... 3 photons per unit."""
    c = (60, 25, 12, 5, 3)[severity - 1]
    x = _unit(rgb)
    return np.clip(rng.poisson(x * c) / float(c), 0, 1) * 255


def impulse_noise(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Salt-and-pepper noise: each channel value set to 0 or 1 (equally likely) with probability
    0.03 ... 0.27 (scikit-image's ``random_noise(mode="s&p")``, as ImageNet-C calls it)."""
    amount = (0.03, 0.06, 0.09, 0.17, 0.27)[severity - 1]
    x = _unit(rgb)
    flipped = rng.random(x.shape) <= amount
    salted = rng.random(x.shape) <= 0.5
    out = x.copy()
    out[flipped & salted] = 1.0
    out[flipped & ~salted] = 0.0
    return np.clip(out, 0, 1) * 255


def iso_noise(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """RoboDepth's ISO noise: Poisson noise at 25 photons per unit, then normal noise of standard
    deviation 0.7 x ImageNet-C's Gaussian-noise levels (Kong et al. 2023, ``iso_noise``)."""
    x = np.clip(rng.poisson(_unit(rgb) * 25) / 25, 0, 1)
    c = 0.7 * (0.08, 0.12, 0.18, 0.26, 0.38)[severity - 1]
    return np.clip(x + rng.normal(size=x.shape, scale=c), 0, 1) * 255


# ----------------------------------------------------------------------------- blur


def _gaussian_kernel_1d(size: int, sigma: float) -> np.ndarray:
    """OpenCV's ``getGaussianKernel(size, sigma)`` for sigma > 0."""
    offsets = np.arange(size) - (size - 1) / 2.0
    kernel = np.exp(-offsets ** 2 / (2.0 * sigma ** 2))
    return kernel / kernel.sum()


def disk_kernel(radius: float, alias_blur: float) -> np.ndarray:
    """ImageNet-C's defocus kernel: a normalised disk of ``radius`` px on a grid of at least
    17 x 17, antialiased by a 3x3 (5x5 for radius > 8) Gaussian of ``alias_blur`` px."""
    if radius <= 8:
        grid, size = np.arange(-8, 8 + 1), 3
    else:
        grid, size = np.arange(-radius, radius + 1), 5
    xx, yy = np.meshgrid(grid, grid)
    disk = ((xx ** 2 + yy ** 2) <= radius ** 2).astype(np.float64)
    disk /= disk.sum()
    g = _gaussian_kernel_1d(size, alias_blur)
    ndimage = _scipy_ndimage()
    return ndimage.correlate1d(ndimage.correlate1d(disk, g, axis=0, mode="mirror"), g, axis=1, mode="mirror")


def defocus_blur(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Out-of-focus lens: each channel convolved with a disk of radius 3 ... 10 px (reflect-101
    borders, as OpenCV's ``filter2D``)."""
    radius, alias = ((3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5))[severity - 1]
    kernel = disk_kernel(radius, alias)
    x = _unit(rgb)
    ndimage = _scipy_ndimage()
    out = np.stack([ndimage.correlate(x[..., k], kernel, mode="mirror") for k in range(3)], axis=-1)
    return np.clip(out, 0, 1) * 255


def shuffle_pixels(image: np.ndarray, max_delta: int, iterations: int, rng: np.random.Generator) -> np.ndarray:
    """ImageNet-C's local pixel "shuffle" of glass blur, as it runs: for each pass, rows from
    ``H - max_delta`` down to ``max_delta + 1`` and within each row columns likewise, the pixel
    takes the value of the one at offset (dy, dx), each drawn uniformly from
    ``[-max_delta, max_delta)`` (``randint``'s half-open range), in that order.

    ImageNet-C writes ``x[h, w], x[h', w'] = x[h', w'], x[h, w]``; on numpy row views of an
    (H, W, 3) array that copies ``x[h', w']`` into ``x[h, w]`` and leaves ``x[h', w']`` as it was
    (the right-hand views see the first assignment), so it is not a swap.  The images of the
    benchmark were made so; it is kept.

    :param image: uint8 (H, W, 3); a new array is returned.
    """
    h, w = image.shape[:2]
    rows = np.arange(h - max_delta, max_delta, -1)
    cols = np.arange(w - max_delta, max_delta, -1)
    packed = (image[..., 0].astype(np.int64) << 16) | (image[..., 1].astype(np.int64) << 8) | image[..., 2]
    flat = packed.ravel().tolist()
    here = (rows[:, None] * w + cols[None, :]).ravel()
    for _ in range(iterations):
        dx, dy = rng.integers(-max_delta, max_delta, size=(here.size, 2)).T
        for i, j in zip(here.tolist(), (here + dy * w + dx).tolist()):
            flat[i] = flat[j]
    out = np.asarray(flat, dtype=np.int64).reshape(h, w)
    return np.stack([(out >> 16) & 255, (out >> 8) & 255, out & 255], axis=-1).astype(np.uint8)


def glass_blur(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Frosted glass: Gaussian blur (sigma 0.7 ... 1.5 px), local pixel shuffle by up to 1 ... 4 px
    (:func:`shuffle_pixels`, 1 ... 3 passes), Gaussian blur again."""
    sigma, delta, iterations = ((0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2))[severity - 1]
    x = (_gaussian(_unit(rgb), sigma) * 255).astype(np.uint8)
    x = shuffle_pixels(x, delta, iterations, rng)
    return np.clip(_gaussian(_unit(x), sigma), 0, 1) * 255


def _shift(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """ImageNet-C's ``shift``: roll by (dx, dy) px, repeating the edge row/column into the gap."""
    shifted = image
    if dx < 0:
        shifted = np.roll(image, shift=image.shape[1] + dx, axis=1)
        shifted[:, dx:] = shifted[:, dx - 1:dx]
    elif dx > 0:
        shifted = np.roll(image, shift=dx, axis=1)
        shifted[:, :dx] = shifted[:, dx:dx + 1]
    if dy < 0:
        shifted = np.roll(shifted, shift=image.shape[0] + dy, axis=0)
        shifted[dy:, :] = shifted[dy - 1:dy, :]
    elif dy > 0:
        shifted = np.roll(shifted, shift=dy, axis=0)
        shifted[:dy, :] = shifted[dy:dy + 1, :]
    return shifted


def motion_kernel_blur(x: np.ndarray, radius: int, sigma: float, angle_deg: float) -> np.ndarray:
    """ImageNet-C's ``_motion_blur``: a one-sided Gaussian (sigma px) of 2 radius + 1 taps along
    ``angle_deg``, as a sum of shifted copies (stops where a shift would leave the image)."""
    width = 2 * radius + 1
    taps = np.exp(-np.arange(width) ** 2 / (2 * sigma ** 2)) / (np.sqrt(2 * np.pi) * sigma)
    taps /= taps.sum()
    point = (width * np.sin(np.deg2rad(angle_deg)), width * np.cos(np.deg2rad(angle_deg)))
    hypot = math.hypot(*point)
    blurred = np.zeros_like(x, dtype=np.float32)
    for i in range(width):
        dy = -math.ceil(((i * point[0]) / hypot) - 0.5)
        dx = -math.ceil(((i * point[1]) / hypot) - 0.5)
        if abs(dy) >= x.shape[0] or abs(dx) >= x.shape[1]:
            break
        blurred = blurred + taps[i] * _shift(x, dx, dy)
    return blurred


def motion_blur(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Camera motion: a one-sided Gaussian streak (radius 10 ... 20 px, sigma 3 ... 15 px) at a
    uniform angle in [-45, 45] degrees."""
    radius, sigma = ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15))[severity - 1]
    angle = rng.uniform(-45, 45)
    return np.clip(motion_kernel_blur(np.asarray(rgb), radius, sigma, angle), 0, 255)


def clipped_zoom(image: np.ndarray, zoom_factor: float) -> np.ndarray:
    """ImageNet-C's ``clipped_zoom``: the centre 1/zoom of ``image`` (H, W, C) scaled up by
    ``zoom_factor`` (bilinear; the result may be a pixel smaller than the input)."""
    ch0 = int(np.ceil(image.shape[0] / float(zoom_factor)))
    top0 = (image.shape[0] - ch0) // 2
    ch1 = int(np.ceil(image.shape[1] / float(zoom_factor)))
    top1 = (image.shape[1] - ch1) // 2
    return _scipy_ndimage().zoom(image[top0:top0 + ch0, top1:top1 + ch1], (zoom_factor, zoom_factor, 1), order=1)


def _add_top_left(out: np.ndarray, layer: np.ndarray) -> None:
    """``out += layer``, onto the top-left part when ``layer`` is smaller (ImageNet-C's fallback)."""
    h, w = min(out.shape[0], layer.shape[0]), min(out.shape[1], layer.shape[1])
    out[:h, :w] += layer[:h, :w]


def zoom_blur(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Moving towards the scene: the mean of the image and its centre zoomed by 1.00 ... 1.30
    (11 ... 16 steps)."""
    factors = (np.arange(1, 1.11, 0.01), np.arange(1, 1.16, 0.01), np.arange(1, 1.21, 0.02),
               np.arange(1, 1.26, 0.02), np.arange(1, 1.31, 0.03))[severity - 1]
    x = _unit(rgb).astype(np.float32)
    out = np.zeros_like(x)
    for factor in factors:
        _add_top_left(out, clipped_zoom(x, factor))
    return np.clip((x + out) / (len(factors) + 1), 0, 1) * 255


# ----------------------------------------------------------------------------- weather


def plasma_fractal(mapsize: int, wibbledecay: float, rng: np.random.Generator) -> np.ndarray:
    """ImageNet-C's diamond-square height map (``mapsize`` a power of two), values 0 ... 1."""
    if mapsize & (mapsize - 1):
        raise ValueError(f"mapsize must be a power of two (got {mapsize})")
    grid = np.zeros((mapsize, mapsize))
    step, wibble = mapsize, 100.0
    while step >= 2:
        half = step // 2
        corners = grid[0:mapsize:step, 0:mapsize:step]
        square = corners + np.roll(corners, shift=-1, axis=0)
        square += np.roll(square, shift=-1, axis=1)
        grid[half:mapsize:step, half:mapsize:step] = square / 4 + wibble * rng.uniform(-wibble, wibble, square.shape)
        centres = grid[half:mapsize:step, half:mapsize:step]
        corners = grid[0:mapsize:step, 0:mapsize:step]
        left = centres + np.roll(centres, 1, axis=0) + corners + np.roll(corners, -1, axis=1)
        grid[0:mapsize:step, half:mapsize:step] = left / 4 + wibble * rng.uniform(-wibble, wibble, left.shape)
        top = centres + np.roll(centres, 1, axis=1) + corners + np.roll(corners, -1, axis=0)
        grid[half:mapsize:step, 0:mapsize:step] = top / 4 + wibble * rng.uniform(-wibble, wibble, top.shape)
        step //= 2
        wibble /= wibbledecay
    grid -= grid.min()
    return grid / grid.max()


def fog(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Fog: a plasma fractal (strength 1.5 ... 3, roughness decay 2 ... 1.4) added to every
    channel, then the image rescaled so its maximum keeps its value."""
    strength, decay = ((1.5, 2), (2.0, 2), (2.5, 1.7), (2.5, 1.5), (3.0, 1.4))[severity - 1]
    x = _unit(rgb)
    h, w = x.shape[:2]
    size = 1 << (max(h, w, 3) - 1).bit_length()
    max_val = x.max()
    x = x + strength * plasma_fractal(size, decay, rng)[:h, :w][..., None]
    return np.clip(x * max_val / (max_val + strength), 0, 1) * 255


def snow(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Snow: a thresholded, zoomed normal noise layer streaked by motion blur (flakes), added with
    its 180-degree rotation to an image lightened towards 1.5 x its grey value + 0.5."""
    loc, scale, zoom, threshold, radius, sigma, keep = (
        (0.1, 0.3, 3, 0.5, 10, 4, 0.8), (0.2, 0.3, 2, 0.5, 12, 4, 0.7), (0.55, 0.3, 4, 0.9, 12, 8, 0.7),
        (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65), (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55))[severity - 1]
    x = _unit(rgb).astype(np.float32)
    layer = rng.normal(size=x.shape[:2], loc=loc, scale=scale)
    layer = clipped_zoom(layer[..., None], zoom)
    layer[layer < threshold] = 0
    layer = np.clip(layer.squeeze(-1), 0, 1)
    layer = motion_kernel_blur(layer, radius, sigma, rng.uniform(-135, -45))
    layer = (np.round(layer * 255).astype(np.uint8) / 255.0)[..., None][:x.shape[0], :x.shape[1]]
    x = keep * x + (1 - keep) * np.maximum(x, _gray(x) * 1.5 + 0.5)
    _add_top_left(x, layer + np.rot90(layer, k=2))
    return np.clip(x, 0, 1) * 255


#: Per-channel mean (0..255) of the five frost photographs ImageNet-C draws from
#: (``imagecorruptions/frost/frost1.png`` ... ``frost5.jpg``: ``randint(5)``, so ``frost6.jpg`` is
#: never used), and the typical standard deviation within one photograph (15 ... 44, measured
#: here): the targets of the procedural texture, a bluish white ice.
FROST_MEAN_RGB = (145.9, 167.2, 178.9)
FROST_STD_RGB = 30.0


def frost_texture(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A procedural frost layer (H, W, 3), 0 ... 255: a plasma-fractal haze (the ice film) with
    ridged fractal veins (``(1 - |2 p - 1|)^6`` of two rougher plasma fields: thin, branching
    bright lines, like ice crystals), blurred by 0.5 px and scaled to the mean and spread of ImageNet-C's
    frost photographs (:data:`FROST_MEAN_RGB`, :data:`FROST_STD_RGB`).

    Own construction (the photographs are not shipped): it keeps what the corruption is -- a
    bright, textured ice layer over the whole lens that hides image detail -- not their exact
    crystal shapes.
    """
    side = 1 << (max(height, width, 3) - 1).bit_length()
    haze = plasma_fractal(side, 1.8, rng)[:height, :width]
    veins = np.zeros((height, width))
    for decay, weight in ((1.4, 0.6), (1.2, 0.4)):
        field = plasma_fractal(side, decay, rng)[:height, :width]
        veins += weight * (1.0 - np.abs(2.0 * field - 1.0)) ** 6
    texture = _gaussian(0.5 * haze + 0.5 * veins / veins.max(), 0.5, channels=False)
    spread = texture.std() or 1.0
    standard = (texture - texture.mean()) / spread
    return np.clip(np.array(FROST_MEAN_RGB) + FROST_STD_RGB * standard[..., None], 0, 255)


def frost(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Frost on the lens (Hendrycks & Dietterich 2019): ``c0 x + c1 frost`` with (c0, c1) from
    (1, 0.4) to (0.6, 0.75), ImageNet-C's table; the frost layer is :func:`frost_texture` (one
    texture per frame's seed) instead of a random crop of a frost photograph."""
    c0, c1 = ((1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75))[severity - 1]
    x = np.asarray(rgb, dtype=np.float64)
    return np.clip(c0 * x + c1 * frost_texture(x.shape[0], x.shape[1], rng), 0, 255)


def brightness(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Brighter light: HSV value + 0.1 ... 0.5 (clipped to 1), hue and saturation kept.

    ImageNet-C goes through scikit-image's rgb2hsv / hsv2rgb; for fixed hue and saturation RGB is
    proportional to V, so this scales each pixel by V'/V (a black pixel becomes grey V')."""
    c = (0.1, 0.2, 0.3, 0.4, 0.5)[severity - 1]
    x = _unit(rgb)
    value = x.max(axis=-1, keepdims=True)
    brighter = np.clip(value + c, 0, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(value > 0, x * (brighter / value), brighter)
    return np.clip(out, 0, 1) * 255


def dark(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """RoboDepth's low light (``low_light``, Kong et al. 2023): the range stretched to
    [0, 0.6 ... 0.2] with gamma 2, then Poisson noise (600 ... 50 photons per unit) and normal
    noise (0.008 ... 0.026): ImageNet-C's shot and Gaussian levels of the severity below, x10 and
    x0.1, so severity 1 uses their level-1 values."""
    top = (0.60, 0.50, 0.40, 0.30, 0.20)[severity - 1]
    x = _unit(rgb)
    low, high = x.min(), x.max()
    x = ((x - low) / (high - low)) ** 2 * top if high > low else np.zeros_like(x)
    photons = 10 * (60, 25, 12, 5, 3)[severity - 1]
    x = np.clip(rng.poisson(x * photons) / photons, 0, 1)
    sigma = 0.1 * (0.08, 0.12, 0.18, 0.26, 0.38)[severity - 1]
    return np.clip(x + rng.normal(size=x.shape, scale=sigma), 0, 1) * 255


# ----------------------------------------------------------------------------- digital


def contrast(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Lower contrast: each channel pulled towards its mean, keeping 0.4 ... 0.05 of the spread."""
    c = (0.4, 0.3, 0.2, 0.1, 0.05)[severity - 1]
    x = _unit(rgb)
    means = x.mean(axis=(0, 1), keepdims=True)
    return np.clip((x - means) * c + means, 0, 1) * 255


def elastic_transform(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Elastic warp (imagecorruptions 1.1.2's version): uniform displacements of at most
    0.005 H px, Gaussian-smoothed (sigma 0.01 H, 0.01 W px, truncated at 3 sigma, reflecting
    borders) and scaled by 12.5 ... 30; bilinear resampling with reflecting borders."""
    alpha = 250 * (0.05, 0.065, 0.085, 0.1, 0.12)[severity - 1]
    x = np.asarray(rgb, dtype=np.float32) / 255.0
    h, w = x.shape[:2]
    sigma = np.array([h, w]) * 0.01
    max_d = h * 0.005
    dx = (_gaussian(rng.uniform(-max_d, max_d, size=(h, w)), sigma, "reflect", 3, False) * alpha).astype(np.float32)
    dy = (_gaussian(rng.uniform(-max_d, max_d, size=(h, w)), sigma, "reflect", 3, False) * alpha).astype(np.float32)
    cols, rows, chans = np.meshgrid(np.arange(w), np.arange(h), np.arange(3))
    coords = np.stack([(rows + dy[..., None]).ravel(), (cols + dx[..., None]).ravel(), chans.ravel()])
    warped = _scipy_ndimage().map_coordinates(x, coords, order=1, mode="reflect").reshape(x.shape)
    return np.clip(warped, 0, 1) * 255


def pixelate(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Low resolution: box-downsampled to 0.6 ... 0.25 of the size, nearest-upsampled back (Pillow)."""
    c = (0.6, 0.5, 0.4, 0.3, 0.25)[severity - 1]
    h, w = rgb.shape[:2]
    small = Image.fromarray(rgb).resize((int(w * c), int(h * c)), Image.BOX)
    return np.asarray(small.resize((w, h), Image.NEAREST))


def jpeg_compression(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """JPEG at quality 25 ... 7 (Pillow's encoder), decoded again."""
    quality = (25, 18, 15, 10, 7)[severity - 1]
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"))


def color_quant(rgb: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """RoboDepth's colour quantisation (Kong et al. 2023): Pillow's posterize to 5 ... 1 bits per
    channel."""
    return np.asarray(ImageOps.posterize(Image.fromarray(rgb), 6 - severity))


# ----------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Corruption:
    """One corruption: its family (``noise``, ``blur``, ``weather``, ``digital``) and function
    ``(rgb uint8 (H, W, 3), severity 1..5, Generator) -> values 0..255``; ``source`` names the
    definition (``imagenet_c``, ``imagenet_c_procedural`` or ``robodepth``)."""

    name: str
    family: str
    function: Callable[[np.ndarray, int, np.random.Generator], np.ndarray]
    source: str = "imagenet_c"


#: Every corruption, by family in ImageNet-C's order (noise, blur, weather, digital), RoboDepth's
#: additions last in their family (RoboDepth's 18 = ImageNet-C's 15 + dark, color_quant, iso_noise).
CORRUPTIONS: dict[str, Corruption] = {c.name: c for c in (
    Corruption("gaussian_noise", "noise", gaussian_noise), Corruption("shot_noise", "noise", shot_noise),
    Corruption("impulse_noise", "noise", impulse_noise), Corruption("iso_noise", "noise", iso_noise, "robodepth"),
    Corruption("defocus_blur", "blur", defocus_blur), Corruption("glass_blur", "blur", glass_blur),
    Corruption("motion_blur", "blur", motion_blur), Corruption("zoom_blur", "blur", zoom_blur),
    Corruption("snow", "weather", snow), Corruption("frost", "weather", frost, "imagenet_c_procedural"),
    Corruption("fog", "weather", fog), Corruption("brightness", "weather", brightness),
    Corruption("dark", "weather", dark, "robodepth"),
    Corruption("contrast", "digital", contrast), Corruption("elastic_transform", "digital", elastic_transform),
    Corruption("pixelate", "digital", pixelate), Corruption("jpeg_compression", "digital", jpeg_compression),
    Corruption("color_quant", "digital", color_quant, "robodepth"),
)}
CORRUPTION_NAMES = tuple(CORRUPTIONS)
FAMILIES = ("noise", "blur", "weather", "digital")


def corrupt(rgb: np.ndarray, name: str, severity: int, rng: np.random.Generator) -> np.ndarray:
    """The image ``rgb`` (uint8 (H, W, 3), both sides >= 32 px) corrupted by ``name`` at
    ``severity`` (1 ... 5), drawing only from ``rng``; uint8 of the same shape.

    :raises ValueError: unknown name, severity outside 1 ... 5, or an image that is not
        uint8 RGB of at least 32 x 32 pixels.
    """
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; known: {', '.join(CORRUPTION_NAMES)}")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES} (got {severity!r})")
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected a uint8 RGB image (H, W, 3), got {rgb.dtype} {rgb.shape}")
    if min(rgb.shape[:2]) < MIN_SIDE_PX:
        raise ValueError(f"image sides must be at least {MIN_SIDE_PX} px (got {rgb.shape[1]}x{rgb.shape[0]})")
    out = CORRUPTIONS[name].function(np.ascontiguousarray(rgb), severity, rng)
    return np.clip(np.asarray(out, dtype=np.float64), 0, 255).astype(np.uint8)


def transform_id(name: str, severity: int) -> str:
    """The image-transform id of a corruption: ``corruption:<name>:<severity>``."""
    return f"{TRANSFORM_PREFIX}:{name}:{int(severity)}"


def parse_transform_id(text: str) -> tuple[str, int] | None:
    """(name, severity) of a corruption's transform id, None for any other transform."""
    parts = text.split(":")
    if len(parts) != 3 or parts[0] != TRANSFORM_PREFIX:
        return None
    return parts[1], int(parts[2])
