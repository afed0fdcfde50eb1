/* shim of <trace/events/page_pool.h>: the tracepoints call the harness's recorder with the
 * page's pfn (state_hold/state_release) so a trace shows where the counters moved. */
#ifndef _TRACE_PAGE_POOL_H
#define _TRACE_PAGE_POOL_H
void pp_trace(const char *what, unsigned long pfn, long v);
#define pp_trace_pfn(x) ((unsigned long)(((struct page *)(uintptr_t)(x)) - pp_memmap))
#define trace_page_pool_state_hold(pool, x, cnt) pp_trace("state_hold", pp_trace_pfn(x), (long)(cnt))
#define trace_page_pool_state_release(pool, x, cnt) pp_trace("state_release", pp_trace_pfn(x), (long)(cnt))
#define trace_page_pool_release(pool, inflight, hold, release) pp_trace("release", 0, (long)(inflight))
#define trace_page_pool_update_nid(pool, nid) do { } while (0)
#endif
