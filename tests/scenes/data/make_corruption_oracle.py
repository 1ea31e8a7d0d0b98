"""Make ``corruption_oracle.npz``: reference outputs of the original corruption code, for
``tests/scenes/test_corruptions.py::test_matches_the_reference_implementations``.

Not run by the tests (it needs ``imagecorruptions`` 1.1.2, which does not install beside this
project's pinned OpenCV; see scenes/images/corruptions.py).  Run it in a separate venv with
``pip install imagecorruptions==1.1.2 scikit-image numpy pillow scipy``:

    python tests/scenes/data/make_corruption_oracle.py tests/scenes/data/corruption_oracle.npz

It shims what imagecorruptions 1.1.2 needs to import and run today (``pkg_resources``,
``np.float_``, scikit-image's removed ``multichannel=``), seeds numpy's global RandomState
with ``SEED`` before every call, and stores each output (uint8) of the test image of
:func:`test_image` for every corruption but impulse noise (it draws from scikit-image's own
unseeded Generator) and frost (procedural here).  ``dark``, ``iso_noise`` and ``color_quant`` are
RoboDepth's functions (github.com/ldkong1205/RoboDepth, corruptions/utils.py), restated below.
"""
import os
import sys
import types

import numpy as np

SEED = 1234
SEVERITIES = (1, 3, 5)
NAMES = ("gaussian_noise", "shot_noise", "iso_noise", "defocus_blur", "glass_blur", "motion_blur", "zoom_blur",
         "snow", "fog", "brightness", "dark", "contrast", "elastic_transform", "pixelate", "jpeg_compression",
         "color_quant")


def test_image(h: int = 32, w: int = 40, seed: int = 3) -> np.ndarray:
    """Gradients, a sinusoid, an 8 px checkerboard and normal noise: uint8 (h, w, 3)."""
    rng = np.random.default_rng(seed)
    v, u = np.mgrid[0:h, 0:w]
    base = np.stack([u / w, v / h, 0.5 + 0.5 * np.sin(u / 7.0) * np.cos(v / 5.0)], -1) * 200
    checker = ((u // 8 + v // 8) % 2)[..., None] * 40
    return np.clip(base + checker + rng.normal(0, 8, (h, w, 3)), 0, 255).astype(np.uint8)


def robodepth(name: str, x: np.ndarray, severity: int) -> np.ndarray:
    """RoboDepth's low_light (dark), iso_noise and color_quant, on the global RandomState."""
    from PIL import Image, ImageOps
    if name == "color_quant":
        return np.asarray(ImageOps.posterize(Image.fromarray(x), 5 - severity + 1))
    x = np.array(x) / 255.
    if name == "dark":
        c = [0.60, 0.50, 0.40, 0.30, 0.20][severity - 1]
        x = ((((x - x.min()) / (x.max() - x.min())) ** 2.) * c) * 255 / 255.
        photons, sigma = 10 * [60, 25, 12, 5, 3][severity - 1], 0.1 * [.08, .12, .18, .26, .38][severity - 1]
    else:
        photons, sigma = 25, 0.7 * [.08, .12, .18, .26, .38][severity - 1]
    x = np.clip(np.random.poisson(x * photons) / photons, 0, 1) * 255 / 255.
    return np.uint8(np.clip(x + np.random.normal(size=x.shape, scale=sigma), 0, 1) * 255)


def main(out: str) -> None:
    import skimage.filters
    gaussian = skimage.filters.gaussian
    skimage.filters.gaussian = lambda *a, multichannel=None, **k: gaussian(
        *a, **({**k, "channel_axis": -1} if multichannel else k))
    np.float_ = np.float64
    shim = types.ModuleType("pkg_resources")
    shim.resource_filename = lambda pkg, rel: os.path.join(os.path.dirname(sys.modules[pkg].__file__), rel)
    sys.modules["pkg_resources"] = shim
    import imagecorruptions

    image = test_image()
    arrays = {"image": image}
    for name in NAMES:
        for severity in SEVERITIES:
            np.random.seed(SEED)
            if name in ("dark", "iso_noise", "color_quant"):
                arrays[f"{name}_{severity}"] = robodepth(name, image, severity)
            else:
                arrays[f"{name}_{severity}"] = imagecorruptions.corrupt(image, corruption_name=name, severity=severity)
    np.savez_compressed(out, **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
