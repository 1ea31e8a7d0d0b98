"""Whole-image colour transforms (paper experiment 5)."""
import numpy as np
import pytest

from scenes.images.transforms import CLASS_COLOURS, TRANSFORMS, apply_transform
from scenes.geometry.classes import SEMANTIC_CLASSES


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    semantic = np.zeros((12, 16), np.uint8)
    semantic[6:] = SEMANTIC_CLASSES["road"]
    semantic[8:10, 4:8] = SEMANTIC_CLASSES["vehicle"]
    return rgb, semantic


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_every_transform_keeps_shape_and_dtype(frame, name):
    rgb, semantic = frame
    out = apply_transform(name, rgb, semantic)
    assert out.shape == rgb.shape and out.dtype == np.uint8


def test_grayscale_has_equal_channels_and_bt601_luma(frame):
    rgb, semantic = frame
    out = apply_transform("grayscale", rgb, semantic)
    assert np.all(out[..., 0] == out[..., 1]) and np.all(out[..., 1] == out[..., 2])
    assert out[0, 0, 0] == round(0.299 * rgb[0, 0, 0] + 0.587 * rgb[0, 0, 1] + 0.114 * rgb[0, 0, 2])


def test_semantic_colours_paint_each_class_flat(frame):
    rgb, semantic = frame
    out = apply_transform("semantic_colours", rgb, semantic)
    assert tuple(out[9, 5]) == CLASS_COLOURS["vehicle"] and tuple(out[0, 0]) == CLASS_COLOURS["sky"]


def test_false_colours_keep_image_value_and_class_hue(frame):
    rgb, semantic = frame
    out = apply_transform("false_colours", rgb, semantic).astype(int)
    np.testing.assert_allclose(out.max(-1), rgb.max(-1), atol=1)
    car = out[8:10, 4:8].reshape(-1, 3)
    assert np.all(car[:, 2] >= car[:, 0]) and np.all(car[:, 2] >= car[:, 1])  # vehicle class colour is blue


def test_class_average_is_constant_per_class(frame):
    rgb, semantic = frame
    out = apply_transform("class_average", rgb, semantic)
    for class_id in np.unique(semantic):
        values = out[semantic == class_id].reshape(-1, 3)
        assert np.all(values == values[0])
        np.testing.assert_allclose(values[0], rgb[semantic == class_id].reshape(-1, 3).mean(0), atol=0.5)
