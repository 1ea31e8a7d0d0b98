"""Part names and their default materials.

Every GLB holds one geometry per part, named after the part, with a default PBR
material of the same name taken from :data:`PART_MATERIALS` (an asset may override
a base colour, see :attr:`assets.procedural.params.AssetParams.colours`).
"""

from __future__ import annotations

import dataclasses

#: Parts of a road vehicle, in the order they are written; all but ``paint``
#: take a fixed material from the renderer's palette.
PART_NAMES = ("paint", "glass", "tyre", "rim", "light_front", "light_rear", "plate", "trim")


@dataclasses.dataclass(frozen=True)
class PartMaterial:
    """Default PBR material of a part (linear RGBA base colour, factors 0..1)."""

    base_colour: tuple[float, float, float, float]
    metallic: float
    roughness: float


PART_MATERIALS = {
    "paint": PartMaterial((0.20, 0.33, 0.55, 1.0), metallic=0.4, roughness=0.35),
    "glass": PartMaterial((0.04, 0.05, 0.07, 1.0), metallic=0.0, roughness=0.05),
    "tyre": PartMaterial((0.03, 0.03, 0.03, 1.0), metallic=0.0, roughness=0.9),
    "rim": PartMaterial((0.60, 0.60, 0.62, 1.0), metallic=0.9, roughness=0.35),
    "light_front": PartMaterial((0.95, 0.93, 0.80, 1.0), metallic=0.0, roughness=0.2),
    "light_rear": PartMaterial((0.75, 0.04, 0.03, 1.0), metallic=0.0, roughness=0.3),
    "plate": PartMaterial((0.92, 0.92, 0.88, 1.0), metallic=0.0, roughness=0.5),
    "trim": PartMaterial((0.05, 0.05, 0.05, 1.0), metallic=0.0, roughness=0.7),
    # truck
    "cargo_box": PartMaterial((0.80, 0.80, 0.78, 1.0), metallic=0.0, roughness=0.5),
    # people (an asset may override a base colour, see AssetParams.colours)
    "skin": PartMaterial((0.55, 0.33, 0.22, 1.0), metallic=0.0, roughness=0.6),
    "hair": PartMaterial((0.035, 0.022, 0.012, 1.0), metallic=0.0, roughness=0.7),
    "cloth_top": PartMaterial((0.40, 0.05, 0.04, 1.0), metallic=0.0, roughness=0.8),
    "cloth_bottom": PartMaterial((0.03, 0.05, 0.12, 1.0), metallic=0.0, roughness=0.8),
    "shoe": PartMaterial((0.03, 0.025, 0.02, 1.0), metallic=0.0, roughness=0.6),
    # bicycle (its tyres, rims, saddle and grips use the vehicle parts tyre, rim, trim)
    "frame": PartMaterial((0.45, 0.03, 0.02, 1.0), metallic=0.3, roughness=0.35),
    "metal": PartMaterial((0.55, 0.55, 0.57, 1.0), metallic=0.9, roughness=0.35),
    # animals
    "fur": PartMaterial((0.40, 0.22, 0.08, 1.0), metallic=0.0, roughness=0.9),
    "fur_dark": PartMaterial((0.10, 0.05, 0.02, 1.0), metallic=0.0, roughness=0.9),
    "nose": PartMaterial((0.02, 0.015, 0.015, 1.0), metallic=0.0, roughness=0.4),
    "eye": PartMaterial((0.02, 0.015, 0.01, 1.0), metallic=0.0, roughness=0.1),
    # furniture and street objects
    "wood": PartMaterial((0.30, 0.14, 0.05, 1.0), metallic=0.0, roughness=0.6),
    "orange_plastic": PartMaterial((0.90, 0.18, 0.01, 1.0), metallic=0.0, roughness=0.5),
    "reflective_band": PartMaterial((0.85, 0.85, 0.85, 1.0), metallic=0.0, roughness=0.3),
    "rubber": PartMaterial((0.03, 0.03, 0.03, 1.0), metallic=0.0, roughness=0.9),
    "drum": PartMaterial((0.03, 0.10, 0.45, 1.0), metallic=0.3, roughness=0.4),
    "white_enamel": PartMaterial((0.80, 0.80, 0.78, 1.0), metallic=0.0, roughness=0.3),
    "handle": PartMaterial((0.06, 0.06, 0.06, 1.0), metallic=0.5, roughness=0.4),
    "gasket": PartMaterial((0.03, 0.03, 0.03, 1.0), metallic=0.0, roughness=0.8),
}
