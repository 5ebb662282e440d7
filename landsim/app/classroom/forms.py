"""The students' Send: one browser-side template each, answered on its own widget.

* :class:`DecisionButton` — "Send my decision" and the server's answer (a branch secretary, the
  town government);
* :class:`HouseholdForm` — a household's plots, each with its choices and what each would bring,
  the field days the kept plots take, the co-op meetings tick box, and Send;
* :func:`household_decision` — what the household form's click carries, checked;
* :func:`answer`, :func:`send_texts`, :func:`SendDecision` — storing a decision and the texts
  around Send.

A click reaches the widget's ``vue_send``, which stores the decision and answers by setting
the widget's own ``answer`` traits: one small message back, no re-render of the page (forty
pages share one server interpreter: benchmarks/classroom_load.py). A household's choices live
in the browser until Send; the server checks what arrives as from anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import ipyvuetify
import solara
import traitlets

from landsim.app.classroom.room import ClassError, Classroom, Role
from landsim.app.classroom.text import t
from landsim.app.i18n import LANGUAGES
from landsim.decisions import DecisionError

__all__ = [
    "DecisionButton",
    "HouseholdForm",
    "household_decision",
    "answer",
    "send_texts",
    "SendDecision",
]

LOG = logging.getLogger("landsim.app")

#: the Send button and the answer under it, shared by both templates below; ``payload`` is
#: what the click sends to the server. Plain HTML elements, not Vuetify's: a template is one
#: Vue component that redraws whole at every change (a toggle, the answer), and forty pages
#: redraw at once on the classroom's two cores
_SEND = """
    <button type="button" class="landsim-submit" @click="send(payload)">{{ label }}</button>
    <div v-if="answer_year === year"
         :class="answer_kind === 'ok' ? 'landsim-ack' : 'landsim-reject'">{{ answer }}</div>
    <div v-else-if="decided" class="landsim-ack">{{ received }}</div>
    <div v-else class="landsim-pending">{{ pending }}</div>
