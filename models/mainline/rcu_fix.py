"""The proposed fix of the destroy windows (docs/findings.md, findings 3 and 4), as a variant.

Yunsheng Lin's "page_pool: fix timing for checking and disabling napi_local" (posted, not
merged): page_pool_put_unrefed_netmem() holds rcu_read_lock() from page_pool_napi_local() to
the end of the recycle, and page_pool_destroy() calls synchronize_rcu() after
page_pool_disable_direct_recycling(), so every free that read the old ``cpuid``/``p.napi`` has
pushed its page before page_pool_scrub() empties alloc.cache.

Check with ``ppcheck check mainline_rcu_napi_local --config percpu_destroy`` (holds), and compare
``ppcheck diff mainline mainline_rcu_napi_local --config percpu_destroy``.
"""

from __future__ import annotations

from ppcheck.models.pagepool import PC, Role
from ppcheck.spec import any_, require

from .configs import POOL_PATH_ACTIONS, POOL_PATHS_ELSEWHERE
from .model import Mainline


class MainlineRcuNapiLocal(Mainline):
    """Mainline with rcu_read_lock() around the locality check and the push, and
    synchronize_rcu() in page_pool_destroy()."""

    name = "mainline_rcu_napi_local"
    default = True
    #: the main job checks the configuration where mainline has the window
    default_configs = ("percpu_destroy", "reconfig")
    #: the fix touches only the locality check, the push and destroy; percpu_destroy is a
    #: per-CPU pool of whole pages with no skbs, so the frag, skb and NAPI-reuse paths, which
    #: the fix leaves as they are, are checked by mainline's own default configurations
    out_of_scope = {"percpu_destroy": {**dict.fromkeys(
        ("page_pool_alloc_frag", "page_pool_drain_frag", "page_pool_unref_sub", "napi_build_skb",
         "skb_clone", "pskb_expand_head", "skb_try_coalesce", "kfree_skb", "skb_data_unref_read",
         "skb_data_unref_sub", "skb_page_unref", "skb_free_head", "napi_enable_new_pool",
         "napi_alloc_skb", "skb_gro_receive", "skb_split",
         "skb_shift", "skb_segment"),
        "unchanged by the fix and not on a per-CPU pool's destroy path (no frags, skbs or NAPI "
        "in percpu_destroy); mainline's frag, skb and base configurations check it"),
        **dict.fromkeys(POOL_PATH_ACTIONS, POOL_PATHS_ELSEWHERE)}}
    #: reconfig (finding 4: base with the NAPI reused for a new pool) is whole pages too
    out_of_scope["reconfig"] = {a: why for a, why in out_of_scope["percpu_destroy"].items()
                                if a != "napi_enable_new_pool"}
    #: replaced by its precise form: with the fix a free that read "local" before
    #: page_pool_disable_direct_recycling() pushes after page_pool_put() (user_cnt 0) but
    #: before synchronize_rcu() returns, so before the scrub empties the cache, by design.
    #: The harm that property guards against, a page in alloc.cache after the scrub (it
    #: leaks and keeps inflight above 0), is no_leaked_page's second half, kept.
    no_cache_push_after_destroy = None
    #: a proof aid stated over mainline's reachable states (a direct free is done before
    #: page_pool_destroy()); the fix reaches states where one is still pushing after it
    lemma_direct_is_napi_local = None

    def wait_direct_recyclers(self, s) -> None:
        """page_pool_destroy(): synchronize_rcu() after page_pool_disable_direct_recycling()
        returns once every RCU reader that started before it has left: a free that read
        ``cpuid``/``p.napi`` as "local" (the only readers that can still push into the cache;
        one that reads after the WRITE_ONCE() answers "not local") has pushed its page, and a
        free between page_pool_napi_local()'s reads (inside the read-side section since its
        first read: finding 4's stale ``p.napi``) has finished them."""
        require(~any_((((c.pc == PC.PUT_PAGE) | (c.pc == PC.CACHE_PUSH) | (c.pc == PC.CACHE_STORE))
                       & c.direct) | (c.pc == PC.NAPI_LOCAL_NAPI) | (c.pc == PC.NAPI_LOCAL_OWNER)
                      for i, c in enumerate(s.ctxs) if not self.is_role(i, Role.CONTROL)))


MODELS = [MainlineRcuNapiLocal]
