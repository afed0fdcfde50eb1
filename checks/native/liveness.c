/* ppcheck native explorer: progress properties (leads_to) on the C state store.
 *
 * The C twin of the graph search in checks/liveness.py, appended to the generated model
 * source (it calls pp_succ_state, pp_canon and the generated pp_lt_pred).  For the
 * property p ~> q it builds the graph of the not-q states (every successor, canonicalised
 * under symmetry, looked up in the store's table) with each edge labelled by its
 * fairness group, in compressed sparse rows; finds the strongly connected components
 * with an iterative Tarjan (no recursion: components can be a million states deep);
 * keeps the components a fair run can stay in (no fairness: every cyclic one; weak: each
 * group enabled in all its states labels one of its edges; strong: the Emerson-Lei
 * refinement, states enabling a group the component never takes are removed and what
 * remains is split again); then searches backwards from those components and the
 * not-q deadlocks for the first p-state (lowest store index) that reaches one.
 *
 * The graph itself is kept (pp_live_* accessors): when the property fails, Python rebuilds
 * the networkx graph from it, edge by edge in the same order, and checks/liveness.py
 * builds the lasso exactly as it does for the Python explorer.
 */

typedef struct pp_lgraph {
    int64_t nn, ne, nen;
    int32_t *node;   /* node k -> state index (ascending) */
    int64_t *eoff;   /* nn + 1: edges of node k are [eoff[k], eoff[k+1]) */
    int32_t *edst;   /* target node, in emission order (duplicates kept) */
    int32_t *egrp;   /* fairness group of the edge's binding */
    int64_t *enoff;  /* nn + 1 */
    int32_t *en;     /* groups enabled in node k (each once, in first-seen order) */
    uint8_t *dead;   /* node k has no successor */
    int64_t start;   /* state index of the first p-state that can avoid q forever, or -1 */
    int64_t sccs;    /* components examined (all refinement passes) */
} pp_lgraph;

void pp_live_free(void *p) {
    pp_lgraph *L = p;
    if (!L) return;
    free(L->node);
    free(L->eoff);
    free(L->edst);
    free(L->egrp);
    free(L->enoff);
    free(L->en);
    free(L->dead);
    free(L);
}

/* the store index of a (canonical) state, or -1 */
static int64_t pp_lookup(const pp_ctx *c, const uint64_t *t) {
    uint64_t mask = c->tsize - 1, i = pp_hash(t) & mask;
    for (;;) {
        uint32_t v = c->table[i];
        if (v == 0) return -1;
        if (memcmp(c->states + (int64_t)(v - 1) * SB, t, SB) == 0) return (int64_t)(v - 1);
        i = (i + 1) & mask;
    }
}

static int pp_grow32(int32_t **a, int64_t *cap, int64_t need) {
    if (need <= *cap) return 0;
    int64_t n = *cap ? *cap : 1024;
    while (n < need) n *= 2;
    int32_t *p = realloc(*a, (size_t)n * sizeof(int32_t));
    if (!p) return -1;
    *a = p;
    *cap = n;
    return 0;
}

