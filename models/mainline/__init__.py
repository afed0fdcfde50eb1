"""The mainline page_pool: allocation, recycling, the skb path, NAPI and destroy.

Follows torvalds/linux ``net/core/page_pool.c`` @ 039f248a6cc1 (post-v6.15),
``include/net/page_pool/helpers.h`` @ 07cf71bf25cd and ``net/core/skbuff.c`` @ e40bffaeaed9
(see :mod:`ppcheck.models.pagepool` for the state).  Every action is named after the kernel
function (or the step of one) it models; multi-step functions carry a program counter in their
context (:class:`~ppcheck.models.pagepool.PC`, :class:`~ppcheck.models.pagepool.Stage`).

Contexts interleave as the kernel lets them (:meth:`Mainline.can_run`): on one CPU a softirq
runs to completion over a process context (unless that process disabled BH or holds a lock
taken with spin_lock_bh), two softirqs of one CPU never interleave, and contexts on different
CPUs interleave freely.  With ``preempt_rt`` every context is preemptible.

Check with ``ppcheck check mainline``; docs/mainline.md lists every action and property.

The model is split by kernel area, one mixin per module, assembled in :mod:`.model`:
:mod:`.base` (contexts, the interleaving rule, helpers), :mod:`.alloc` (allocation),
:mod:`.napi` (the poll's RX processing, scheduling), :mod:`.recycle` (the free path),
:mod:`.skb` (skbs and stack page references), :mod:`.destroy` (control path, release),
:mod:`.properties` and :mod:`.lemmas`; :mod:`.configs` holds the configurations.
A variant subclasses :class:`Mainline` and overrides one action or one helper.
"""

from .configs import BASE, CONFIGS, DEFAULT_CONFIGS
from .model import Mainline
from .rcu_fix import MainlineRcuNapiLocal

MODELS = [Mainline, MainlineRcuNapiLocal]

__all__ = ["BASE", "CONFIGS", "DEFAULT_CONFIGS", "MODELS", "Mainline", "MainlineRcuNapiLocal"]
