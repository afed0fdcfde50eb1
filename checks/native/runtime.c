/* ppcheck native explorer: the model-independent half.
 *
 * The generated model source defines SB (bytes per packed state), W (64-bit words),
 * NB (bindings), NPROP (properties), HAS_CANON, then includes this file, then defines
 * pp_expand_state() and pp_canon().  States use the same bit layout as the Python
 * explorer's packed ints (spec/schema.py layout()), little-endian, SB bytes each.
 *
 * Search structures: a dense array of packed states in BFS order, int32 parent links,
 * uint16 binding ids, and an open-addressing table of uint32 state indices (linear
 * probing).  A level of the BFS is expanded by one or more threads taking blocks of
 * states from a shared cursor; an insertion claims an empty slot with a compare-and-
 * swap (BUSY), then appends the state and publishes its index, so the array stays
 * dense.  The table and arrays only grow between rounds, when no thread runs.
 *
 * Several threads give the one-thread answer exactly: each state new in a round keeps
 * the smallest discovery key (parent index, successor ordinal within the parent, binding)
 * over every thread that reached it, and at the end of the round the new states are put
 * in key order, which is the order one thread appends them in.  Violations and witnesses
 * keep the smallest (state index, ordinal) likewise, so states, parent links, traces
 * and verdicts are the same for every thread count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#define BUSY 0xFFFFFFFFu
#define BLOCK 16
#define KEYS (NPROP + 1) /* one per property, the last for action assertions/domain */

enum { K_ALWAYS = 0, K_TRANSITION = 1, K_ASSERT = 2, K_DOMAIN = 3 };

typedef struct pp_ctx {
    /* written by every insertion / every block: each on a cache line of its own, so the
       threads do not invalidate the read-mostly fields below on each write */
    _Alignas(64) int64_t n;  /* states stored */
    _Alignas(64) int64_t cursor;
    _Alignas(64) int64_t cap;  /* capacity of the state arrays */
    uint8_t *states;
    int32_t *parents;
    uint16_t *acts;
    uint32_t *table;
    uint64_t tsize;       /* slots, a power of two */
    int64_t found[NPROP > 0 ? NPROP : 1];
    int32_t viol_idx[KEYS], viol_bid[KEYS], viol_msg[KEYS], viol_kind[KEYS];
    int64_t cov[NB > 0 ? NB : 1];
    int64_t dead;
    int64_t hi, limit, margin;
    int need_grow;
    int symmetry;         /* canonicalise successors (the model has HAS_CANON code) */
    uint8_t active[NPROP > 0 ? NPROP : 1];  /* the properties this search checks */
    int32_t viol_ord[KEYS];  /* successor ordinal of each recorded violation */
    uint64_t *keys;          /* discovery keys of the states new in this round (threads > 1) */
    int64_t round0;          /* first state index of the round */
    pthread_mutex_t lock;
    /* where the time goes (pp_prof): PR_* seconds summed over the search */
    double prof[8];
} pp_ctx;

/* pp_prof() slots: wall of the parallel expansion, wall of the serial settling, CPU of
   every thread in the expansion, rounds, wall of the serial growth (pp_room), wall of
   all pp_expand calls, CPU of the settling */
enum { PR_EXPAND = 0, PR_SETTLE, PR_EXPAND_CPU, PR_ROUNDS, PR_ROOM, PR_TOTAL, PR_SETTLE_CPU };

