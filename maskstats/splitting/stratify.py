"""Group-aware iterative stratification: deal groups of images to splits.

The algorithm adapts Sechidis, Tsoumakas and Vlahavas, "On the stratification of multi-label
data" (ECML PKDD 2011) from single examples to groups that carry several images:

1. Seed the guarantee: each class present in at least as many groups as there are splits gets
   one of its groups in every split (rarest class first; the group that costs least); a class
   in fewer groups (but two or more) gets one in each of the largest splits it can fill.
2. Deal: repeatedly take the class with the fewest remaining groups and deal its groups, the
   largest first, to the split that most needs them. "Most needs" is measured over all the
   classes of the group, not just the dealt one: the split whose squared relative deviation
   from the ratios (images holding each class first, pixels of each class second, images in
   the split third) grows least. Rare classes weigh most, as in Sechidis' rarest-first order.
3. Sizes: no split ever holds more than its share plus the largest group; splits short of
   their share minus the largest group get groups moved from splits above their share.
4. Improve (:mod:`maskstats.splitting.search`): move single groups and swap pairs of groups
   between splits while that lowers the deviation and keeps the size bounds and the seeded
   classes; small tables then search on from randomly kicked copies of the best split found
   (iterated local search), all driven by the seeded random generator.

Everything here works on NumPy arrays; :mod:`maskstats.splitting.split` builds them from a table.
"""

from __future__ import annotations

import numpy as np

from maskstats.splitting.search import LARGE, SWAP_BUDGET, kick, local_search
from maskstats.splitting.state import Groups, State, ranges

KICKS = 150              # iterated local search rounds (tables with at most LARGE groups)
KICK_SIZE = 3
KICK_BUDGET = 40_000     # about this many group evaluations in all the kicked searches
CHUNK = 256              # groups dealt per cost evaluation in large tables
SEED_CANDIDATES = 64     # groups weighed when seeding a class into a split

__all__ = ["Groups", "stratify"]


def _deal_chunk(st: State, xs: np.ndarray, c: int, rng: np.random.Generator) -> None:
    """Deal many groups of class c with one cost evaluation (large tables).

    Costs are taken at the state before the chunk; within the chunk, the groups already
    dealt are accounted for exactly on the dealt class (images, pixels) and the split size,
    the columns that decide Sechidis' choice.
    """
    s = len(st.want)
    k = st.k
    base = st.costs(xs)
    owner, pos = ranges(st.indptr, xs)
    cols, vals = st.cols[pos], st.vals[pos]
    picked = np.flatnonzero(cols == c)
    v_img = np.bincount(owner[picked], weights=vals[picked], minlength=len(xs))
    picked = np.flatnonzero(cols == k + c)
    v_pix = np.bincount(owner[picked], weights=vals[picked], minlength=len(xs))
    sizes = st.g.sizes[xs].astype(np.float64)
    w_img, w_pix, w_size = (st.w[:, col].tolist() for col in (c, k + c, 2 * k))
    room = (st.upper + 1e-9 - st.load).tolist()
    acc_img, acc_pix, acc_size = [0.0] * s, [0.0] * s, [0.0] * s
    base = (base + rng.random(base.shape) * 1e-12).tolist()  # seeded order among ties
    js = []
    # plain Python: a handful of splits per group is faster than NumPy calls on tiny arrays
    for b, vi, vp, size in zip(base, v_img.tolist(), v_pix.tolist(), sizes.tolist()):
        best, best_cost = 0, float("inf")
        for j in range(s):
            if acc_size[j] + size > room[j]:
                continue
            cost = b[j] + 2 * (vi * w_img[j] * acc_img[j] + vp * w_pix[j] * acc_pix[j]
                               + size * w_size[j] * acc_size[j])
            if cost < best_cost:
                best, best_cost = j, cost
        js.append(best)
        acc_img[best] += vi
        acc_pix[best] += vp
        acc_size[best] += size
    js = np.asarray(js, dtype=np.int64)
    st.put_many(xs, js)


def _seed(st: State, rng: np.random.Generator) -> None:
    """Step 1: one group of each class in every split, rarest class first.

    A class in fewer groups than splits (but at least two) is seeded into that many splits,
    the largest first (train and val of 0.8/0.1/0.1 for a class in two groups), so that it
    can be both learned and evaluated.
    """
    g = st.g
    s = len(st.want)
    per_class = g.groups_per_class()
    by_size = np.argsort(-st.want, kind="stable")
    seeded = np.flatnonzero(per_class >= 2)
    order = seeded[np.lexsort((rng.random(len(seeded)), per_class[seeded]))]
    groups_of = _groups_of_class(g)
    for c in order:
        st.protected[c] = True
        targets = rng.permutation(s) if per_class[c] >= s else by_size[:per_class[c]]
        for j in targets:
            if st.held[j, c]:
                continue
            cands = groups_of[c]
            cands = cands[(st.assign[cands] < 0)
                          & (st.load[j] + g.sizes[cands] <= st.upper[j] + 1e-9)]
            if not len(cands):
                st.protected[c] = False
                break
            if len(cands) > SEED_CANDIDATES:
                cands = rng.choice(cands, SEED_CANDIDATES, replace=False)
            costs = [st.add_cost(x)[j] for x in cands]
            st.put(int(cands[int(np.argmin(costs))]), int(j))


