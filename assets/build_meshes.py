"""Build the procedural meshes of the asset catalog: ``python -m assets.build_meshes [--out DIR]``.

A thin entry point; the builders, the parameters (``assets/procedural/parameters.yaml``)
and the export live in the package :mod:`assets.procedural`.
"""

from assets.procedural import ASSETS, OBJECTS, PART_MATERIALS, PART_NAMES, VEHICLES, build_asset, main, write_all

__all__ = ["ASSETS", "OBJECTS", "PART_MATERIALS", "PART_NAMES", "VEHICLES", "build_asset", "main", "write_all"]

if __name__ == "__main__":
    main()