static inline double pp_clock(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#define pp_wall() pp_clock(CLOCK_MONOTONIC)
#define pp_tcpu() pp_clock(CLOCK_THREAD_CPUTIME_ID)

typedef struct pp_worker {
    _Alignas(64) pp_ctx *c;
    int32_t ord;  /* successors emitted so far by the state being expanded */
    int64_t cov[NB > 0 ? NB : 1];
    int64_t dead;
    double cpu;  /* thread CPU seconds of this round's expansion */
} pp_worker;

/* every successor of one state, for replay and the symmetry checks (no canon, no store) */
typedef struct pp_out {
    int n;
    int32_t *bids, *ek, *em;  /* binding, error kind (0 none), error message (assertion) */
    uint8_t *states;          /* SB bytes each; absent (zeros) when the step failed */
    uint8_t *ok;
} pp_out;

static int pp_expand_state(pp_worker *wk, const uint64_t *s, int64_t idx);
static int pp_succ_state(const uint64_t *s, pp_out *out);
static void pp_canon(uint64_t *t);

static inline void pp_collect(pp_out *o, int bid, const uint64_t *t, int ek, int em) {
    int i = o->n++;
    o->bids[i] = bid;
    o->ek[i] = ek;
    o->em[i] = em;
    o->ok[i] = t != NULL;
    if (t) memcpy(o->states + (int64_t)i * SB, t, SB);
}

static inline int64_t pp_mod(int64_t a, int64_t b) {
    if (b == 0) return 0;
    int64_t r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;  /* Python's floor modulo */
}
static inline int64_t pp_min(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t pp_max(int64_t a, int64_t b) { return a > b ? a : b; }

static inline uint64_t pp_get(const uint64_t *s, int off, int width) {
    int k = off >> 6, sh = off & 63;
    uint64_t m = width >= 64 ? ~0ull : ((1ull << width) - 1);
    uint64_t v = s[k] >> sh;
    if (sh + width > 64) v |= s[k + 1] << (64 - sh);
    return v & m;
}

static inline void pp_set(uint64_t *s, int off, int width, uint64_t v) {
    int k = off >> 6, sh = off & 63;
    uint64_t m = width >= 64 ? ~0ull : ((1ull << width) - 1);
    s[k] = (s[k] & ~(m << sh)) | ((v & m) << sh);
    if (sh + width > 64) {
        int hi = sh + width - 64;
        uint64_t m2 = (1ull << hi) - 1;
        s[k + 1] = (s[k + 1] & ~m2) | ((v & m) >> (64 - sh));
    }
}

static inline uint64_t pp_hash(const uint64_t *w) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < W; i++) {
        h ^= w[i] * 0xBF58476D1CE4E5B9ull;
        h = (h << 27) | (h >> 37);
        h *= 0x94D049BB133111EBull;
    }
    h ^= h >> 31;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h;
}

static inline void pp_load(const pp_ctx *c, int64_t i, uint64_t *w) {
    w[W - 1] = 0;
    memcpy(w, c->states + i * SB, SB);
}

/* the discovery key of a successor: parent first, then the order it was emitted in */
static inline uint64_t pp_key(int32_t parent, int32_t ord, uint16_t act) {
    return ((uint64_t)(uint32_t)parent << 32) | ((uint64_t)(uint16_t)ord << 16) | act;
}

/* keep the smaller discovery key of a state new in this round */
static inline void pp_key_min(pp_ctx *c, int64_t j, uint64_t key) {
    uint64_t *k = &c->keys[j - c->round0];
    uint64_t old = __atomic_load_n(k, __ATOMIC_RELAXED);
    while (key < old && !__atomic_compare_exchange_n(k, &old, key, 0, __ATOMIC_RELAXED,
                                                     __ATOMIC_RELAXED)) {
    }
}

