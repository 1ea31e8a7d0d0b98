"""``python -m assets.procedural [--out DIR]``: the same as ``python -m assets.build_meshes``."""

from assets.procedural import main

main()
