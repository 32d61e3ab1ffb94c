"""Local search on a split: single-group moves, pair swaps and kicks (iterated local search).

Each step lowers the cost of :class:`~maskstats.splitting.state.State` and keeps the size
bounds and the every-split guarantee.
"""

from __future__ import annotations

import numpy as np

from maskstats.splitting.state import State

POLISH_PASSES = 3
POLISH_VERIFY = 5_000    # moves checked exactly per polish pass in large tables
LARGE = 1_000            # above this many groups: batch moves, no swaps, no kicks
SCREEN_MAX = 20_000      # above this many groups: no moves after dealing
SWAP_BUDGET = 10 ** 8    # swaps are tried when groups^2 x features stays below this
SWAPS_PER_CALL = 64
MOVES_PER_CALL = 256


def polish(st: State, rng: np.random.Generator) -> bool:
    """Step 4a: move single groups, best move first, while that lowers the cost.

    Adding F[x] to split j changes its cost by sum w (F^2 + 2 e F); removing it from a by
    sum w (F^2 - 2 e F): all moves are scored at once from two matrix products.
    """
    f = st.dense()
    n, k = f.shape[0], st.k
    present = f[:, :k] > 0
    sizes = st.g.sizes.astype(np.float64)
    rows = np.arange(n)
    moved = False
    for _ in range(min(n, MOVES_PER_CALL)):
        a = st.assign
        sq = (f * f) @ st.w.T
        lin = f @ (st.w * st.e).T
        gain = sq + 2 * lin + (sq[rows, a] - 2 * lin[rows, a])[:, None]
        gain[rows, a] = np.inf
        gain[st.load[None, :] + sizes[:, None] > st.upper[None, :] + 1e-9] = np.inf
        stuck = (st.load[a] - sizes < st.lower[a] - 1e-9)
        stuck |= (present & (st.protected[None, :] & (st.held <= 1))[a]).any(axis=1)
        gain[stuck] = np.inf
        gain += rng.random(gain.shape) * 1e-15  # seeded order among equal moves
        x, j = np.unravel_index(int(np.argmin(gain)), gain.shape)
        if not gain[x, j] < -1e-12:
            break
        st.put(x, int(a[x]), -1)
        st.put(x, int(j))
        moved = True
    return moved


def polish_many(st: State) -> bool:
    """Step 4a for large tables: screen every move at once, then make the best ones."""
    g = st.g
    xs = np.arange(g.num_groups)
    a = st.assign.copy()
    gain = st.costs(xs) + st.costs(xs, -1.0)[xs, a][:, None]
    gain[xs, a] = np.inf
    gain[st.load[None, :] + g.sizes[:, None] > st.upper[None, :] + 1e-9] = np.inf
    best = np.argmin(gain, axis=1)
    order = np.flatnonzero(gain[xs, best] < -1e-12)
    order = order[np.argsort(gain[order, best[order]], kind="stable")][:POLISH_VERIFY]
    moved = False
    for x in order:
        k = int(st.assign[x])
        if st.load[k] - g.sizes[x] < st.lower[k] - 1e-9 or not st.movable(x):
            continue
        exact = st.add_cost(x) + st.add_cost(x, -1.0)[k]
        exact[k] = 0.0
        exact[~st.fits(x)] = np.inf
        j = int(np.argmin(exact))
        if exact[j] < -1e-12:
            st.put(x, k, -1)
            st.put(x, j)
            moved = True
    return moved


def swap(st: State, rng: np.random.Generator) -> bool:
    """Step 4b: exchange two groups of different splits while that lowers the cost.

    All pairs are scored at once: moving group x (split a) and y (split b) changes split a
    by d = F[y] - F[x] and split b by -d, so the change of cost is
    sum_a w (d^2 + 2 e d) + sum_b w (d^2 - 2 e d), expanded into matrix products.
    """
    f = st.dense()
    n, k = f.shape[0], st.k
    present = f[:, :k] > 0
    absent = (~present).astype(np.float64)
    sizes = st.g.sizes.astype(np.float64)
    rows = np.arange(n)
    improved = False
    for _ in range(min(n, SWAPS_PER_CALL)):
        a = st.assign
        sq = (f * f) @ st.w.T                          # (n, S): sum w F^2 per split
        lin = f @ (st.w * st.e).T                      # (n, S): sum w e F per split
        cross = np.stack([(f * w) @ f.T for w in st.w])  # (S, n, n): sum w F_x F_y
        delta = _pair_delta(sq, lin, cross, a, rows)
        new_a = st.load[a][:, None] - sizes[:, None] + sizes[None, :]
        new_b = st.load[a][None, :] - sizes[None, :] + sizes[:, None]
        ok = (a[:, None] != a[None, :])
        ok &= (new_a <= st.upper[a][:, None] + 1e-9) & (new_a >= st.lower[a][:, None] - 1e-9)
        ok &= (new_b <= st.upper[a][None, :] + 1e-9) & (new_b >= st.lower[a][None, :] - 1e-9)
        crit = (present & (st.protected[None, :] & (st.held <= 1))[a]).astype(np.float64)
        ok &= (crit @ absent.T == 0) & (absent @ crit.T == 0)
        delta[~ok] = np.inf
        x, y = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if not delta[x, y] < -1e-12:
            break
        ax, by = int(a[x]), int(a[y])
        st.put(x, ax, -1)
        st.put(y, by, -1)
        st.put(x, by)
        st.put(y, ax)
        improved = True
    return improved


def _pair_delta(sq, lin, cross, a, rows) -> np.ndarray:
    """(x, y) -> change of cost when x (in split a[x]) and y (in a[y]) trade places."""
    # split a[x] loses F[x], gains F[y]: A_a[y] + A_a[x] - 2 M_a[x, y] + 2 (B_a[y] - B_a[x])
    sa = sq[:, a].T                                   # (x, y) -> sq[y, a[x]]
    side_a = (sa + sq[rows, a][:, None] - 2 * cross[a, rows, :]
              + 2 * (lin[:, a].T - lin[rows, a][:, None]))
    # split a[y] loses F[y], gains F[x]: A_b[x] + A_b[y] - 2 M_b[x, y] - 2 (B_b[y] - B_b[x])
    sb = sq[:, a]                                     # (x, y) -> sq[x, a[y]]
    side_b = (sb + sq[rows, a][None, :] - 2 * cross[a[None, :], rows[:, None], rows[None, :]]
              - 2 * (lin[rows, a][None, :] - lin[:, a]))
    return side_a + side_b


def local_search(st: State, rng: np.random.Generator, swaps: bool) -> None:
    if st.g.num_groups > LARGE:
        # screened moves; past SCREEN_MAX groups they are fine-grained enough that the moves
        # gain nothing measurable (1e-5 of the cost on 100,000 single images)
        for _ in range(POLISH_PASSES if st.g.num_groups <= SCREEN_MAX else 0):
            if not polish_many(st):
                break
        return
    for _ in range(POLISH_PASSES):
        moved = polish(st, rng)
        if not (swaps and swap(st, rng)) and not moved:
            break


def kick(st: State, rng: np.random.Generator, count: int) -> None:
    """Move a few random groups to random splits (within the bounds) to leave a local optimum."""
    sizes = st.g.sizes
    for x in rng.choice(st.g.num_groups, size=min(count, st.g.num_groups), replace=False):
        k = int(st.assign[x])
        if st.load[k] - sizes[x] < st.lower[k] - 1e-9 or not st.movable(x):
            continue
        fits = st.fits(x)
        fits[k] = False
        if fits.any():
            st.put(x, k, -1)
            st.put(x, int(rng.choice(np.flatnonzero(fits))))