/* insert t (zero-padded to W words); returns 1 if it was new */
static inline int pp_insert(pp_ctx *c, const uint64_t *t, int32_t parent, uint16_t act, int32_t ord) {
    uint64_t mask = c->tsize - 1, i = pp_hash(t) & mask;
    const uint8_t *tb = (const uint8_t *)t;
    for (;;) {
        uint32_t v = __atomic_load_n(&c->table[i], __ATOMIC_ACQUIRE);
        if (v == 0) {
            uint32_t exp = 0;
            if (__atomic_compare_exchange_n(&c->table[i], &exp, BUSY, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
                int64_t j = __atomic_fetch_add(&c->n, 1, __ATOMIC_RELAXED);
                memcpy(c->states + j * SB, tb, SB);
                c->parents[j] = parent;
                c->acts[j] = act;
                if (c->keys) __atomic_store_n(&c->keys[j - c->round0], pp_key(parent, ord, act),
                                              __ATOMIC_RELAXED);
                __atomic_store_n(&c->table[i], (uint32_t)(j + 1), __ATOMIC_RELEASE);
                return 1;
            }
            v = exp;
        }
        while (v == BUSY) {
            __builtin_ia32_pause();
            v = __atomic_load_n(&c->table[i], __ATOMIC_ACQUIRE);
        }
        if (memcmp(c->states + (int64_t)(v - 1) * SB, tb, SB) == 0) {
            if (c->keys && (int64_t)(v - 1) >= c->round0) pp_key_min(c, v - 1, pp_key(parent, ord, act));
            return 0;
        }
        i = (i + 1) & mask;
    }
}

/* a successor of state idx by binding bid: canonicalise, count, insert */
static inline void pp_emit(pp_worker *wk, uint64_t *t, int64_t idx, int bid) {
#if HAS_CANON
    if (wk->c->symmetry) pp_canon(t);
#endif
    wk->cov[bid]++;
    pp_insert(wk->c, t, (int32_t)idx, (uint16_t)bid, wk->ord++);
}

/* is the state idx before the recorded one (an index or -1 for none)? */
static inline int pp_before(int64_t recorded, int64_t idx) {
    return (uint64_t)idx < (uint64_t)recorded;
}

/* record a violation unless one of this key comes earlier in one-thread order:
   the smallest state index, then the smallest successor ordinal */
static void pp_report(pp_worker *wk, int kind, int prop, int64_t idx, int bid, int msg) {
    pp_ctx *c = wk->c;
    int key = (kind == K_ALWAYS || kind == K_TRANSITION) ? prop : NPROP;
    int32_t ord = kind == K_ALWAYS ? -1 : wk->ord;
    int32_t rec = __atomic_load_n(&c->viol_idx[key], __ATOMIC_ACQUIRE);
    if (rec >= 0 && !pp_before(rec, idx) && !(rec == idx && ord < c->viol_ord[key])) return;
    pthread_mutex_lock(&c->lock);
    rec = c->viol_idx[key];
    if (rec < 0 || pp_before(rec, idx) || (rec == idx && ord < c->viol_ord[key])) {
        c->viol_bid[key] = bid;
        c->viol_msg[key] = msg;
        c->viol_kind[key] = kind;
        c->viol_ord[key] = ord;
        __atomic_store_n(&c->viol_idx[key], (int32_t)idx, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&c->lock);
}

/* a witness: keep the smallest state index */
static inline void pp_found(pp_worker *wk, int prop, int64_t idx) {
    int64_t *f = &wk->c->found[prop];
    int64_t old = __atomic_load_n(f, __ATOMIC_RELAXED);
    while (pp_before(old, idx) && !__atomic_compare_exchange_n(f, &old, idx, 0, __ATOMIC_RELAXED,
                                                              __ATOMIC_RELAXED)) {
    }
}

static int pp_rehash(pp_ctx *c, uint64_t tsize) {
    uint32_t *t = calloc(tsize, sizeof(uint32_t));
    if (!t) return -1;
    uint64_t mask = tsize - 1, w[W];
    for (int64_t j = 0; j < c->n; j++) {
        pp_load(c, j, w);
        uint64_t i = pp_hash(w) & mask;
        while (t[i]) i = (i + 1) & mask;
        t[i] = (uint32_t)(j + 1);
    }
    free(c->table);
    c->table = t;
    c->tsize = tsize;
    return 0;
}

static int pp_reserve(pp_ctx *c, int64_t cap) {
    uint8_t *s = realloc(c->states, (size_t)cap * SB);
    if (!s) return -1;
    c->states = s;
    int32_t *p = realloc(c->parents, (size_t)cap * sizeof(int32_t));
    if (!p) return -1;
    c->parents = p;
    uint16_t *a = realloc(c->acts, (size_t)cap * sizeof(uint16_t));
    if (!a) return -1;
    c->acts = a;
    c->cap = cap;
    return 0;
}

/* make room for `extra` more states: table at most 3/4 full, arrays large enough */
static int pp_room(pp_ctx *c, int64_t extra) {
    while ((double)(c->n + extra) > 0.75 * (double)c->tsize)
        if (pp_rehash(c, c->tsize * 2)) return -1;
    if (c->n + extra > c->cap) {
        int64_t cap = c->cap;
        while (c->n + extra > cap) cap = cap + cap / 2 + 1024;
        if (pp_reserve(c, cap)) return -1;
    }
    c->limit = (int64_t)(0.75 * (double)c->tsize);
    if (c->limit > c->cap) c->limit = c->cap;
    return 0;
}

void *pp_new(int symmetry) {
    size_t size = (sizeof(pp_ctx) + 63) / 64 * 64;
    pp_ctx *c = aligned_alloc(64, size);
    if (!c) return NULL;
    memset(c, 0, size);
    c->symmetry = symmetry;
    pthread_mutex_init(&c->lock, NULL);
    for (int k = 0; k < KEYS; k++) c->viol_idx[k] = -1;
    for (int k = 0; k < NPROP; k++) c->found[k] = -1;
    for (int k = 0; k < NPROP; k++) c->active[k] = 1;
    c->tsize = 1 << 16;
    c->table = calloc(c->tsize, sizeof(uint32_t));
    if (!c->table || pp_reserve(c, 1 << 14)) return NULL;
    return c;
}

void pp_free(void *p) {
    pp_ctx *c = p;
    if (!c) return;
    free(c->states);
    free(c->parents);
    free(c->acts);
    free(c->table);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void pp_canon_bytes(const uint8_t *in, uint8_t *out) {
    uint64_t w[W];
    w[W - 1] = 0;
    memcpy(w, in, SB);
#if HAS_CANON
    pp_canon(w);
#endif
    memcpy(out, w, SB);
}

int pp_add_init(void *p, const uint8_t *s) {
    pp_ctx *c = p;
    uint64_t w[W];
    w[W - 1] = 0;
    memcpy(w, s, SB);
#if HAS_CANON
    if (c->symmetry) pp_canon(w);
#endif
    if (pp_room(c, 1)) return -1;
    return pp_insert(c, w, -1, 0xFFFF, 0);
}

static void *pp_work(void *arg) {
    pp_worker *wk = arg;
    pp_ctx *c = wk->c;
    uint64_t s[W];
    double cpu0 = pp_tcpu();
    for (;;) {
        if (__atomic_load_n(&c->n, __ATOMIC_RELAXED) + c->margin > c->limit) {
            __atomic_store_n(&c->need_grow, 1, __ATOMIC_RELAXED);
            break;
        }
        int64_t i = __atomic_fetch_add(&c->cursor, BLOCK, __ATOMIC_RELAXED);
        if (i >= c->hi) break;
        int64_t e = i + BLOCK < c->hi ? i + BLOCK : c->hi;
        for (; i < e; i++) {
            pp_load(c, i, s);
            wk->ord = 0;
            if (!pp_expand_state(wk, s, i)) wk->dead++;
        }
    }
    wk->cpu = pp_tcpu() - cpu0;
    return NULL;
}

static int pp_cmp_key(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* put the states new in this round [round0, n) in discovery-key order: the order one
   thread appends them in.  keys[] becomes (key, old position) pairs, sorted. */
static int pp_settle(pp_ctx *c) {
    int64_t m = c->n - c->round0;
    if (m <= 1) return 0;
    uint64_t *pairs = malloc((size_t)m * 2 * sizeof(uint64_t));
    uint8_t *st = malloc((size_t)m * SB);
    if (!pairs || !st) {
        free(pairs);
        free(st);
        return -1;
    }
    for (int64_t j = 0; j < m; j++) {
        pairs[2 * j] = c->keys[j];
        pairs[2 * j + 1] = (uint64_t)j;
    }
    qsort(pairs, (size_t)m, 2 * sizeof(uint64_t), pp_cmp_key);
    memcpy(st, c->states + c->round0 * SB, (size_t)m * SB);
    uint64_t mask = c->tsize - 1, w[W];
    for (int64_t r = 0; r < m; r++) {
        int64_t old = (int64_t)pairs[2 * r + 1], now = c->round0 + r;
        uint64_t key = pairs[2 * r];
        memcpy(c->states + now * SB, st + old * SB, SB);
        c->parents[now] = (int32_t)(uint32_t)(key >> 32);
        c->acts[now] = (uint16_t)(key & 0xFFFF);
        /* the table slot of this state now names its new index */
        w[W - 1] = 0;
        memcpy(w, st + old * SB, SB);
        uint64_t i = pp_hash(w) & mask;
        while (c->table[i] != (uint32_t)(c->round0 + old + 1)) i = (i + 1) & mask;
        c->table[i] = (uint32_t)(now + 1) | 0x80000000u;  /* marked: already moved */
    }
    /* clear the marks (indices stay below 2^31: int32 parent links) */
    for (int64_t r = 0; r < m; r++) {
        memcpy(w, c->states + (c->round0 + r) * SB, SB);
        uint64_t i = pp_hash(w) & mask;
        while (c->table[i] != ((uint32_t)(c->round0 + r + 1) | 0x80000000u)) i = (i + 1) & mask;
        c->table[i] &= 0x7FFFFFFFu;
    }
    free(pairs);
    free(st);
    return 0;
}

/* expand states [lo, hi) with nthreads threads; returns 0, or -1 when out of memory */
int pp_expand(void *p, int64_t lo, int64_t hi, int nthreads) {
    pp_ctx *c = p;
    if (nthreads < 1) nthreads = 1;
    if (nthreads > 64) nthreads = 64;
    if (hi - lo < 4 * BLOCK * nthreads) nthreads = 1;
    pp_worker wk[64];
    pthread_t th[64];
    c->margin = (int64_t)BLOCK * (NB > 0 ? NB : 1) * nthreads;
    double t_in = pp_wall();
    while (lo < hi) {
        double t0 = pp_wall();
        if (pp_room(c, c->margin)) return -1;
        double t1 = pp_wall();
        c->prof[PR_ROOM] += t1 - t0;
        c->prof[PR_ROUNDS] += 1;
        c->cursor = lo;
        c->hi = hi;
        c->need_grow = 0;
        c->round0 = c->n;
        if (nthreads > 1) {
            c->keys = malloc((size_t)(c->cap - c->n + 1) * sizeof(uint64_t));
            if (!c->keys) return -1;
        }
        for (int k = 0; k < nthreads; k++) {
            memset(&wk[k], 0, sizeof(pp_worker));
            wk[k].c = c;
        }
        int started = 0;
        for (int k = 1; k < nthreads; k++)
            if (pthread_create(&th[k], NULL, pp_work, &wk[k]) == 0) started = k;
            else break;
        pp_work(&wk[0]);
        for (int k = 1; k <= started; k++) pthread_join(th[k], NULL);
        double t2 = pp_wall();
        c->prof[PR_EXPAND] += t2 - t1;
        for (int k = 0; k <= started; k++) c->prof[PR_EXPAND_CPU] += wk[k].cpu;
        if (c->keys) {
            double c0 = pp_tcpu();
            int rc = pp_settle(c);
            c->prof[PR_SETTLE_CPU] += pp_tcpu() - c0;
            c->prof[PR_SETTLE] += pp_wall() - t2;
            free(c->keys);
            c->keys = NULL;
            if (rc) return -1;
        }
        for (int k = 0; k < nthreads; k++) {
            c->dead += wk[k].dead;
            for (int b = 0; b < NB; b++) c->cov[b] += wk[k].cov[b];
        }
        lo = c->cursor < hi ? c->cursor : hi;
    }
    c->prof[PR_TOTAL] += pp_wall() - t_in;
    return 0;
}

const double *pp_prof(void *p) { return ((pp_ctx *)p)->prof; }

/* every successor of the packed state s (no canonicalisation); returns how many */
int pp_succ(const uint8_t *s, int32_t *bids, int32_t *ek, int32_t *em, uint8_t *ok, uint8_t *states) {
    uint64_t w[W];
    w[W - 1] = 0;
    memcpy(w, s, SB);
    pp_out o = {0, bids, ek, em, states, ok};
    return pp_succ_state(w, &o);
}

int pp_nb(void) { return NB; }

void pp_set_active(void *p, int k, int on) {
    if (k >= 0 && k < NPROP) ((pp_ctx *)p)->active[k] = (uint8_t)(on != 0);
}

int64_t pp_count(void *p) { return ((pp_ctx *)p)->n; }
int64_t pp_dead(void *p) { return ((pp_ctx *)p)->dead; }
const uint8_t *pp_states(void *p) { return ((pp_ctx *)p)->states; }
const int32_t *pp_parents(void *p) { return ((pp_ctx *)p)->parents; }
const uint16_t *pp_acts(void *p) { return ((pp_ctx *)p)->acts; }
const int64_t *pp_cov(void *p) { return ((pp_ctx *)p)->cov; }
const int64_t *pp_found_arr(void *p) { return ((pp_ctx *)p)->found; }
const int32_t *pp_viol(void *p, int what) {
    pp_ctx *c = p;
    return what == 0 ? c->viol_idx : what == 1 ? c->viol_bid : what == 2 ? c->viol_msg : c->viol_kind;
}
/* bytes held by the search structures */
int64_t pp_bytes(void *p) {
    pp_ctx *c = p;
    return c->cap * (SB + 6) + (int64_t)c->tsize * 4;
}
int pp_sb(void) { return SB; }
