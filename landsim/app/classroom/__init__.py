"""Classroom mode: every student plays a household (or a Party branch, or the town government)
in one shared town (``landsim app --classroom``).

Modules:

* :mod:`~landsim.app.classroom.room` — one class and the registry of classes (no solara);
* :mod:`~landsim.app.classroom.text` — every label in English and Chinese;
* :mod:`~landsim.app.classroom.qr` — the join address as a QR code, drawn locally;
* :mod:`~landsim.app.classroom.pages` — the teacher's and the students' pages, and the routes
  the server serves (the plain app at ``/``, ``/teacher``, ``/join``).

The decisions themselves are checked and applied by :mod:`landsim.decisions`.
"""

__all__: list[str] = []