"""


class DecisionButton(ipyvuetify.VuetifyTemplate):
    """The "Send my decision" button and the server's answer, as one browser-side template.

    A click reaches :meth:`vue_send` on this widget, which stores the decision and answers by
    setting this widget's own ``answer`` traits: one small message back, no re-render of the
    page. (Through a reactive variable, each answer re-rendered the student's component tree:
    about 16 ms of the server's one interpreter per decision, so the last of forty
    simultaneous clicks waited 1.3-3 s; benchmarks/classroom_load.py.)
    """

    template = traitlets.Unicode(
        f'<template>\n  <div class="landsim-send">{_SEND}  </div>\n</template>\n'
        "<script>module.exports = { computed: { payload() { return {}; } } };</script>"
    ).tag(sync=True)
    #: the button's label and the texts shown before an answer (set by the page)
    label = traitlets.Unicode("").tag(sync=True)
    pending = traitlets.Unicode("").tag(sync=True)
    received = traitlets.Unicode("").tag(sync=True)
    #: the year on the page, and whether the class already holds this role's decision for it
    #: (a reloaded page shows "received")
    year = traitlets.Int(0).tag(sync=True)
    decided = traitlets.Bool(False).tag(sync=True)
    #: the answer to the last click, set only by :meth:`vue_send`
    answer = traitlets.Unicode("").tag(sync=True)
    answer_kind = traitlets.Unicode("").tag(sync=True)
    answer_year = traitlets.Int(-1).tag(sync=True)
    #: called on a click with what the browser sent; returns ("ok" | "rejected", text). Not
    #: sent to the browser.
    submit = traitlets.Any(None)

    def vue_send(self, data: Any = None) -> None:
        """The student clicked: store the decision, answer on this widget."""
        kind, text = self.submit(data)
        with self.hold_sync():
            self.answer, self.answer_kind, self.answer_year = text, kind, self.year

    def _handle_event(self, _widget: Any, content: Any, buffers: Any) -> None:
        # the browser's click is the one message this widget takes: ipyvue's own handler would
        # also import a module and call a class that a message names ("create_widget")
        if isinstance(content, dict) and content.get("event") == "send":
            self.vue_send(content.get("data"))


class HouseholdForm(DecisionButton):
    """A household's plots with a choice for each free one, the field days its kept plots
    take, the meetings tick box, and Send.

    The choices live in the browser until Send, which sends them all with the click: a
    toggle costs the server nothing, and what is stored is what the student saw. The server
    checks what arrives as from anyone (:func:`household_decision`, then the class's rules).
    ``form`` holds the year; the plots (``plot``, ``label``, ``last``: what happened to it last
    year, ``idle``: it lay idle, ``free``, ``lease``: why it is not free, ``choice``,
    ``days``: field days to farm it, ``notes``: what each option brings); the options
    (``value``, ``text``, ``help``); the household's field days and the sentence about them
    (``days``, ``days_text`` with ``{need}`` and ``{have}``); the meetings tick box (``label``,
    ``help``, ``value``, or None without a co-op); and whether the class has ended (no Send
    then). A new year resets the choices to the page's defaults; a new language keeps them.
    """

    template = traitlets.Unicode(
        """<template>
  <div class="landsim-household-form landsim-send">
    <ul class="landsim-choice-help">
      <li v-for="o in form.options" :key="o.value"><b>{{ o.text }}</b>: {{ o.help }}</li>
    </ul>
    <div v-for="p in form.plots" :key="p.plot" :class="['landsim-plot', 'landsim-plot-' + p.plot]">
      <div class="landsim-plot-label">{{ p.label }}</div>
      <div :class="p.idle ? 'landsim-plot-last landsim-plot-why' : 'landsim-plot-last'">
        {{ p.last }}</div>
      <div v-if="!p.free" class="landsim-plot-lease">{{ p.lease }}</div>
      <div v-else class="landsim-choices" role="group">
        <button v-for="o in form.options" :key="o.value" type="button"
                :class="['landsim-choice', 'landsim-choice-' + o.value,
                         {'landsim-on': choices[p.plot] === o.value}]"
                :aria-pressed="String(choices[p.plot] === o.value)"
                @click="pick(p.plot, o.value)">
          <span class="landsim-choice-name">{{ o.text }}</span>
          <span class="landsim-choice-note">{{ p.notes[o.value] }}</span>
        </button>
      </div>
    </div>
    <div :class="over ? 'landsim-days landsim-days-over' : 'landsim-days'">{{ daysText }}</div>
    <label v-if="form.engage" class="landsim-engage">
      <input type="checkbox" v-model="engage"> {{ form.engage.label }}
    </label>
    <div v-if="form.engage" class="landsim-help landsim-engage-help">{{ form.engage.help }}</div>
    <div v-if="!form.ended">"""
        + _SEND
        + """    </div>
  </div>