/* the graph of the not-q states; returns 0, -1 (out of memory), -2 (a successor not stored) */
static int pp_live_graph(pp_ctx *c, pp_lgraph *L, const uint8_t *post, int32_t *nid,
                         const int32_t *grp, int ngroups) {
    int64_t n = c->n, ecap = 0, gcap = 0, encap = 0, k = 0;
    int32_t bids[NB > 0 ? NB : 1], ek[NB > 0 ? NB : 1], em[NB > 0 ? NB : 1];
    uint8_t ok[NB > 0 ? NB : 1];
    uint8_t *st = malloc((size_t)(NB > 0 ? NB : 1) * SB);
    int64_t *seen = malloc((size_t)(ngroups > 0 ? ngroups : 1) * sizeof(int64_t));
    L->node = malloc((size_t)(L->nn > 0 ? L->nn : 1) * sizeof(int32_t));
    L->eoff = malloc((size_t)(L->nn + 1) * sizeof(int64_t));
    L->enoff = malloc((size_t)(L->nn + 1) * sizeof(int64_t));
    L->dead = calloc((size_t)(L->nn > 0 ? L->nn : 1), 1);
    if (!st || !seen || !L->node || !L->eoff || !L->enoff || !L->dead) {
        free(st);
        free(seen);
        return -1;
    }
    for (int g = 0; g < ngroups; g++) seen[g] = -1;
    uint64_t s[W], t[W];
    int rc = 0;
    L->eoff[0] = L->enoff[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        if (post[i]) continue;
        L->node[k] = (int32_t)i;
        pp_load(c, i, s);
        pp_out o = {0, bids, ek, em, st, ok};
        int m = pp_succ_state(s, &o), any = 0;
        if (pp_grow32(&L->edst, &ecap, L->ne + m) || pp_grow32(&L->egrp, &gcap, L->ne + m) ||
            pp_grow32(&L->en, &encap, L->nen + m)) {
            rc = -1;
            break;
        }
        for (int r = 0; r < m; r++) {
            int g = grp[bids[r]];
            if (seen[g] != k) {
                seen[g] = k;
                L->en[L->nen++] = g;
            }
            if (!ok[r]) continue;
            any = 1;
            t[W - 1] = 0;
            memcpy(t, st + (int64_t)r * SB, SB);
#if HAS_CANON
            if (c->symmetry) pp_canon(t);
#endif
            int64_t j = pp_lookup(c, t);
            if (j < 0) {
                rc = -2;
                break;
            }
            if (post[j]) continue;
            L->edst[L->ne] = nid[j];
            L->egrp[L->ne] = g;
            L->ne++;
        }
        if (rc) break;
        L->dead[k] = !any;
        k++;
        L->eoff[k] = L->ne;
        L->enoff[k] = L->nen;
    }
    free(st);
    free(seen);
    return rc;
}

/* one pass of Tarjan over the nodes of `cur` (all labelled `lab`), following only edges
   to nodes labelled `lab`; the components go to out[], component r being
   out[cstart[r] .. cstart[r + 1]); returns how many */
static int64_t pp_tarjan(const pp_lgraph *L, const int32_t *cur, int64_t len, int32_t lab,
                         const int32_t *label, int32_t *idx, int32_t *low, uint8_t *onst,
                         int32_t *stk, int32_t *csv, int64_t *cse, int32_t *out, int64_t *cstart) {
    int64_t counter = 0, sp = 0, nout = 0, ncomp = 0;
    for (int64_t a = 0; a < len; a++) idx[cur[a]] = -1;
    for (int64_t a = 0; a < len; a++) {
        int32_t r = cur[a];
        if (idx[r] != -1) continue;
        int64_t top = 0;
        csv[0] = r;
        cse[0] = L->eoff[r];
        idx[r] = low[r] = (int32_t)counter++;
        stk[sp++] = r;
        onst[r] = 1;
        while (top >= 0) {
            int32_t v = csv[top];
            int64_t e = cse[top];
            if (e < L->eoff[v + 1]) {
                cse[top] = e + 1;
                int32_t w = L->edst[e];
                if (label[w] != lab) continue;
                if (idx[w] == -1) {
                    idx[w] = low[w] = (int32_t)counter++;
                    stk[sp++] = w;
                    onst[w] = 1;
                    top++;
                    csv[top] = w;
                    cse[top] = L->eoff[w];
                } else if (onst[w] && idx[w] < low[v]) {
                    low[v] = idx[w];
                }
                continue;
            }
            top--;
            if (top >= 0) {
                int32_t u = csv[top];
                if (low[v] < low[u]) low[u] = low[v];
            }
            if (low[v] == idx[v]) {
                cstart[ncomp++] = nout;
                int32_t x;
                do {
                    x = stk[--sp];
                    onst[x] = 0;
                    out[nout++] = x;
                } while (x != v);
            }
        }
    }
    cstart[ncomp] = nout;
    return ncomp;
}

