/* ppcheck kernel harness: drives an unmodified net/core/page_pool.c in userspace.
 *
 * Each kernel context (the NAPI softirq, a free on another CPU, a process context, the
 * destroy path, the release worker) is a ucontext coroutine with its own stack. The shim
 * headers make every atomic, spinlock, xarray call and READ_ONCE/WRITE_ONCE call
 * pp_yield(), which switches back to the scheduler (Python, through ctypes): pph_step(c)
 * runs context c to its next yield point. Around the kernel code the harness keeps a fake
 * memmap and buddy allocator, a DMA mapping table and a log of WARNs and errors, and
 * exposes the C structures (alloc cache, ptr_ring, counters, page fields) to the
 * abstraction function in ppcheck/kernel/state.py.
 *
 * Compiled as its own translation unit against the same shim and the tree's page_pool
 * headers (PP_KVER 612: <net/page_pool/helpers.h>; PP_KVER 601: <net/page_pool.h>).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/netdevice.h>
#include <net/xdp.h>
#if PP_KVER >= 606
#include <net/page_pool/helpers.h>
#else
#include <net/page_pool.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>
#include <ucontext.h>
#include <dlfcn.h>

#define PPH_MAX_CTX 8
#define PPH_STACK (128 * 1024)
#define PPH_LOG 16384
#define PPH_ALLOCS 64

enum { OP_NONE, OP_ALLOC, OP_PUT, OP_DESTROY, OP_WORKER, OP_NAPI_DISABLE, OP_UNBIND, OP_GET_PAGE,
       OP_PUT_PAGE, OP_ALLOC_FRAG, OP_REF, OP_DISABLE_DIRECT, OP_NAPI_ENABLE, OP_BULK, OP_XDP_REG,
       OP_XDP_UNREG, OP_UPDATE_NID, OP_ALLOC_FRAGMENTED };

/* OP_BULK's pages: a0 packs up to PPH_BULK pfns, PPH_BULK_BITS bits each (pfn + 1, 0 ends) */
#define PPH_BULK 8
#define PPH_BULK_BITS 5

struct pph_ctx {
	struct pp_ctx_state st;
	ucontext_t uc;
	char *stack;
	int busy, op;
	long a0, a1, res;
	int kind;
	const volatile void *addr;
	const char *what;
	const void *pc;        /* the code address of the yield (the caller of pp_yield) */
	unsigned long yields;
	unsigned long opgen;   /* operations started */
	const volatile void *eaddr;  /* the address of the last explicit (shim) yield */
	unsigned long gp_wait[PPH_MAX_CTX];  /* synchronize_rcu(): readers' opgen + 1, 0: none */
	void *bulk[PPH_BULK];  /* OP_BULK's data[] (page_pool_put_page_bulk() overwrites it) */
	/* a plain store into alloc.cache[pend_slot] about to happen (fine build): the slot's
	 * value and liveness then, and its store generation */
	int pend_slot, pend_live;
	const void *pend_old;
	unsigned long pend_gen;
};

/* alloc.cache slots: live from a store until a load pops them, the value and generation of
 * the last store (a store into a live slot, or over another context's store made since this
 * one's began, loses the page there: the C code keeps one pointer where the spec keeps both) */
#define PPH_SLOTS 256
static int slot_live[PPH_SLOTS];
static const void *slot_val[PPH_SLOTS];
static unsigned long slot_gen[PPH_SLOTS];

struct page pp_memmap[PP_NR_PAGES_MAX];
static int nr_pages;
static int dma_mapped[PP_NR_PAGES_MAX];  /* live mappings per page */
static int dev_bound;
static struct device the_dev;
static struct napi_struct the_napi;
static struct page_pool *pool;
static int pool_freed;
static struct work_struct *pending_work;
static int work_runs;

static struct pph_ctx ctxs[PPH_MAX_CTX];
static struct pp_ctx_state main_st;
struct pp_ctx_state *pp_cur = &main_st;
static ucontext_t main_uc;
static int cur = -1;

static char logbuf[PPH_LOG];
static size_t loglen;
static unsigned long nwarn, nerr;

static struct { void *p; size_t n; int freed; } allocs[PPH_ALLOCS];