</template>
<script>
module.exports = {
  data() { return { choices: {}, engage: false, for_year: null }; },
  created() { this.sync(); },
  watch: { form() { this.sync(); } },
  computed: {
    payload() {
      return this.form.engage ? { plots: this.choices, engage: this.engage }
                              : { plots: this.choices };
    },
    need() {
      let need = 0;
      for (const p of this.form.plots) {
        if (p.free && this.choices[p.plot] === 'keep') need += p.days;
      }
      return need;
    },
    over() { return this.need > this.form.days + 1e-9; },
    daysText() {
      return this.form.days_text.replace('{need}', Math.round(this.need))
                                .replace('{have}', Math.floor(this.form.days));
    },
  },
  methods: {
    pick(plot, value) { this.choices = Object.assign({}, this.choices, { [plot]: value }); },
    sync() {
      const keep = this.for_year === this.form.year;
      const choices = {};
      for (const p of this.form.plots) {
        if (!p.free) continue;
        choices[p.plot] = keep && p.plot in this.choices ? this.choices[p.plot] : p.choice;
      }
      this.choices = choices;
      if (!keep) this.engage = this.form.engage ? this.form.engage.value : false;
      this.for_year = this.form.year;
    },
  },
};
</script>"""
    ).tag(sync=True)
    form = traitlets.Dict(
        {
            "year": 0,
            "plots": [],
            "options": [],
            "days": 0.0,
            "days_text": "",
            "engage": None,
            "ended": False,
        }
    ).tag(sync=True)


def household_decision(data: Any, choices: tuple[str, ...] = ()) -> dict[str, Any]:
    """A household's decision as the browser sends it (JSON: plot numbers as text) in the form
    :meth:`~landsim.app.classroom.room.Classroom.decide` checks; ``choices`` are the options
    the page offers (empty: any text, for the class's rules to judge).

    Raises:
        ClassError: ("not_a_decision") for anything but {"plots": {"<plot>": choice},
            "engage": bool}, in the page's language.
    """

    def refuse(why: str, **values: Any) -> ClassError:
        shown = {k: str(v)[:40] for k, v in values.items()}
        return ClassError("not_a_decision", why=_Why(why, shown))

    sent = data.get("plots", {}) if isinstance(data, dict) else None
    if not isinstance(sent, dict) or len(sent) > 1000:
        raise refuse("plots")
    unknown = set(data) - {"plots", "engage"}
    if unknown:
        raise refuse("keys", keys=sorted(map(str, unknown))[:5])
    plots = {}
    for key, choice in sent.items():
        if not (isinstance(key, str) and key.isdecimal() and key.isascii() and len(key) <= 9):
            raise refuse("plot", plot=repr(key))
        if not isinstance(choice, str) or (choices and choice not in choices):
            raise refuse("choice", choice=repr(choice))
        plots[int(key)] = choice
    decision: dict[str, Any] = {"plots": plots}
    if "engage" in data:
        if not isinstance(data["engage"], bool):
            raise refuse("engage")
        decision["engage"] = data["engage"]
    return decision


class _Why:
    """A reason of :func:`household_decision`, written in the language of the page that shows
    it (:meth:`ClassError.text` calls it with the page's language)."""

    def __init__(self, key: str, values: dict[str, str]) -> None:
        self.key, self.values = key, values

    def __call__(self, lang: str) -> str:
        return t(f"why.{self.key}", lang if lang in LANGUAGES else "en", **self.values)


def answer(
    room: Classroom, role: Role, lang: str, year: int, decision: Callable[[], Any]
) -> tuple[str, str]:
    """Store what ``decision()`` returns for ``role``: ("ok", the acknowledgement) or
    ("rejected", the reason in the page's language), also when ``decision()`` itself refuses
    what the browser sent. Nothing a browser sends makes it raise."""
    try:
        room.decide(role.name, decision())
        return "ok", t("acknowledged", lang, year=year + 1)
    except ClassError as exc:
        return "rejected", t("rejected", lang, msg=exc.text(lang))
    except DecisionError as exc:  # a rule of the model no page control can break
        LOG.warning("a decision broke a rule: %s", str(exc)[:200])
        return "rejected", t("rejected", lang, msg=t("err.rule", lang, detail=str(exc)))
    except Exception as exc:  # noqa: BLE001 - the page answers; the server log says what
        LOG.warning("a decision could not be read: %s", repr(exc)[:200])
        return "rejected", t("rejected", lang, msg=t("err.unexpected", lang))


def send_texts(room: Classroom, role: Role, lang: str, year: int) -> dict[str, Any]:
    """The texts and state a :class:`DecisionButton` shows before any click on this page."""
    return {
        "label": t("submit", lang),
        "pending": t("not_decided", lang),
        "received": t("acknowledged", lang, year=year + 1),
        "year": year,
        "decided": room.has_decided(role.name),
    }


@solara.component
def SendDecision(room: Classroom, role: Role, decision: dict, lang: str, year: int):
    """The Send button and the server's answer for a branch or the government (see
    :class:`DecisionButton`); ``decision`` is what the page's controls hold."""
    if room.ended or room.finished:
        return
    DecisionButton.element(
        **send_texts(room, role, lang, year),
        submit=lambda _data: answer(room, role, lang, year, lambda: decision),
    )