def _groups_of_class(g: Groups) -> list[np.ndarray]:
    owner = np.repeat(np.arange(g.num_groups), np.diff(g.indptr))
    order = np.argsort(g.cls, kind="stable")
    bounds = np.searchsorted(g.cls[order], np.arange(g.num_classes + 1))
    return [owner[order[bounds[c]:bounds[c + 1]]] for c in range(g.num_classes)]


def _deal(st: State, rng: np.random.Generator) -> None:
    """Step 2: rarest class first, its groups largest first (random among equal sizes)."""
    g = st.g
    s = len(st.want)
    left = np.zeros(g.num_classes, dtype=np.int64)
    unassigned = st.assign < 0
    np.add.at(left, g.cls, np.repeat(unassigned, np.diff(g.indptr)))
    groups_of = _groups_of_class(g)
    tie = rng.random(g.num_groups)
    while True:
        live = np.flatnonzero(left > 0)
        if not len(live):
            break
        c = live[np.argmin(left[live])]
        todo = groups_of[c][st.assign[groups_of[c]] < 0]
        todo = todo[np.lexsort((tie[todo], -g.sizes[todo]))]
        if g.num_groups > LARGE:
            for start in range(0, len(todo), CHUNK):
                _deal_chunk(st, todo[start:start + CHUNK], int(c), rng)
            np.subtract.at(left, g.cls[ranges(g.indptr, todo)[1]], 1)
            continue
        for x in todo:
            st.put(x, st.best(x, st.fits(x), rng.permutation(s)))
            left[st.classes(x)] -= 1
    rest = np.flatnonzero(st.assign < 0)  # groups with no class at all (all ignored)
    for x in rest[np.lexsort((tie[rest], -g.sizes[rest]))]:
        st.put(x, st.best(x, st.fits(x), rng.permutation(s)))


def _repair_sizes(st: State) -> None:
    """Step 3: lift the splits below their share minus the largest group (sizes come first)."""
    while True:
        short = np.flatnonzero(st.load < st.lower - 1e-9)
        if not len(short):
            return
        j = int(short[np.argmin(st.load[short] - st.lower[short])])
        # any group of a split above its share fits: j stays below its share, and the
        # other split above its share minus the largest group
        cands = np.flatnonzero(st.load[st.assign] > st.want[st.assign])
        cost = st.costs(cands)[:, j] + st.costs(cands, -1.0)[np.arange(len(cands)),
                                                             st.assign[cands]]
        order = cands[np.argsort(cost, kind="stable")]
        if not len(order):
            return
        # the size bound is a promise: when every candidate holds the last copy of some class
        # in its split, move the cheapest anyway (that class is then named as missing)
        best = next((int(x) for x in order if st.movable(x)), int(order[0]))
        st.put(best, int(st.assign[best]), -1)
        st.put(best, j)


def _key(st: State, eligible: np.ndarray) -> tuple[int, float]:
    return int((eligible & (st.held == 0).any(axis=0)).sum()), st.cost()


def _run(groups: Groups, ratios: np.ndarray, rng: np.random.Generator) -> State:
    st = State(groups, ratios)
    _seed(st, rng)
    _deal(st, rng)
    _repair_sizes(st)
    swaps = groups.num_groups ** 2 * (2 * groups.num_classes + 1) <= SWAP_BUDGET
    local_search(st, rng, swaps)
    if groups.num_groups > LARGE:
        return st
    # iterated local search: kick the best assignment found, search again, keep if better
    eligible = groups.groups_per_class() >= len(ratios)
    best, best_key = st.snapshot(), _key(st, eligible)
    for _ in range(min(KICKS, KICK_BUDGET // (4 * groups.num_groups))):
        kick(st, rng, KICK_SIZE)
        local_search(st, rng, swaps)
        key = _key(st, eligible)
        if key < best_key:
            best, best_key = st.snapshot(), key
        else:
            st.restore(best)
    st.restore(best)
    return st


def stratify(groups: Groups, ratios, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    """Assign every group to a split; return (split index per group, classes not everywhere).

    The second item lists the classes present in at least ``len(ratios)`` groups that still
    miss a split (other classes' placements or the size bounds left no way).
    """
    ratios = np.asarray(ratios, dtype=np.float64)
    rng = np.random.default_rng(seed)
    st = _run(groups, ratios, rng)
    eligible = groups.groups_per_class() >= len(ratios)
    failed = np.flatnonzero(eligible & (st.held == 0).any(axis=0))
    return st.assign, [int(c) for c in failed]
