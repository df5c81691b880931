"""Helpers shared by the test modules (networks, engines, export checks, hypothesis strategies).

``tests/`` is on ``sys.path`` (``pythonpath = tests`` in setup.cfg), so every test module, in any
folder, imports them as ``from _helpers.nets import iris_net``. Test modules never import each
other: what two of them share lives here or in a ``conftest.py``.
"""
