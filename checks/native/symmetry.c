/* ppcheck native explorer: the symmetry soundness probe (checks/symmetry.py asymmetry).
 *
 * Appended to the generated model source after the generated pp_transpose (one adjacent
 * swap of a symmetric array, Refs remapped: symmetry.py permute), pp_asym_props (the first
 * state property, leads_to p and q included, whose value differs on two states, in
 * asymmetry's order) and pp_asym_trans.  For each given state and each transposition, in
 * the Python order: the properties, then the sets of canonical successors (with the kinds
 * of failing steps), then the transition properties on every successor.  The first
 * difference is reported as (state, kind, property, array); Python words the message.
 */

static int pp_cmp_state(const void *a, const void *b) { return memcmp(a, b, SB); }

/* the canonical successors of s, sorted and unique, into can (count returned); the
   concrete ones into conc (*nconc); the kinds of failing steps as a mask into *errs */
static int pp_asym_succ(const uint64_t *s, uint8_t *tmp, uint8_t *can, uint8_t *conc, int *nconc,
                        int *errs) {
    int32_t bids[NB > 0 ? NB : 1], ek[NB > 0 ? NB : 1], em[NB > 0 ? NB : 1];
    uint8_t ok[NB > 0 ? NB : 1];
    pp_out o = {0, bids, ek, em, tmp, ok};
    int m = pp_succ_state(s, &o), nc = 0, nk = 0;
    uint64_t t[W];
    *errs = 0;
    for (int r = 0; r < m; r++) {
        if (ek[r] == K_ASSERT || ek[r] == K_DOMAIN) *errs |= 1 << ek[r];
        if (!ok[r]) continue;
        if (conc) memcpy(conc + (int64_t)nk++ * SB, tmp + (int64_t)r * SB, SB);
        t[W - 1] = 0;
        memcpy(t, tmp + (int64_t)r * SB, SB);
        pp_canon(t);
        memcpy(can + (int64_t)nc++ * SB, t, SB);
    }
    if (nconc) *nconc = nk;
    qsort(can, (size_t)nc, SB, pp_cmp_state);
    int u = 0;
    for (int r = 0; r < nc; r++)
        if (u == 0 || memcmp(can + (int64_t)(u - 1) * SB, can + (int64_t)r * SB, SB) != 0) {
            if (u != r) memcpy(can + (int64_t)u * SB, can + (int64_t)r * SB, SB);
            u++;
        }
    return u;
}

/* the first of the n packed states that tells records apart, or -1; res[0] its kind
   (1 a state property, 2 the successors, 3 a transition property), res[1] the property,
   res[2] the array (its index in symmetric_arrays).  -2: out of memory. */
int64_t pp_asym(const uint8_t *states, int64_t n, int32_t *res) {
    size_t z = (size_t)(NB > 0 ? NB : 1) * SB;
    uint8_t *tmp = malloc(z), *base = malloc(z), *other = malloc(z), *conc = malloc(z);
    int64_t found = -1;
    if (!tmp || !base || !other || !conc) {
        found = -2;
        goto done;
    }
    uint64_t s[W], t[W], c[W], pc[W];
    for (int64_t x = 0; x < n && found == -1; x++) {
        s[W - 1] = 0;
        memcpy(s, states + x * SB, SB);
        int nb = -1, eb = 0, nconc = 0;
        for (int r = 0; r < PP_NSWAPS && found == -1; r++) {
            int a = pp_swap_arr[r], i = pp_swap_pos[r];
            memcpy(t, s, sizeof s);
            pp_transpose(a, i, t);
            int k = pp_asym_props(s, t);
            if (k >= 0) {
                res[0] = 1, res[1] = k, res[2] = a, found = x;
                break;
            }
            if (nb < 0) nb = pp_asym_succ(s, tmp, base, conc, &nconc, &eb);
            int eo = 0, no = pp_asym_succ(t, tmp, other, NULL, NULL, &eo);
            if (no != nb || eo != eb || memcmp(base, other, (size_t)nb * SB) != 0) {
                res[0] = 2, res[1] = -1, res[2] = a, found = x;
                break;
            }
            for (int q = 0; q < PP_NTRANS && found == -1; q++)
                for (int j = 0; j < nconc; j++) {
                    c[W - 1] = 0;
                    memcpy(c, conc + (int64_t)j * SB, SB);
                    memcpy(pc, c, sizeof c);
                    pp_transpose(a, i, pc);
                    if (pp_asym_trans(q, s, c) != pp_asym_trans(q, t, pc)) {
                        res[0] = 3, res[1] = pp_trans_prop[q], res[2] = a, found = x;
                        break;
                    }
                }
        }
    }
done:
    free(tmp);
    free(base);
    free(other);
    free(conc);
    return found;
}
