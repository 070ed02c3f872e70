"""Handle states shared by SkBuff and Page.

A handle's class says what Python holds on the C object: the base class
when Python owns a reference (the object cannot die under it), a
"borrowed" subclass when the object lives on other owners' references
(every access first checks it is still alive), and a "freed" subclass
whose every access raises.  A live or borrowed handle pins the object's
memory; the pin goes when the handle learns of the death (``_moved`` after
an engine call that freed it, ``_lost`` when it finds out later) or is
collected (``__del__``, which must therefore run at most once).  Switching ``__class__`` costs nothing on the
owned fast path.
"""

from __future__ import annotations

from typing import Callable

from ._engine import lib
from .errors import SkbDoubleFree, SkbUseAfterFree

LIVE = lib.SKB_STATE_LIVE
DIED = lib.SKBPY_DIED
BORROWED = lib.SKBPY_BORROWED
OWNED = lib.SKBPY_OWNED


def public_names(cls: type) -> list[str]:
    return [n for n in dir(cls) if not n.startswith("_")]


def _checked(name: str, attr: object) -> object:
    def alive(self) -> None:
        if self._cd.state != LIVE:
            self._lost()
            raise SkbUseAfterFree(f"{name} on a freed {self._kind}")

    if isinstance(attr, property):
        def fget(self):
            alive(self)
            return attr.fget(self)

        def fset(self, value):
            alive(self)
            attr.fset(self, value)

        return property(fget, fset if attr.fset is not None else None, doc=attr.__doc__)

    def method(self, *args, **kwargs):
        alive(self)
        return attr(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = getattr(attr, "__doc__", None)
    return method


def _dead(name: str, attr: object, releases: tuple[str, ...]) -> object:
    exc = SkbDoubleFree if name in releases else SkbUseAfterFree

    def fail(self, *args, **kwargs):
        raise exc(f"{name} on a freed {self._kind}")

    if isinstance(attr, property):
        return property(fail, fail)
    return fail


def derive_states(base: type, releases: tuple[str, ...],
                  borrowed_repr: Callable) -> tuple[type, type]:
    """The borrowed and freed variants of a handle class.

    ``releases`` names the methods that drop a reference (their use on a
    freed object is a double free).
    """
    kind = base._kind

    def freed_repr(self) -> str:
        return f"<{base.__name__} freed>"

    def checked_repr(self) -> str:
        if self._cd.state != LIVE:
            self._lost()
            return freed_repr(self)
        return borrowed_repr(self)

    borrowed = type(f"Borrowed{base.__name__}", (base,), {
        "__slots__": (), "__repr__": checked_repr,
        "__doc__": f"A handle on a {kind} Python holds no reference to: checked on access.",
        "__module__": base.__module__,
    })
    freed = type(f"Freed{base.__name__}", (base,), {
        "__slots__": (), "__repr__": freed_repr,
        "__doc__": f"A handle on a freed {kind}: every access raises SkbUseAfterFree.",
        "__module__": base.__module__,
    })
    for name in public_names(base):
        attr = getattr(base, name)
        setattr(borrowed, name, _checked(name, attr))
        setattr(freed, name, _dead(name, attr, releases))
    return borrowed, freed
