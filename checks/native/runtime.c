/* ppcheck native explorer: the model-independent half.
 *
 * The generated model source defines SB (bytes per packed state), W (64-bit words),
 * NB (bindings), NPROP (properties), HAS_CANON, then includes this file, then defines
 * pp_expand_state() and pp_canon().  States use the same bit layout as the Python
 * explorer's packed ints (spec/schema.py layout()), little-endian, SB bytes each.
 *
 * Search structures: a dense array of packed states in BFS order, int32 parent links,
 * uint16 binding ids, and an open-addressing table of uint32 state indices (linear
 * probing).  A level of the BFS is expanded in rounds by one or more threads taking
 * blocks of states from a shared cursor; an insertion claims an empty slot with a
 * compare-and-swap (BUSY), then writes the state and publishes its index.  The table
 * and arrays only grow between rounds, when no thread expands.
 *
 * One thread appends each new state at the end.  Several threads (a pool made once per
 * search, woken by a barrier for each phase) each write their new states into indices
 * they reserve RESV at a time, so no two threads write the same cache lines or one
 * shared counter on every insertion.  They give the one-thread answer exactly: each
 * state new in a round keeps the smallest discovery key (parent index, successor
 * ordinal within the parent, binding) over every thread that reached it, and at the end
 * of the round the threads together put the new states in key order (a counting sort
 * by parent, each thread a range of parents), which is the order one thread appends
 * them in; each state's table slot, recorded at insertion, is renamed without hashing,
 * and the unused reserved indices are squeezed out.  Violations and witnesses keep the
 * smallest (state index, ordinal) likewise, so states, parent links, traces and
 * verdicts are the same for every thread count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

/* a spin-wait hint to the CPU (x86 PAUSE, Arm YIELD; nothing elsewhere) */
#if defined(__x86_64__) || defined(__i386__)
#define pp_cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define pp_cpu_relax() __asm__ __volatile__("yield")
#else
#define pp_cpu_relax() ((void)0)
#endif

#define BUSY 0xFFFFFFFFu
#define BLOCK 16
#define RESV 64               /* state indices a thread reserves at once */
#define ROUND_MAX (1 << 18)   /* a parallel round stops after about this many new states */
#define MAXT 64
#define KEYS (NPROP + 1) /* one per property, the last for action assertions/domain */
#define HOLE UINT64_MAX  /* the key of a reserved index no state was written to */

enum { K_ALWAYS = 0, K_TRANSITION = 1, K_ASSERT = 2, K_DOMAIN = 3 };

/* pp_prof() slots, seconds summed over the search: walls of the expansion, of the
   settling and of the growth; CPU of every thread in the expansion, settling and growth;
   CPU of the work one thread does while the others wait (the serial part); rounds;
   wall of all pp_expand calls */
enum { PR_EXPAND = 0, PR_SETTLE, PR_ROOM, PR_EXPAND_CPU, PR_SETTLE_CPU, PR_ROOM_CPU,
       PR_SERIAL_CPU, PR_ROUNDS, PR_TOTAL, PR_N };

/* the jobs of the thread pool */
enum { J_EXPAND = 0, J_SETTLE1, J_SETTLE2, J_REHASH, J_QUIT, J_N };

