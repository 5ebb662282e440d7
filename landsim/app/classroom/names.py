"""Students' names: what a name may hold, and which names look alike.

A name is projected on the teacher's dashboard and written into the class's results, so:

* :func:`normalise` applies Unicode NFKC (full-width letters become plain ones, ligatures are
  split), removes what cannot be seen or reorders text (controls, format characters such as
  zero-width spaces and right-to-left overrides, default-ignorable characters such as the
  Hangul filler, unassigned and private-use code points), collapses white space, and allows
  at most :data:`MAX_NAME` characters;
* :func:`look_alike_keys` gives the confusable *skeletons* of Unicode's UTS #39 (section 4),
  computed by ICU's spoof checker (PyICU): two names with the same skeleton look the same
  ("Anna" with a Cyrillic "А", "l" and "I", "rn" and "m"). The skeleton of the name's case
  fold is compared too, so "ann" and "Ann" are one name on the roster.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

import icu

__all__ = ["MAX_NAME", "NameError_", "normalise", "look_alike_keys"]

#: the longest name, in characters after normalisation
MAX_NAME = 40
#: characters a name never keeps: controls (Cc), format (Cf: zero-width, bidirectional
#: overrides), surrogates, private use, unassigned, line and paragraph separators, and every
#: default-ignorable code point (invisible by definition)
_INVISIBLE = icu.UnicodeSet(r"[[:Cc:][:Cf:][:Cs:][:Co:][:Cn:][:Zl:][:Zp:][:DI:]]")
_INVISIBLE.freeze()
_SPOOF = icu.SpoofChecker()


class NameError_(ValueError):  # noqa: N801 - not the builtin NameError
    """A name that cannot be used; ``key`` names the rule (a label of the classroom's text)."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def normalise(name: Any) -> str:
    """The name as it is kept and shown (see the module docstring).

    Raises:
        NameError_: for a name that is not text ("name_text"), is empty once cleaned
            ("name_empty"), or is too long ("name_long").
    """
    if not isinstance(name, str):
        raise NameError_("name_text")
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if not _INVISIBLE.contains(ch))
    text = " ".join(text.split())
    if not text:
        raise NameError_("name_empty")
    if len(text) > MAX_NAME:
        raise NameError_("name_long", n=MAX_NAME)
    return text


@lru_cache(maxsize=4096)
def look_alike_keys(name: str) -> tuple[str, str]:
    """The UTS #39 skeletons of a normalised ``name`` and of its case fold: names that share
    either look alike."""
    return _SPOOF.getSkeleton(0, name), _SPOOF.getSkeleton(0, name.casefold())
