"""ipywidgets front ends: the control panel, the compare view and the sampling lab.

All three send through ``Session.arun`` (the same path as ``%%venice``) as asyncio tasks on the
kernel's running loop, so they never block the kernel and a Stop button can cancel them. The
public entry points are ``venice_jupyter.panel()``, ``.compare()`` and ``.sampling_lab()``.
"""