/* the fair components and the verdict; returns 0 or -1 (out of memory) */
static int pp_live_verdict(pp_ctx *c, pp_lgraph *L, int prop, int ngroups, int fairness) {
    int64_t nn = L->nn;
    size_t z = (size_t)(nn > 0 ? nn : 1);
    int32_t *label = malloc(z * 4), *idx = malloc(z * 4), *low = malloc(z * 4);
    int32_t *stk = malloc(z * 4), *csv = malloc(z * 4), *out = malloc(z * 4);
    int32_t *cur = malloc(z * 4), *sbuf = malloc(z * 4);
    int64_t *cse = malloc(z * 8), *cstart = malloc((z + 1) * 8), *mark = malloc(z * 8);
    int64_t *sets = malloc(z * 3 * 8);  /* pending sets: (offset in sbuf, length, label) */
    uint8_t *onst = calloc(z, 1), *sink = calloc(z, 1), *bad = calloc(z, 1);
    size_t gz = (size_t)(ngroups > 0 ? ngroups : 1);
    int64_t *taken = malloc(gz * 8), *cntst = malloc(gz * 8), *cnt = malloc(gz * 8);
    int64_t *pred_off = calloc(z + 1, 8);
    int32_t *pred = malloc((size_t)(L->ne > 0 ? L->ne : 1) * 4);
    int rc = -1;
    if (!label || !idx || !low || !stk || !csv || !out || !cur || !sbuf || !cse || !cstart ||
        !mark || !sets || !onst || !sink || !bad || !taken || !cntst || !cnt || !pred_off || !pred)
        goto done;
    for (int64_t v = 0; v < nn; v++) {
        label[v] = 0;
        mark[v] = -1;
        sbuf[v] = (int32_t)v;
        if (L->dead[v]) sink[v] = 1;
    }
    for (size_t g = 0; g < gz; g++) taken[g] = cntst[g] = -1;
    int64_t nsets = 0, stop = 0, stamp = 0;
    int32_t next_label = 1;
    if (nn > 0) {
        sets[0] = 0;
        sets[1] = nn;
        sets[2] = 0;
        nsets = 1;
        stop = nn;
    }
    while (nsets > 0) {
        nsets--;
        int64_t off = sets[3 * nsets], len = sets[3 * nsets + 1];
        int32_t lab = (int32_t)sets[3 * nsets + 2];
        memcpy(cur, sbuf + off, (size_t)len * 4);
        stop = off;
        int64_t ncomp = pp_tarjan(L, cur, len, lab, label, idx, low, onst, stk, csv, cse, out, cstart);
        L->sccs += ncomp;
        for (int64_t r = 0; r < ncomp; r++) {
            int32_t *C = out + cstart[r];
            int64_t size = cstart[r + 1] - cstart[r];
            int64_t st = stamp++;
            for (int64_t a = 0; a < size; a++) mark[C[a]] = st;
            int cyclic = size > 1;
            if (!cyclic) {
                int32_t v = C[0];
                for (int64_t e = L->eoff[v]; e < L->eoff[v + 1]; e++)
                    if (L->edst[e] == v) cyclic = 1;
            }
            if (!cyclic) continue;
            int fair = 1;
            if (fairness != 0) {
                for (int64_t a = 0; a < size; a++) {
                    int32_t v = C[a];
                    for (int64_t e = L->eoff[v]; e < L->eoff[v + 1]; e++)
                        if (mark[L->edst[e]] == st) taken[L->egrp[e]] = st;
                }
                if (fairness == 1) {  /* weak: every group enabled in all states is taken */
                    for (int64_t a = 0; a < size; a++) {
                        int32_t v = C[a];
                        for (int64_t q = L->enoff[v]; q < L->enoff[v + 1]; q++) {
                            int32_t g = L->en[q];
                            if (cntst[g] != st) {
                                cntst[g] = st;
                                cnt[g] = 0;
                            }
                            cnt[g]++;
                        }
                    }
                    for (int64_t a = 0; a < size && fair; a++) {
                        int32_t v = C[a];
                        for (int64_t q = L->enoff[v]; q < L->enoff[v + 1]; q++) {
                            int32_t g = L->en[q];
                            if (cnt[g] == size && taken[g] != st) {
                                fair = 0;
                                break;
                            }
                        }
                    }
                } else {  /* strong: drop the states enabling a group never taken, split again */
                    int64_t kept = 0;
                    for (int64_t a = 0; a < size; a++) {
                        int32_t v = C[a];
                        int ok = 1;
                        for (int64_t q = L->enoff[v]; q < L->enoff[v + 1]; q++)
                            if (taken[L->en[q]] != st) {
                                ok = 0;
                                break;
                            }
                        if (ok) sbuf[stop + kept++] = v;
                    }
                    if (kept < size) {
                        fair = 0;
                        int32_t nl = next_label++;
                        for (int64_t a = 0; a < size; a++) label[C[a]] = -1;
                        if (kept > 0) {
                            for (int64_t a = 0; a < kept; a++) label[sbuf[stop + a]] = nl;
                            sets[3 * nsets] = stop;
                            sets[3 * nsets + 1] = kept;
                            sets[3 * nsets + 2] = nl;
                            nsets++;
                            stop += kept;
                        }
                    }
                }
            }
            if (fair)
                for (int64_t a = 0; a < size; a++) sink[C[a]] = 1;
        }
    }
    /* backwards from the sinks: every not-q state that can reach one */
    for (int64_t e = 0; e < L->ne; e++) pred_off[L->edst[e] + 1]++;
    for (int64_t v = 0; v < nn; v++) pred_off[v + 1] += pred_off[v];
    for (int64_t v = 0; v < nn; v++) idx[v] = (int32_t)pred_off[v];  /* fill cursors */
    for (int64_t v = 0; v < nn; v++)
        for (int64_t e = L->eoff[v]; e < L->eoff[v + 1]; e++) pred[idx[L->edst[e]]++] = (int32_t)v;
    int64_t qn = 0;
    for (int64_t v = 0; v < nn; v++)
        if (sink[v]) {
            bad[v] = 1;
            stk[qn++] = (int32_t)v;
        }
    while (qn > 0) {
        int32_t v = stk[--qn];
        for (int64_t e = pred_off[v]; e < pred_off[v + 1]; e++) {
            int32_t u = pred[e];
            if (!bad[u]) {
                bad[u] = 1;
                stk[qn++] = u;
            }
        }
    }
    L->start = -1;
    uint64_t s[W];
    for (int64_t v = 0; v < nn; v++) {
        if (!bad[v]) continue;
        pp_load(c, L->node[v], s);
        if (pp_lt_pred(prop, 0, s)) {
            L->start = L->node[v];
            break;
        }
    }
    rc = 0;
done:
    free(label); free(idx); free(low); free(stk); free(csv); free(out); free(cur); free(sbuf);
    free(cse); free(cstart); free(mark); free(sets); free(onst); free(sink); free(bad);
    free(taken); free(cntst); free(cnt); free(pred_off); free(pred);
    return rc;
}

