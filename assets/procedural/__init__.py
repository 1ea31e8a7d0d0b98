"""Build the procedural meshes of the asset catalog.

Run ``python -m assets.build_meshes [--out DIR]`` (or ``python -m assets.procedural``);
it writes ``<id>.glb`` for every asset in :data:`ASSETS` to ``assets/meshes/`` (or
``DIR``): the cars and the van (:data:`VEHICLES`), a box truck, a pedestrian and a
cyclist (familiar objects of a road scene) and a fridge, a dog, a cat, a chair, a
traffic cone and a barrel (:data:`OBJECTS`; the "novel" objects and the remaining
familiar ones). The numbers of each asset are in ``parameters.yaml``.

Modules: :mod:`.parts` (part names, default materials), :mod:`.constants` (shared
geometric constants), :mod:`.params` (the parameter base class and the YAML
loader), :mod:`.primitives` (convex solids), :mod:`.vehicles` (cars, vans),
:mod:`.truck` (box truck), :mod:`.people` (pedestrian, cyclist), :mod:`.animals`
(dog, cat), :mod:`.furniture` (chair, cone, barrel, fridge), :mod:`.export`
(assembly, GLB export, command line).

Conventions (the renderer relies on them):

* units are metres;
* x = right (width), y = forward (length, the front of an object -- the
  direction it faces or drives -- points to +y), z = up;
* the origin is the centre of the footprint (the bounding box's centre in x
  and y) at ground level; the lowest point is exactly z = 0 (a flat facet of
  each tyre, the soles, the paws, the chair legs, the bases lie on z = 0);
* the bounding box is exactly ``length_m`` (y) x ``width_m`` (x) x
  ``height_m`` (z) of the parameters (the catalog holds the same numbers);
* every GLB holds one geometry per part, named after the part, and one node of
  the same name showing it, with a default PBR material of the same name (see
  :data:`PART_MATERIALS`). Part names are lowercase identifiers; the renderer
  gives the parts named in its palette (``glass``, ``tyre``, ``rim``,
  ``light_front``, ``light_rear``, ``plate``, ``trim``) fixed materials and
  every other part (``paint``, ``skin``, ``fur``, ...) the base colour stored
  in the file.

The vertices are written as they are: the file is z-up, *not* glTF's y-up.

Every solid is a convex hull (closed, outward normals, flat shaded); a part is
the union of several such solids. The vehicles and the truck are exact by
construction. The other objects are built from their parameters to within a
few per cent of the declared size and then stretched (per axis, at most
:data:`.constants.MAX_FIT_STRETCH`) to it exactly. The build is deterministic: no randomness.
"""

from __future__ import annotations

from .export import ASSETS, MESHES_DIR, OBJECTS, VEHICLES, build_asset, main, write_all
from .params import AssetParams
from .parts import PART_MATERIALS, PART_NAMES, PartMaterial

__all__ = [
    "ASSETS",
    "MESHES_DIR",
    "OBJECTS",
    "PART_MATERIALS",
    "PART_NAMES",
    "VEHICLES",
    "AssetParams",
    "PartMaterial",
    "build_asset",
    "main",
    "write_all",
]