static inline double pp_clock(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#define pp_wall() pp_clock(CLOCK_MONOTONIC)
#define pp_tcpu() pp_clock(CLOCK_THREAD_CPUTIME_ID)

struct pp_ctx;

typedef struct pp_worker {
    _Alignas(64) struct pp_ctx *c;
    int id;
    int mt;       /* several threads: reserve indices, record keys and slots */
    int32_t ord;  /* successors emitted so far by the state being expanded */
    int64_t next, end;  /* the indices reserved and not yet written [next, end) */
    int64_t dead;
    double cpu[J_N];    /* thread CPU seconds per job, since pp_expand began */
    int64_t cov[NB > 0 ? NB : 1];
} pp_worker;

typedef struct pp_ctx {
    /* written by every reservation / every block: each on a cache line of its own, so
       the threads do not invalidate the read-mostly fields below on each write */
    _Alignas(64) int64_t n;  /* states stored (and indices reserved, during a round) */
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
    pthread_mutex_t lock;
    /* a parallel round: new states at [round0, n), indexed from round0 below */
    int64_t round0, plo, phi;  /* and their parents [plo, phi) */
    uint64_t *keys;       /* discovery key of each (HOLE: nothing written there) */
    uint32_t *slots;      /* its table slot */
    uint8_t *st;          /* a copy of the round's states while they are reordered */
    uint64_t *pairs;      /* (key, old position) in the new order */
    int64_t rcap;         /* entries of keys, slots, st and pairs */
    int64_t *cnt;         /* per parent: new states, then where they go */
    int64_t pcap;
    int64_t total[MAXT];  /* new states whose parent is in thread k's range */
    /* the rehash job */
    uint32_t *ntable;
    uint64_t ntsize;
    /* the thread pool: nt threads counting this one, woken by a barrier per job */
    int nt, job;
    pid_t pid;            /* of the process that made the pool (none is joined after fork) */
    pthread_t th[MAXT];
    pp_worker *wk;
    pthread_mutex_t bm;
    pthread_cond_t bc;
    int bcount, bwant;
    unsigned bgen;
    double prof[PR_N];
} pp_ctx;

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

/* insert t (zero-padded to W words), one thread: append it; returns 1 if it was new */
static inline int pp_insert(pp_ctx *c, const uint64_t *t, int32_t parent, uint16_t act) {
    uint64_t mask = c->tsize - 1, i = pp_hash(t) & mask;
    const uint8_t *tb = (const uint8_t *)t;
    for (;;) {
        uint32_t v = c->table[i];
        if (v == 0) {
            int64_t j = c->n++;
            memcpy(c->states + j * SB, tb, SB);
            c->parents[j] = parent;
            c->acts[j] = act;
            c->table[i] = (uint32_t)(j + 1);
            return 1;
        }
        if (memcmp(c->states + (int64_t)(v - 1) * SB, tb, SB) == 0) return 0;
        i = (i + 1) & mask;
    }
}

/* insert t, several threads: into an index this thread reserved, with its key and slot
   (the parent link and binding are written from the key when the round settles) */
static inline int pp_insert_mt(pp_worker *wk, const uint64_t *t, uint64_t key) {
    pp_ctx *c = wk->c;
    uint64_t mask = c->tsize - 1, i = pp_hash(t) & mask;
    const uint8_t *tb = (const uint8_t *)t;
    for (;;) {
        uint32_t v = __atomic_load_n(&c->table[i], __ATOMIC_ACQUIRE);
        if (v == 0) {
            uint32_t exp = 0;
            if (__atomic_compare_exchange_n(&c->table[i], &exp, BUSY, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
                if (wk->next == wk->end) {
                    wk->next = __atomic_fetch_add(&c->n, RESV, __ATOMIC_RELAXED);
                    wk->end = wk->next + RESV;
                }
                int64_t j = wk->next++, r = j - c->round0;
                memcpy(c->states + j * SB, tb, SB);
                c->slots[r] = (uint32_t)i;
                __atomic_store_n(&c->keys[r], key, __ATOMIC_RELAXED);
                __atomic_store_n(&c->table[i], (uint32_t)(j + 1), __ATOMIC_RELEASE);
                return 1;
            }
            v = exp;
        }
        while (v == BUSY) {
            pp_cpu_relax();
            v = __atomic_load_n(&c->table[i], __ATOMIC_ACQUIRE);
        }
        if (memcmp(c->states + (int64_t)(v - 1) * SB, tb, SB) == 0) {
            if ((int64_t)(v - 1) >= c->round0) pp_key_min(c, v - 1, key);
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
    int32_t ord = wk->ord++;
    if (wk->mt) pp_insert_mt(wk, t, pp_key((int32_t)idx, ord, (uint16_t)bid));
    else pp_insert(wk->c, t, (int32_t)idx, (uint16_t)bid);
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

/* ---- the thread pool ---------------------------------------------------------------- */

/* every thread of the pool meets here; the last to come releases the others.  A waiter
   spins briefly first (SPIN pauses: the phases are short), then sleeps */
#define SPIN 500
static void pp_bar(pp_ctx *c) {
    pthread_mutex_lock(&c->bm);
    unsigned g = c->bgen;
    if (++c->bcount >= c->bwant) {
        c->bcount = 0;
        __atomic_store_n(&c->bgen, g + 1, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&c->bc);
        pthread_mutex_unlock(&c->bm);
        return;
    }
    pthread_mutex_unlock(&c->bm);
    for (int k = 0; k < SPIN; k++) {
        if (__atomic_load_n(&c->bgen, __ATOMIC_ACQUIRE) != g) return;
        pp_cpu_relax();
    }
    pthread_mutex_lock(&c->bm);
    while (c->bgen == g) pthread_cond_wait(&c->bc, &c->bm);
    pthread_mutex_unlock(&c->bm);
}

static void pp_do(pp_worker *wk, int job);

static void *pp_thread(void *arg) {
    pp_worker *wk = arg;
    pp_ctx *c = wk->c;
    for (;;) {
        pp_bar(c);
        int job = c->job;
        if (job == J_QUIT) return NULL;
        pp_do(wk, job);
        pp_bar(c);
    }
}

/* run a job on every thread of the pool, this one as thread 0; returns when all are done */
static void pp_run(pp_ctx *c, int job) {
    c->job = job;
    if (c->nt > 1) pp_bar(c);
    pp_do(&c->wk[0], job);
    if (c->nt > 1) pp_bar(c);
}

static void pp_pool_stop(pp_ctx *c) {
    if (c->nt > 1 && c->pid == getpid()) {
        c->job = J_QUIT;
        pp_bar(c);
        for (int k = 1; k < c->nt; k++) pthread_join(c->th[k], NULL);
    } else if (c->nt > 1) {
        /* a child of fork(): the pool's threads stayed in the parent, but this copy of the
           condition variable still counts them as waiting (destroying it would wait for
           them forever): start from new ones */
        pthread_mutex_init(&c->bm, NULL);
        pthread_cond_init(&c->bc, NULL);
        c->bcount = 0;
    }
    free(c->wk);
    c->wk = NULL;
    c->nt = 0;
}

/* a pool of nt threads (fewer if the system gives fewer); 0, or -1 out of memory */
static int pp_pool_start(pp_ctx *c, int nt) {
    if (c->wk && c->nt == nt && c->pid == getpid()) return 0;
    if (c->wk) pp_pool_stop(c);
    c->wk = aligned_alloc(64, (sizeof(pp_worker) + 63) / 64 * 64 * (size_t)nt);
    if (!c->wk) return -1;
    memset(c->wk, 0, sizeof(pp_worker) * (size_t)nt);
    for (int k = 0; k < nt; k++) {
        c->wk[k].c = c;
        c->wk[k].id = k;
    }
    c->pid = getpid();
    pthread_mutex_lock(&c->bm);
    c->bwant = nt;  /* threads that arrive early wait for this one */
    c->bcount = 0;
    pthread_mutex_unlock(&c->bm);
    int started = 1;
    for (int k = 1; k < nt; k++) {
        if (pthread_create(&c->th[k], NULL, pp_thread, &c->wk[k]) != 0) break;
        started++;
    }
    pthread_mutex_lock(&c->bm);
    c->bwant = started;
    pthread_mutex_unlock(&c->bm);
    c->nt = started;
    return 0;
}

/* ---- growth ----------------------------------------------------------------------------- */

/* thread k of the pool puts states [n*k/nt, n*(k+1)/nt) into the new table; hashes are
   computed a few states ahead and their slots prefetched (the table misses the cache) */
#define AHEAD 8
static void pp_rehash_part(pp_ctx *c, int k, int nt, int shared) {
    int64_t lo = c->n * k / nt, hi = c->n * (k + 1) / nt;
    uint32_t *t = c->ntable;
    uint64_t mask = c->ntsize - 1, w[W], h[AHEAD];
    for (int64_t j = lo; j < hi && j < lo + AHEAD; j++) {
        pp_load(c, j, w);
        h[j - lo] = pp_hash(w) & mask;
        __builtin_prefetch(&t[h[j - lo]], 1);
    }
    for (int64_t j = lo; j < hi; j++) {
        uint64_t i = h[(j - lo) % AHEAD];
        if (j + AHEAD < hi) {
            pp_load(c, j + AHEAD, w);
            uint64_t x = pp_hash(w) & mask;
            h[(j - lo) % AHEAD] = x;
            __builtin_prefetch(&t[x], 1);
        }
        if (shared) {
            for (;;) {
                uint32_t exp = 0;
                if (__atomic_compare_exchange_n(&t[i], &exp, (uint32_t)(j + 1), 0, __ATOMIC_RELAXED,
                                                __ATOMIC_RELAXED)) break;
                i = (i + 1) & mask;
            }
        } else {
            while (t[i]) i = (i + 1) & mask;
            t[i] = (uint32_t)(j + 1);
        }
    }
}

/* a table of tsize slots; the pool (when there is one) fills it */
static int pp_rehash(pp_ctx *c, uint64_t tsize, int par) {
    uint32_t *t = calloc(tsize, sizeof(uint32_t));
    if (!t) return -1;
    c->ntable = t;
    c->ntsize = tsize;
    if (par && c->nt > 1 && c->n >= 65536) pp_run(c, J_REHASH);
    else pp_rehash_part(c, 0, 1, 0);
    free(c->table);
    c->table = t;
    c->tsize = tsize;
    c->ntable = NULL;
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
static int pp_room(pp_ctx *c, int64_t extra, int par) {
    while ((double)(c->n + extra) > 0.75 * (double)c->tsize)
        if (pp_rehash(c, c->tsize * 2, par)) return -1;
    if (c->n + extra > c->cap) {
        int64_t cap = c->cap;
        while (c->n + extra > cap) cap = cap + cap / 2 + 1024;
        if (pp_reserve(c, cap)) return -1;
    }
    c->limit = (int64_t)(0.75 * (double)c->tsize);
    if (c->limit > c->cap) c->limit = c->cap;
    return 0;
}

/* the round buffers hold m states */
static int pp_round_bufs(pp_ctx *c, int64_t m, int64_t parents) {
    if (m > c->rcap) {
        int64_t cap = m + m / 4;
        uint64_t *k = realloc(c->keys, (size_t)cap * sizeof(uint64_t));
        if (!k) return -1;
        c->keys = k;
        uint32_t *sl = realloc(c->slots, (size_t)cap * sizeof(uint32_t));
        if (!sl) return -1;
        c->slots = sl;
        uint8_t *st = realloc(c->st, (size_t)cap * SB);
        if (!st) return -1;
        c->st = st;
        uint64_t *pr = realloc(c->pairs, (size_t)cap * 2 * sizeof(uint64_t));
        if (!pr) return -1;
        c->pairs = pr;
        c->rcap = cap;
    }
    if (parents > c->pcap) {
        int64_t *cn = realloc(c->cnt, (size_t)parents * sizeof(int64_t));
        if (!cn) return -1;
        c->cnt = cn;
        c->pcap = parents;
    }
    return 0;
}

void *pp_new(int symmetry) {
    size_t size = (sizeof(pp_ctx) + 63) / 64 * 64;
    pp_ctx *c = aligned_alloc(64, size);
    if (!c) return NULL;
    memset(c, 0, size);
    c->symmetry = symmetry;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->bm, NULL);
    pthread_cond_init(&c->bc, NULL);
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
    pp_pool_stop(c);
    free(c->states);
    free(c->parents);
    free(c->acts);
    free(c->table);
    free(c->keys);
    free(c->slots);
    free(c->st);
    free(c->pairs);
    free(c->cnt);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->bm);
    pthread_cond_destroy(&c->bc);
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
    if (pp_room(c, 1, 0)) return -1;
    return pp_insert(c, w, -1, 0xFFFF);
}

/* ---- a round ---------------------------------------------------------------------------- */

static void pp_work(pp_worker *wk) {
    pp_ctx *c = wk->c;
    uint64_t s[W];
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
    /* the indices this thread reserved and did not use */
    if (wk->mt)
        for (int64_t j = wk->next; j < wk->end; j++) c->keys[j - c->round0] = HOLE;
    wk->next = wk->end = 0;
}

/* settling, part 1: copy the round's states aside (each thread a range of positions) and
   count the new states of each parent in this thread's range of parents */
static void pp_settle1(pp_worker *wk) {
    pp_ctx *c = wk->c;
    int k = wk->id, nt = c->nt;
    int64_t m = c->n - c->round0, a = m * k / nt, b = m * (k + 1) / nt;
    memcpy(c->st + a * SB, c->states + (c->round0 + a) * SB, (size_t)(b - a) * SB);
    int64_t np = c->phi - c->plo;
    uint64_t p0 = (uint64_t)(c->plo + np * k / nt), p1 = (uint64_t)(c->plo + np * (k + 1) / nt);
    int64_t *cnt = c->cnt - c->plo;
    for (uint64_t p = p0; p < p1; p++) cnt[p] = 0;
    int64_t tot = 0;
    for (int64_t r = 0; r < m; r++) {
        uint64_t p = c->keys[r] >> 32;  /* a HOLE's is past every parent */
        if (p >= p0 && p < p1) {
            cnt[p]++;
            tot++;
        }
    }
    c->total[k] = tot;
}

/* settling, part 2: this thread's parents' states go, in key order, to the positions after
   the states of the threads before it; their parent links, bindings and table slots are
   rewritten */
static void pp_settle2(pp_worker *wk) {
    pp_ctx *c = wk->c;
    int k = wk->id, nt = c->nt;
    int64_t m = c->n - c->round0, np = c->phi - c->plo, base = 0;
    for (int q = 0; q < k; q++) base += c->total[q];
    uint64_t p0 = (uint64_t)(c->plo + np * k / nt), p1 = (uint64_t)(c->plo + np * (k + 1) / nt);
    int64_t *cnt = c->cnt - c->plo, off = base;
    for (uint64_t p = p0; p < p1; p++) {
        int64_t x = cnt[p];
        cnt[p] = off;
        off += x;
    }
    uint64_t *pairs = c->pairs;
    for (int64_t r = 0; r < m; r++) {
        uint64_t key = c->keys[r], p = key >> 32;
        if (p >= p0 && p < p1) {
            int64_t o = cnt[p]++;
            pairs[2 * o] = key;
            pairs[2 * o + 1] = (uint64_t)r;
        }
    }
    /* in parent order now; within a parent by ordinal (few states each: insertion sort) */
    for (int64_t o = base + 1; o < off; o++) {
        uint64_t key = pairs[2 * o], r = pairs[2 * o + 1];
        int64_t q = o - 1;
        while (q >= base && pairs[2 * q] > key) {
            pairs[2 * (q + 1)] = pairs[2 * q];
            pairs[2 * (q + 1) + 1] = pairs[2 * q + 1];
            q--;
        }
        pairs[2 * (q + 1)] = key;
        pairs[2 * (q + 1) + 1] = r;
    }
    for (int64_t o = base; o < off; o++) {
        uint64_t key = pairs[2 * o];
        int64_t r = (int64_t)pairs[2 * o + 1], now = c->round0 + o;
        memcpy(c->states + now * SB, c->st + r * SB, SB);
        c->parents[now] = (int32_t)(uint32_t)(key >> 32);
        c->acts[now] = (uint16_t)(key & 0xFFFF);
        c->table[c->slots[r]] = (uint32_t)(now + 1);
    }
}

static void pp_do(pp_worker *wk, int job) {
    double t0 = pp_tcpu();
    switch (job) {
    case J_EXPAND: pp_work(wk); break;
    case J_SETTLE1: pp_settle1(wk); break;
    case J_SETTLE2: pp_settle2(wk); break;
    case J_REHASH: pp_rehash_part(wk->c, wk->id, wk->c->nt, 1); break;
    default: break;
    }
    wk->cpu[job] += pp_tcpu() - t0;
}

/* expand states [lo, hi) with nthreads threads; returns 0, or -1 when out of memory */
int pp_expand(void *p, int64_t lo, int64_t hi, int nthreads) {
    pp_ctx *c = p;
    double t_in = pp_wall(), s_in = pp_tcpu(), par_cpu = 0;
    if (nthreads < 1) nthreads = 1;
    if (nthreads > MAXT) nthreads = MAXT;
    if (hi - lo < 4 * BLOCK * nthreads) nthreads = 1;
    pp_worker one;
    pp_worker *wk;
    int nt = 1;
    if (nthreads > 1) {
        if (pp_pool_start(c, nthreads)) return -1;
        nt = c->nt;
    }
    if (nt > 1) {
        wk = c->wk;
    } else {
        memset(&one, 0, sizeof one);
        one.c = c;
        wk = &one;
    }
    int mt = nt > 1;
    for (int k = 0; k < nt; k++) wk[k].mt = mt;
    c->margin = ((int64_t)BLOCK * (NB > 0 ? NB : 1) + (mt ? RESV : 0)) * nt;
    int rc = 0;
    while (lo < hi) {
        double t0 = pp_wall(), r0 = mt ? wk[0].cpu[J_REHASH] : 0;
        if (pp_room(c, c->margin, mt)) {
            rc = -1;
            break;
        }
        double t1 = pp_wall();
        c->prof[PR_ROOM] += t1 - t0;
        c->prof[PR_ROUNDS] += 1;
        c->cursor = lo;
        c->hi = hi;
        c->need_grow = 0;
        c->round0 = c->n;
        c->plo = lo;
        if (mt) {
            par_cpu += wk[0].cpu[J_REHASH] - r0;
            if (c->limit > c->round0 + ROUND_MAX + c->margin) c->limit = c->round0 + ROUND_MAX + c->margin;
            if (pp_round_bufs(c, c->limit - c->round0 + 1, 0)) {
                rc = -1;
                break;
            }
            double e0 = wk[0].cpu[J_EXPAND];
            pp_run(c, J_EXPAND);
            par_cpu += wk[0].cpu[J_EXPAND] - e0;
        } else {
            double e0 = pp_tcpu();
            pp_work(wk);
            par_cpu += pp_tcpu() - e0;
        }
        double t2 = pp_wall();
        c->prof[PR_EXPAND] += t2 - t1;
        lo = c->cursor < hi ? c->cursor : hi;
        if (mt) {
            c->phi = lo;
            if (pp_round_bufs(c, 0, c->phi - c->plo)) {
                rc = -1;
                break;
            }
            double s0 = wk[0].cpu[J_SETTLE1] + wk[0].cpu[J_SETTLE2];
            pp_run(c, J_SETTLE1);
            pp_run(c, J_SETTLE2);
            par_cpu += wk[0].cpu[J_SETTLE1] + wk[0].cpu[J_SETTLE2] - s0;
            int64_t m = 0;
            for (int k = 0; k < nt; k++) m += c->total[k];
            c->n = c->round0 + m;
            c->prof[PR_SETTLE] += pp_wall() - t2;
        }
    }
    for (int k = 0; k < nt; k++) {
        c->dead += wk[k].dead;
        for (int b = 0; b < NB; b++) c->cov[b] += wk[k].cov[b];
        wk[k].dead = 0;
        memset(wk[k].cov, 0, sizeof wk[k].cov);
        if (mt) {
            c->prof[PR_EXPAND_CPU] += wk[k].cpu[J_EXPAND];
            c->prof[PR_SETTLE_CPU] += wk[k].cpu[J_SETTLE1] + wk[k].cpu[J_SETTLE2];
            c->prof[PR_ROOM_CPU] += wk[k].cpu[J_REHASH];
            memset(wk[k].cpu, 0, sizeof wk[k].cpu);
        }
    }
    if (!mt) c->prof[PR_EXPAND_CPU] += par_cpu;
    /* what this thread did while the others waited: all of it, less its parallel jobs */
    c->prof[PR_SERIAL_CPU] += pp_tcpu() - s_in - par_cpu;
    c->prof[PR_TOTAL] += pp_wall() - t_in;
    return rc;
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
    return c->cap * (SB + 6) + (int64_t)c->tsize * 4
           + c->rcap * (SB + 28) + c->pcap * 8;  /* the parallel rounds' buffers */
}
int pp_sb(void) { return SB; }
