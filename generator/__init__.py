"""How to render it: the only package that imports bpy / BlenderProc (see blenderproc_runtime)."""
