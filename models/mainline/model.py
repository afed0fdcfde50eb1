"""The mainline page_pool model, assembled from its parts (one module per kernel area)."""

from __future__ import annotations

from .alloc import AllocActions
from .bulk import BulkActions
from .configs import CONFIGS, DEFAULT_CONFIGS
from .destroy import DestroyActions
from .dmabuild import DmaIndexBuild
from .lemmas import MainlineLemmas
from .napi import NapiActions
from .properties import MainlineProperties
from .provider import ProviderActions
from .recycle import RecycleActions
from .skb import SkbActions
from .threaded import ThreadedActions
from .xdp import XdpActions


class Mainline(ThreadedActions, DmaIndexBuild, XdpActions, BulkActions, ProviderActions,
               MainlineLemmas, MainlineProperties, DestroyActions, SkbActions, RecycleActions,
               NapiActions, AllocActions):
    """Today's page_pool (v6.15+): unified pp_ref_count, NAPI-local direct recycling with the
    PREEMPT_RT and in_softirq() checks, the producer-lock barrier in page_pool_release(), and
    DMA-mapping tracking so page_pool_scrub() unmaps pages still in flight."""

    name = "mainline"
    default = True
    configs = CONFIGS
    default_configs = DEFAULT_CONFIGS