/* leads_to property `prop` (p ~> q) on the finished search: grp[b] is binding b's fairness
   group (0 .. ngroups-1), fairness 0 none, 1 weak, 2 strong.  *status: 0, -1 out of
   memory, -2 a successor missing from the store (an incomplete search: a caller bug). */
void *pp_live(void *p, int prop, const int32_t *grp, int ngroups, int fairness, int *status) {
    pp_ctx *c = p;
    int64_t n = c->n;
    *status = -1;
    pp_lgraph *L = calloc(1, sizeof(pp_lgraph));
    uint8_t *post = malloc((size_t)(n > 0 ? n : 1));
    int32_t *nid = malloc((size_t)(n > 0 ? n : 1) * 4);
    if (!L || !post || !nid) {
        free(post);
        free(nid);
        pp_live_free(L);
        return NULL;
    }
    uint64_t s[W];
    for (int64_t i = 0; i < n; i++) {
        pp_load(c, i, s);
        post[i] = (uint8_t)pp_lt_pred(prop, 1, s);
        nid[i] = post[i] ? -1 : (int32_t)L->nn++;
    }
    int rc = pp_live_graph(c, L, post, nid, grp, ngroups);
    if (rc == 0) rc = pp_live_verdict(c, L, prop, ngroups, fairness);
    free(post);
    free(nid);
    *status = rc;
    if (rc) {
        pp_live_free(L);
        return NULL;
    }
    return L;
}

int64_t pp_live_start(void *p) { return ((pp_lgraph *)p)->start; }
int64_t pp_live_size(void *p, int what) {
    pp_lgraph *L = p;
    return what == 0 ? L->nn : what == 1 ? L->ne : what == 2 ? L->nen : L->sccs;
}
const int32_t *pp_live_i32(void *p, int what) {
    pp_lgraph *L = p;
    return what == 0 ? L->node : what == 1 ? L->edst : what == 2 ? L->egrp : L->en;
}
const int64_t *pp_live_off(void *p, int what) {
    pp_lgraph *L = p;
    return what == 0 ? L->eoff : L->enoff;
}
const uint8_t *pp_live_dead(void *p) { return ((pp_lgraph *)p)->dead; }