static void logf_(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void logf_(const char *kind, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (loglen + 200 >= PPH_LOG)
		return;
	n = snprintf(logbuf + loglen, PPH_LOG - loglen, "%s ctx=%d ", kind, cur);
	loglen += n;
	va_start(ap, fmt);
	n = vsnprintf(logbuf + loglen, PPH_LOG - loglen, fmt, ap);
	va_end(ap);
	loglen += n;
	logbuf[loglen++] = '\n';
	logbuf[loglen] = 0;
}

static void harness_error(const char *what, long pfn)
{
	nerr++;
	logf_("ERR", "%s pfn=%ld", what, pfn);
}

/* -- hooks the shim calls ---------------------------------------------------------------- */

static int in_freed(const volatile void *addr)
{
	for (int i = 0; i < PPH_ALLOCS; i++)
		if (allocs[i].p && allocs[i].freed && (const char *)addr >= (char *)allocs[i].p &&
		    (const char *)addr < (char *)allocs[i].p + allocs[i].n)
			return 1;
	return 0;
}

static void yield_at(int kind, const volatile void *addr, const char *what, const void *pc);
static void settle_store(struct pph_ctx *c);

void pp_yield(int kind, const volatile void *addr, const char *what)
{
	if (cur >= 0)
		settle_store(&ctxs[cur]);  /* a store announced at an earlier yield has happened */
	if (cur >= 0)
		ctxs[cur].eaddr = addr;
	yield_at(kind, addr, what, __builtin_return_address(0));
}

static void yield_at(int kind, const volatile void *addr, const char *what, const void *pc)
{
	struct pph_ctx *c;

	if (cur < 0) {
		if (addr && in_freed(addr))
			harness_error("pool_uaf", -1);
		return;
	}
	c = &ctxs[cur];
	c->kind = kind;
	c->addr = addr;
	c->what = what;
	c->pc = pc;
	c->yields++;
	swapcontext(&c->uc, &main_uc);
	/* the access follows the yield: is the memory still there? */
	if (addr && in_freed(addr))
		harness_error("pool_uaf", -1);
}

void pp_warn(const char *file, int line, const char *cond)
{
	const char *base = strrchr(file, '/');

	nwarn++;
	logf_("WARN", "%s:%d %s", base ? base + 1 : file, line, cond);
}

/* kmalloc: a bump allocator over a static arena, reset at pph_setup(), so that every run
 * of a scenario sees the same addresses (the exhaustive search hashes live stacks). */
static char arena[1 << 20] __attribute__((aligned(64)));
static size_t arena_used;

void *pp_kalloc(size_t n)
{
	void *p;

	n = (n + 63) & ~(size_t)63;
	if (arena_used + n > sizeof(arena)) {
		harness_error("arena_exhausted", -1);
		return NULL;
	}
	p = arena + arena_used;
	arena_used += n;
	memset(p, 0, n);
	for (int i = 0; i < PPH_ALLOCS; i++)
		if (!allocs[i].p) {
			allocs[i].p = p;
			allocs[i].n = n;
			allocs[i].freed = 0;
			break;
		}
	return p;
}

void pp_note_free(const void *obj)
{
	for (int i = 0; i < PPH_ALLOCS; i++)
		if (allocs[i].p == obj) {
			if (allocs[i].freed)
				harness_error("double_kfree", -1);
			allocs[i].freed = 1;
		}
	if (obj == pool) {
		pool_freed = 1;
		logf_("EV", "pool_freed");
	}
}

void pp_trace(const char *what, unsigned long pfn, long v)
{
	(void)what; (void)pfn; (void)v;
}

void pp_schedule_work(struct work_struct *w)
{
	pending_work = w;
}

/* spec replay (kernel/spec_replay.py): the next allocation takes page buddy_next (the page
 * the spec's step names), or fails buddy_fail times first (GFP_ATOMIC failing) */
static int buddy_next = -1, buddy_fail;
/* and then: the allocation after that takes buddy_then; the next bulk request returns at
 * most buddy_limit pages (-1: as many as asked); the next page is pfmemalloc (taken from the
 * reserves: bit 1 of pp_magic, which overlays lru.next, is page_is_pfmemalloc()'s) */
static int buddy_then = -1, buddy_pfmemalloc;
int pp_buddy_limit = -1;

void pph_buddy_next(int pfn, int fail) { buddy_next = pfn; buddy_fail = fail; }

void pph_buddy_plan(int then, int limit, int pfmemalloc)
{
	buddy_then = then;
	pp_buddy_limit = limit;
	buddy_pfmemalloc = pfmemalloc;
}

/* the NUMA node the next allocations are on (alloc_pages_node()'s nid) */
int pp_buddy_nid;
/* kernel-side witnesses: pfmemalloc pages given back to the buddy allocator, pages the NAPI's
 * allocation call gave back (the refill's NUMA waive) */
static int pfmemalloc_released, alloc_released;

int pph_pfmemalloc_released(void) { return pfmemalloc_released; }
int pph_alloc_released(void) { return alloc_released; }

struct page *pp_buddy_alloc(void)
{
	if (buddy_fail > 0) {
		buddy_fail--;
		return NULL;
	}
	if (buddy_next < 0 && buddy_then >= 0) {
		buddy_next = buddy_then;
		buddy_then = -1;
	}
	if (buddy_next >= 0 && buddy_next < nr_pages && pp_memmap[buddy_next].pp_buddy_free) {
		struct page *p = &pp_memmap[buddy_next];

		buddy_next = -1;
		p->pp_buddy_free = 0;
		p->_refcount.counter = 1;
		p->pp_magic = buddy_pfmemalloc ? 0x2UL : 0;
		p->pp_nid = pp_buddy_nid;
		p->pp_pfmemalloc = buddy_pfmemalloc;
		buddy_pfmemalloc = 0;
		p->pp = NULL;
		p->dma_addr = 0;
		p->pp_ref_count.counter = 0;
		return p;
	}
	for (int i = 0; i < nr_pages; i++) {
		struct page *p = &pp_memmap[i];

		if (p->pp_buddy_free) {
			p->pp_buddy_free = 0;
			p->_refcount.counter = 1;
			p->pp_magic = 0;
			p->pp_nid = pp_buddy_nid;
			p->pp_pfmemalloc = 0;
			p->pp = NULL;
			p->dma_addr = 0;
			p->pp_ref_count.counter = 0;
			return p;
		}
	}
	return NULL;
}

void pp_buddy_free(struct page *p)
{
	long pfn = p - pp_memmap;

	if (p->pp_buddy_free) {
		harness_error("double_free", pfn);
		return;
	}
	if ((p->pp_magic & ~0x3UL & ~PP_DMA_INDEX_MASK) == PP_SIGNATURE)
		harness_error("pp_page_freed", pfn);
	if (dma_mapped[pfn])  /* legal for a moment: page_pool_scrub() may still be unmapping it */
		logf_("EV", "freed_while_mapped pfn=%ld", pfn);
	if (p->pp_pfmemalloc)
		pfmemalloc_released++;
	if (cur >= 0 && ctxs[cur].op == OP_ALLOC)
		alloc_released++;
	p->pp_buddy_free = 1;
}

/* Live DMA mappings: each map gets a fresh bus address (as an IOMMU would), so a stale
 * unmap of an old mapping is told apart from an unmap of the page's current one. */
#define PPH_MAPS 64
static dma_addr_t live_map[PPH_MAPS];
static unsigned long map_gen;

static long pfn_of_addr(dma_addr_t a) { return (long)((a >> PAGE_SHIFT) & 0xff) - 1; }

static int map_slot(dma_addr_t a)
{
	for (int i = 0; i < PPH_MAPS; i++)
		if (live_map[i] == a)
			return i;
	return -1;
}

dma_addr_t pp_dma_map(struct page *page)
{
	long pfn = page - pp_memmap;
	dma_addr_t a;
	int i;

	pp_yield(PPY_DMA, NULL, "dma_map_page_attrs");
	if (!dev_bound)
		harness_error("dma_after_unbind", pfn);
	a = ((dma_addr_t)++map_gen << 20) | (((dma_addr_t)pfn + 1) << PAGE_SHIFT);
	i = map_slot(0);
	if (i >= 0)
		live_map[i] = a;
	dma_mapped[pfn]++;
	return a;
}

void pp_dma_unmap(dma_addr_t addr)
{
	long pfn = pfn_of_addr(addr);
	int i;

	pp_yield(PPY_DMA, NULL, "dma_unmap_page_attrs");
	if (pfn < 0 || pfn >= nr_pages) {
		harness_error("unmap_bad_address", pfn);
		return;
	}
	if (!dev_bound)
		harness_error("dma_after_unbind", pfn);
	i = map_slot(addr);
	if (i < 0) {
		harness_error("double_unmap", pfn);
		return;
	}
	live_map[i] = 0;
	dma_mapped[pfn]--;
}

void pp_dma_sync(dma_addr_t addr)
{
	long pfn = pfn_of_addr(addr);

	if (!dev_bound)
		harness_error("dma_after_unbind", pfn);
	if (pfn < 0 || pfn >= nr_pages || map_slot(addr) < 0)
		harness_error("sync_unmapped", pfn);
}

/* -- fine-grained scheduling points --------------------------------------------------------
 * A "fine" build compiles page_pool.c with -fsanitize=thread: GCC then calls __tsan_readN /
 * __tsan_writeN before every plain load and store. No ThreadSanitizer runtime is linked;
 * these hooks make each plain access of shared memory (kmalloc'd pool memory: the pool
 * and its ring; the memmap) a yield point too, so races on non-atomic fields (r->producer,
 * alloc.count) interleave. */
static int fine;
static char fine_what[PPH_MAX_CTX][64];

static const char *pool_field(size_t off)
{
#define PPF(f) if (off >= offsetof(struct page_pool, f) && off < offsetof(struct page_pool, f) + sizeof(pool->f)) return #f
	PPF(alloc.count);
	PPF(alloc.cache);
	PPF(ring.producer);
	PPF(ring.consumer_head);
	PPF(ring.consumer_tail);
	PPF(ring.size);
	PPF(ring.batch);
	PPF(ring.queue);
	PPF(pages_state_hold_cnt);
	PPF(destroy_cnt);
	PPF(frag_users);
	PPF(frag_page);
	PPF(frag_offset);
	PPF(p);
#undef PPF
	return NULL;
}

static long slot_pfn(const void *v);

/* the store a context announced has happened (it runs on to its next yield or its return) */
static void settle_store(struct pph_ctx *c)
{
	int i = c->pend_slot - 1;
	const void *now;

	if (i < 0 || !pool)
		return;
	c->pend_slot = 0;
	now = (const void *)pool->alloc.cache[i];
	if (c->pend_live && c->pend_old && c->pend_old != now)
		harness_error("cache_slot_overwrite", slot_pfn(c->pend_old));
	else if (slot_gen[i] != c->pend_gen && slot_val[i] && slot_val[i] != now)
		harness_error("cache_slot_overwrite", slot_pfn(slot_val[i]));
	slot_live[i] = 1;
	slot_val[i] = now;
	slot_gen[i]++;
}

/* a plain access of alloc.cache[]: a store is announced (settled at the next yield), a load
 * pops the slot */
static void cache_access(void *a, int write)
{
	const char *base = (const char *)pool->alloc.cache;
	int i;

	if ((char *)a < base || (char *)a >= base + sizeof(pool->alloc.cache))
		return;
	i = (int)(((char *)a - base) / sizeof(pool->alloc.cache[0]));
	if (i >= PPH_SLOTS)
		return;
	if (!write) {
		slot_live[i] = 0;
		return;
	}
	ctxs[cur].pend_slot = i + 1;
	ctxs[cur].pend_live = slot_live[i];
	ctxs[cur].pend_old = (const void *)pool->alloc.cache[i];
	ctxs[cur].pend_gen = slot_gen[i];
}

static void fine_access(void *a, int write, const void *pc)
{
	const char *f = NULL, *rw = write ? "store" : "load";
	char *buf;
	size_t off;

	if (!fine || cur < 0)
		return;
	settle_store(&ctxs[cur]);  /* a store announced at an earlier yield has happened */
	if (ctxs[cur].eaddr == a) {  /* the access of a READ_ONCE/WRITE_ONCE that just yielded */
		ctxs[cur].eaddr = NULL;
		return;
	}
	ctxs[cur].eaddr = NULL;
	buf = fine_what[cur];
	if ((char *)a >= (char *)pp_memmap && (char *)a < (char *)(pp_memmap + PP_NR_PAGES_MAX)) {
		off = (char *)a - (char *)pp_memmap;
		snprintf(buf, 64, "%s page[%zu]+%zu", rw, off / sizeof(struct page), off % sizeof(struct page));
	} else if (pool && (char *)a >= (char *)pool && (char *)a < (char *)(pool + 1)) {
		cache_access(a, write);
		off = (char *)a - (char *)pool;
		f = pool_field(off);
		if (f)
			snprintf(buf, 64, "%s pool->%s", rw, f);
		else
			snprintf(buf, 64, "%s pool+%zu", rw, off);
	} else if ((char *)a >= arena && (char *)a < arena + arena_used) {
		snprintf(buf, 64, "%s ring->queue", rw);
	} else {
		return;
	}
	yield_at(write ? PPY_WRITE : PPY_READ, a, buf, pc);
}

#define PP_TSAN(n) \
	void __tsan_read##n(void *a) { fine_access(a, 0, __builtin_return_address(0)); } \
	void __tsan_write##n(void *a) { fine_access(a, 1, __builtin_return_address(0)); } \
	void __tsan_unaligned_read##n(void *a) { fine_access(a, 0, __builtin_return_address(0)); } \
	void __tsan_unaligned_write##n(void *a) { fine_access(a, 1, __builtin_return_address(0)); }
PP_TSAN(1)
PP_TSAN(2)
PP_TSAN(4)
PP_TSAN(8)
PP_TSAN(16)
void __tsan_func_entry(void *p) { (void)p; }
void __tsan_func_exit(void) { }
void __tsan_init(void) { }
void __tsan_read_range(void *a, unsigned long n) { (void)n; fine_access(a, 0, __builtin_return_address(0)); }
void __tsan_write_range(void *a, unsigned long n) { (void)n; fine_access(a, 1, __builtin_return_address(0)); }

void pph_set_fine(int on) { fine = on; }

/* page_pool_user.c is not compiled: the netlink listing is a no-op */
int page_pool_list(struct page_pool *p) { (void)p; return 0; }
void page_pool_detached(struct page_pool *p) { (void)p; }
void page_pool_unlist(struct page_pool *p) { (void)p; }

/* -- the operations a context runs --------------------------------------------------------- */

static int rcu_marker;

static int is_reader(const struct pph_ctx *x)
{
	return x->busy && (x->st.softirq || x->st.bh > 0 || x->st.preempt > 0 || x->st.rcu > 0);
}

/* does context c still wait for a reader of the moment it called synchronize_rcu()? */
static int gp_pending(int c)
{
	for (int i = 0; i < PPH_MAX_CTX; i++) {
		unsigned long g = ctxs[c].gp_wait[i];

		if (g && ctxs[i].opgen + 1 == g && is_reader(&ctxs[i]))
			return 1;
	}
	return 0;
}

void pp_synchronize_rcu(void)
{
	struct pph_ctx *me;

	if (cur < 0)
		return;
	me = &ctxs[cur];
	for (int i = 0; i < PPH_MAX_CTX; i++)
		me->gp_wait[i] = (i != cur && is_reader(&ctxs[i])) ? ctxs[i].opgen + 1 : 0;
	do
		pp_yield(PPY_SPIN, &rcu_marker, "synchronize_rcu (grace period)");
	while (gp_pending(cur));
	memset(me->gp_wait, 0, sizeof(me->gp_wait));
}

static int napi_cpu_softirq_busy(void)
{
	for (int i = 0; i < PPH_MAX_CTX; i++)
		if (i != cur && ctxs[i].busy && ctxs[i].st.softirq && ctxs[i].st.cpu == the_napi.list_owner)
			return 1;
	return 0;
}

static long pfn_of(struct page *p) { return p ? p - pp_memmap : -1; }

static int disconnects;

/* pool->disconnect (xdp.c's mem_allocator_disconnect): __page_pool_destroy() calls it */
static void pph_disconnect(void *p)
{
	(void)p;
	disconnects++;
	logf_("EV", "disconnect");
}

static void run_op(struct pph_ctx *c)
{
	struct page *pg = (c->a0 >= 0 && c->a0 < nr_pages) ? &pp_memmap[c->a0] : NULL;
	unsigned int off = 0;

	switch (c->op) {
	case OP_ALLOC:
		c->res = pfn_of(page_pool_alloc_pages(pool, GFP_ATOMIC | __GFP_NOWARN));
		break;
	case OP_ALLOC_FRAG:
		c->res = pfn_of(page_pool_alloc_frag(pool, &off, (unsigned int)c->a0, GFP_ATOMIC));
		c->a1 = off;
		break;
	case OP_PUT:
		page_pool_put_full_page(pool, pg, c->a1 != 0);
		break;
	case OP_GET_PAGE:
		get_page(pg);
		break;
	case OP_PUT_PAGE:
		put_page(pg);
		break;
#if PP_KVER >= 606
	case OP_REF:
		page_pool_ref_page(pg);
		break;
#endif
	case OP_DESTROY:
		page_pool_destroy(pool);
		break;
	case OP_WORKER: {
		struct work_struct *w = pending_work;

		pending_work = NULL;
		if (w) {
			work_runs++;
			w->func(w);
		}
		break;
	}
	case OP_NAPI_DISABLE:
		/* napi_disable() waits for the poll: the NAPI is scheduled on list_owner's CPU,
		 * and its poll runs only once no other softirq of that CPU is running
		 * (the poll's napi_complete_done() writes list_owner = -1 on that CPU, so the check
		 * and the write are one step here) */
		do
			pp_yield(PPY_SPIN, &the_napi, "napi_disable (waiting for the poll)");
		while (napi_cpu_softirq_busy());
		the_napi.list_owner = -1;
		break;
	case OP_NAPI_ENABLE:
		WRITE_ONCE(the_napi.list_owner, (int)c->a0);
		break;
#if PP_KVER >= 608
	case OP_DISABLE_DIRECT:
		page_pool_disable_direct_recycling(pool);
		break;
#endif
	case OP_BULK: {
		/* xdp_flush_frame_bulk(): page_pool_put_page_bulk() of the frames xdp_return_frame_bulk()
		 * queued (net/core/xdp.c is not compiled; the queue is the caller's, no pool state) */
		int n = 0;

		for (long v = c->a0; v && n < PPH_BULK; v >>= PPH_BULK_BITS, n++)
			c->bulk[n] = &pp_memmap[(v & ((1 << PPH_BULK_BITS) - 1)) - 1];
		page_pool_put_page_bulk(pool, c->bulk, n);
		break;
	}
	case OP_XDP_REG: {
		/* xdp_rxq_info_reg_mem_model(MEM_TYPE_PAGE_POOL) -> __xdp_reg_mem_model() ->
		 * page_pool_use_xdp_mem() with xdp.c's disconnect callback (here: one that records) */
		static struct xdp_mem_info mem = { 3 /* MEM_TYPE_PAGE_POOL */, 1 };

		page_pool_use_xdp_mem(pool, pph_disconnect, &mem);
		break;
	}
	case OP_XDP_UNREG:
		/* xdp_rxq_info_unreg_mem_model() -> xdp_unreg_mem_model(): the allocator found by mem.id
		 * is this pool: page_pool_destroy(xa->page_pool) */
		page_pool_destroy(pool);
		break;
	case OP_ALLOC_FRAGMENTED:
		/* a whole page from a PP_FLAG_PAGE_FRAG pool, then page_pool_fragment_page(page, 1):
		 * the contract a driver of such a pool keeps for whole pages (mlx5, before v6.7) */
		pg = page_pool_alloc_pages(pool, GFP_ATOMIC | __GFP_NOWARN);
		if (pg)
			page_pool_fragment_page(pg, 1);
		c->res = pfn_of(pg);
		break;
	case OP_UPDATE_NID:
		/* page_pool_nid_changed() from the NAPI poll: the NAPI runs on node a0 now, and so do
		 * the pages the pool allocates from then on */
		pp_buddy_nid = (int)c->a0;
		page_pool_update_nid(pool, (int)c->a0);
		break;
	case OP_UNBIND:
		pp_yield(PPY_DMA, NULL, "driver unbind");
		dev_bound = 0;
		break;
	default:
		harness_error("bad_op", c->op);
	}
}

static void trampoline(void)
{
	struct pph_ctx *c = &ctxs[cur];

	run_op(c);
	settle_store(c);
	c->busy = 0;
	c->kind = 0;
	c->what = "done";
	/* returning resumes uc_link = main_uc */
}

/* -- the API Python calls ------------------------------------------------------------------ */

int pph_kver(void) { return PP_KVER; }

#if PP_KVER >= 606
#define PPH_PARAMS_FAST(pp) (pp)
#else
#define PPH_PARAMS_FAST(pp) (pp)
#endif

/* Reset the world and create a pool: npages in the buddy allocator, flags (PP_FLAG_*),
 * ring size, napi_cpu (>= 0: params.napi set, owned by that CPU), cpuid (>= 0: a per-CPU
 * pool, page_pool_create_percpu). Returns 0, or a negative errno. */
int pph_setup(int npages, unsigned int flags, int pool_size, int napi_cpu, int cpuid)
{
	struct page_pool_params pp = { 0 };

	memset(allocs, 0, sizeof(allocs));
	arena_used = 0;
	for (int i = 0; i < PPH_MAX_CTX; i++) {
		char *s = ctxs[i].stack;

		memset(&ctxs[i], 0, sizeof(ctxs[i]));
		ctxs[i].stack = s;
	}
	memset(pp_memmap, 0, sizeof(pp_memmap));
	memset(dma_mapped, 0, sizeof(dma_mapped));
	memset(live_map, 0, sizeof(live_map));
	map_gen = 0;
	nr_pages = npages < PP_NR_PAGES_MAX ? npages : PP_NR_PAGES_MAX;
	for (int i = 0; i < nr_pages; i++)
		pp_memmap[i].pp_buddy_free = 1;
	loglen = 0;
	logbuf[0] = 0;
	nwarn = nerr = 0;
	dev_bound = 1;
	pool_freed = 0;
	pending_work = NULL;
	work_runs = 0;
	buddy_next = -1;
	buddy_fail = 0;
	buddy_then = -1;
	buddy_pfmemalloc = 0;
	pp_buddy_limit = -1;
	pp_buddy_nid = 0;
	pfmemalloc_released = alloc_released = 0;
	memset(slot_live, 0, sizeof(slot_live));
	memset(slot_val, 0, sizeof(slot_val));
	memset(slot_gen, 0, sizeof(slot_gen));
	cur = -1;
	pp_cur = &main_st;
	memset(&the_napi, 0, sizeof(the_napi));
	the_napi.list_owner = napi_cpu;

	pp.flags = flags;
	pp.order = 0;
	pp.pool_size = pool_size;
	pp.nid = NUMA_NO_NODE;
	pp.dev = &the_dev;
	pp.dma_dir = DMA_FROM_DEVICE;
	pp.max_len = PAGE_SIZE;
	pp.offset = 0;
#if PP_KVER >= 605
	pp.napi = napi_cpu >= 0 ? &the_napi : NULL;
#endif
#if PP_KVER >= 608
	pool = cpuid >= 0 ? page_pool_create_percpu(&pp, cpuid) : page_pool_create(&pp);
#else
	(void)cpuid;
	pool = page_pool_create(&pp);
#endif
	if (IS_ERR(pool)) {
		long e = PTR_ERR(pool);

		pool = NULL;
		return (int)e;
	}
	return 0;
}

void pph_ctx_init(int c, int cpu, int softirq)
{
	if (!ctxs[c].stack)
		ctxs[c].stack = malloc(PPH_STACK);
	ctxs[c].st.cpu = cpu;
	ctxs[c].st.softirq = softirq;
	ctxs[c].st.bh = 0;
	ctxs[c].busy = 0;
}

/* A process context that runs its calls with BH disabled (local_bh_disable() around them):
 * in_softirq() is true in it and no softirq of its CPU starts while it is inside a call. */
void pph_ctx_bh(int c, int bh) { ctxs[c].st.bh = bh; }

/* Start operation op on idle context c (it runs at the first pph_step). */
int pph_start(int c, int op, long a0, long a1)
{
	struct pph_ctx *x = &ctxs[c];

	if (x->busy)
		return -1;
	x->op = op;
	x->a0 = a0;
	x->a1 = a1;
	x->res = -1;
	x->busy = 1;
	x->opgen++;
	x->kind = 0;
	x->what = "start";
	memset(x->stack + PPH_STACK - 16384, 0, 16384);  /* no garbage of earlier calls in the key */
	getcontext(&x->uc);
	x->uc.uc_stack.ss_sp = x->stack;
	x->uc.uc_stack.ss_size = PPH_STACK;
	x->uc.uc_link = &main_uc;
	makecontext(&x->uc, trampoline, 0);
	return 0;
}

/* Run context c to its next yield point. 0: it yielded, 1: its operation returned. */
int pph_step(int c)
{
	struct pph_ctx *x = &ctxs[c];

	if (!x->busy)
		return -1;
	cur = c;
	pp_cur = &x->st;
	swapcontext(&main_uc, &x->uc);
	cur = -1;
	pp_cur = &main_st;
	return x->busy ? 0 : 1;
}

/* Run an operation to completion outside the scheduler (no interleaving). */
long pph_run(int c, int op, long a0, long a1)
{
	if (pph_start(c, op, a0, a1))
		return -2;
	while (!pph_step(c))
		;
	return ctxs[c].res;
}

int pph_busy(int c) { return ctxs[c].busy; }
long pph_result(int c) { return ctxs[c].res; }
long pph_result2(int c) { return ctxs[c].a1; }
int pph_bh(int c) { return ctxs[c].st.bh; }
int pph_preempt(int c) { return ctxs[c].st.preempt; }

/* Where a suspended context is, exactly: a hash of its yield address, its callee-saved
 * registers and its live stack (return addresses and locals), for the visited set of the
 * exhaustive search. */
unsigned long pph_ctx_key(int c)
{
	const struct pph_ctx *x = &ctxs[c];
	unsigned long h = 1469598103934665603UL;
	const unsigned char *sp, *top;

	if (!x->busy)
		return 0;
	h = (h ^ (unsigned long)x->pc) * 1099511628211UL;
	/* locals kept in callee-saved registers across the yield (swapcontext saved them) */
	{
		static const int regs[] = { REG_RBX, REG_RBP, REG_R12, REG_R13, REG_R14, REG_R15, REG_RSP };

		for (unsigned int i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
			h = (h ^ (unsigned long)x->uc.uc_mcontext.gregs[regs[i]]) * 1099511628211UL;
	}
	sp = (const unsigned char *)x->uc.uc_mcontext.gregs[REG_RSP];
	top = (const unsigned char *)x->stack + PPH_STACK;
	if (sp < (const unsigned char *)x->stack || sp > top)
		return h;
	for (; sp < top; sp++)
		h = (h ^ *sp) * 1099511628211UL;
	return h;
}
int pph_yield_kind(int c) { return ctxs[c].kind; }
const char *pph_yield_what(int c) { return ctxs[c].what ? ctxs[c].what : ""; }
unsigned long pph_yields(int c) { return ctxs[c].yields; }

/* A context spinning on a lock its holder still has cannot make progress. */
int pph_blocked(int c)
{
	const struct pph_ctx *x = &ctxs[c];

	if (!x->busy || x->kind != PPY_SPIN || !x->addr)
		return 0;
	if (x->addr == (const void *)&rcu_marker)
		return gp_pending(c);
	if (x->addr == (const void *)&the_napi) {
		int saved = cur, busy;

		cur = c;
		busy = napi_cpu_softirq_busy();
		cur = saved;
		return busy;
	}
	return ((const spinlock_t *)x->addr)->locked;
}

/* Who holds the ptr_ring producer lock: a context index, or -1. */
int pph_ring_lock_owner(void)
{
	if (!pool || !pool->ring.producer_lock.locked)
		return -1;
	for (int i = 0; i < PPH_MAX_CTX; i++)
		if (pool->ring.producer_lock.owner == &ctxs[i].st)
			return i;
	return -2;
}

const char *pph_log(void) { return logbuf; }
unsigned long pph_nwarn(void) { return nwarn; }
unsigned long pph_nerr(void) { return nerr; }
int pph_pool_freed(void) { return pool_freed; }
int pph_work_pending(void) { return pending_work != NULL; }
int pph_work_runs(void) { return work_runs; }
int pph_dev_bound(void) { return dev_bound; }
int pph_napi_owner(void) { return the_napi.list_owner; }
/* the device interrupt schedules the NAPI on cpu, or its poll completes (-1): spec replay */
void pph_set_napi_owner(int cpu) { the_napi.list_owner = cpu; }

/* The return addresses on context c's suspended stack (a frame-pointer walk: the spec-replay
 * build has -fno-omit-frame-pointer), as offsets into this library, innermost first. */
int pph_yield_stack(int c, long *out, int n)
{
	const struct pph_ctx *x = &ctxs[c];
	const char *lo = x->stack, *hi = x->stack + PPH_STACK;
	const unsigned long *fp;
	Dl_info d;
	int k = 0;

	if (!x->busy)
		return 0;
	fp = (const unsigned long *)x->uc.uc_mcontext.gregs[REG_RBP];
	while (k < n && (const char *)fp >= lo && (const char *)fp + 16 <= hi) {
		const void *ret = (const void *)fp[1];

		if (!ret || !dladdr(ret, &d))
			break;
		out[k++] = (const char *)ret - (const char *)d.dli_fbase;
		if ((const unsigned long *)fp[0] <= fp)
			break;
		fp = (const unsigned long *)fp[0];
	}
	return k;
}

/* Where context c yielded, as an offset into this library (for addr2line -i: the kernel
 * functions, inlined ones included, the yield point is in). */
long pph_yield_off(int c)
{
	Dl_info d;

	if (!ctxs[c].busy || !ctxs[c].pc || !dladdr(ctxs[c].pc, &d))
		return -1;
	return (const char *)ctxs[c].pc - (const char *)d.dli_fbase;
}

/* page fields: free, refcount, pp_ref_count (6.1: pp_frag_count), pp_magic is PP_SIGNATURE,
 * page->pp is the pool, DMA-mapped, DMA index (6.12), pfmemalloc bit */
/* The alloc.cache slot context c is about to store into (a fine build's plain store, the
 * ``cache[count++] = netmem`` of the refill, the bulk allocation or the recycle), -1: none.
 * When the count was raised first, the slot still holds a stale pointer until that store:
 * the checks must not read it as a cached page. */
int pph_pending_cache_slot(int c)
{
	const struct pph_ctx *x = &ctxs[c];
	const char *a = (const char *)x->addr, *base;

	if (!x->busy || x->kind != PPY_WRITE || !pool || !a)
		return -1;
	base = (const char *)pool->alloc.cache;
	if (a < base || a >= base + sizeof(pool->alloc.cache))
		return -1;
	return (int)((a - base) / sizeof(pool->alloc.cache[0]));
}

void pph_page(int pfn, long *out)
{
	const struct page *p = &pp_memmap[pfn];

	out[0] = p->pp_buddy_free;
	out[1] = p->_refcount.counter;
	out[2] = p->pp_ref_count.counter;
	out[3] = (p->pp_magic & ~0x3UL & ~PP_DMA_INDEX_MASK) == PP_SIGNATURE;
	out[4] = p->pp == pool && pool;
	out[5] = dma_mapped[pfn];
	out[6] = (long)((p->pp_magic & PP_DMA_INDEX_MASK) >> PP_DMA_INDEX_SHIFT);
	out[7] = (long)p->dma_addr;
	out[8] = p->pp_pfmemalloc;
}

static long slot_pfn(const void *v) { return v ? (const struct page *)v - pp_memmap : -1; }

/* the pool: [0] alloc.count, [1] ring entries, [2] hold, [3] release, [4] cpuid, [5] napi set,
 * [6] destroy_cnt, [7] user_cnt, [8] dma_sync, [9] frag_page pfn, [10] frag_users,
 * [11] frag_offset, [12] ring size, [13] dma-index entries; cache pfns in cache[],
 * ring pfns (FIFO from consumer_head) in ring[] */
int pph_pool(long *out, long *cache, int ncache, long *ring, int nring)
{
	const struct ptr_ring *r;
	int n = 0;

	if (!pool)
		return -1;
	r = &pool->ring;
	out[0] = pool->alloc.count;
	for (int i = 0; i < ncache && i < (int)pool->alloc.count; i++)
		cache[i] = slot_pfn((const void *)pool->alloc.cache[i]);
	if (r->queue && !in_freed(r->queue)) {
		for (int i = 0, h = r->consumer_head; i < r->size; i++, h = (h + 1) % r->size) {
			if (!r->queue[h])
				break;
			if (n < nring)
				ring[n] = slot_pfn(r->queue[h]);
			n++;
		}
	}
	out[1] = n;
	out[2] = (u32)pool->pages_state_hold_cnt;
	out[3] = (u32)pool->pages_state_release_cnt.counter;
#if PP_KVER >= 608
	out[4] = pool->cpuid;
#else
	out[4] = -1;
#endif
#if PP_KVER >= 605
	out[5] = pool->p.napi != NULL;
#else
	out[5] = 0;
#endif
	out[6] = (long)pool->destroy_cnt;
	out[7] = pool->user_cnt.refs.counter;
#if PP_KVER >= 606
	out[8] = pool->dma_sync;
#else
	out[8] = (pool->p.flags & PP_FLAG_DMA_SYNC_DEV) != 0;
#endif
	out[9] = slot_pfn((const void *)pool->frag_page);
	out[10] = pool->frag_users;
	out[11] = pool->frag_offset;
	out[12] = r->size;
#if PP_KVER >= 612
	{
		long m = 0;

		for (int i = 0; i < PP_XA_SLOTS; i++)
			m += pool->dma_mapped.slot[i] != NULL;
		out[13] = m;
	}
#else
	out[13] = -1;
#endif
	return 0;
}
