"""The routes ``landsim app --classroom`` serves.

* ``/`` — the plain app (its own town per tab; it never sees a class);
* ``/teacher`` — start a class, run it, debrief it (:mod:`~landsim.app.classroom.teacher`);
* ``/join`` — a student joins a class and plays a role (:mod:`~landsim.app.classroom.student`).

Pages hold no class state: every click goes to the class in
:data:`~landsim.app.classroom.room.REGISTRY`, which checks it. A household's plot choices stay
in the browser until Send, and a decision is answered on its own widget, not by re-rendering
the page (:mod:`~landsim.app.classroom.forms`): forty pages share one server interpreter. A
page follows its class from a watcher that sleeps until the class changes
(:func:`~landsim.app.classroom.common.use_follow`; students on the round counter, so forty
decisions do not redraw forty pages forty times).
"""

from __future__ import annotations

import solara

from landsim.app.app import Page as AppPage
from landsim.app.classroom.student import StudentPage
from landsim.app.classroom.teacher import JOIN_URL_ENV, TeacherPage

__all__ = ["routes", "TeacherPage", "StudentPage", "JOIN_URL_ENV", "Layout"]


@solara.component
def Layout(children=()):
    """The app's frame without solara's page tabs (each page is reached by its address)."""
    return solara.AppLayout(children=list(children), navigation=False)


routes = [
    solara.Route(path="/", component=AppPage, layout=Layout),
    solara.Route(path="teacher", component=TeacherPage),
    solara.Route(path="join", component=StudentPage),
]
