"""The mainline model's state: the page_pool vocabulary with ``skbs`` a scalarset."""

from __future__ import annotations

from ppcheck.models.pagepool import PagePoolState, Shinfo, Skb
from ppcheck.spec import Array


class MainlineState(PagePoolState):
    """The page_pool state of :mod:`ppcheck.models.pagepool` with ``skbs`` declared a
    scalarset: no action or property names a particular skb (each is reached through a
    parameter, a ``Ref`` or a quantifier), so the explorer sorts them like pages (its
    soundness test runs before and after every search, docs/explorer.md#symmetry).

    ``shinfos`` is not one: the symmetric ``skbs`` hold ``Ref``s into it, and the explorer's
    sort of two arrays linked by ``Ref``s is not canonical, so its soundness test (which
    compares canonical successors) refuses the reduction ("the actions treat records of
    shinfos differently", measured on ``skb`` and ``skb2``).  Instead a new skb's data takes
    the lowest-numbered unused slot (:meth:`SkbActions.shinfo_free`).  ``shinfos`` (0: as
    many as ``skbs``) lets a configuration have fewer data areas than skbs: clones share one.
    """

    shinfos = Array(Shinfo, lambda c: int(getattr(c, "shinfos", 0)) or int(c.skbs))
    skbs = Array(Skb, "skbs", symmetric=True)
