"""The ``balanced`` solver: sampling probabilities that even out the expected class shares.

Problem: over the capped simplex P = {p : p_i >= 0, sum_i p_i = 1, p_i <= u}, maximise

    F(p) = sum_c log S_c - C log T,   S_c = sum_i p_i x_ic,  T = sum_i p_i X_i,

i.e. sum_c log s_c with s_c = S_c / T the expected pixel share of class c in a sampled
image (X_i = sum_c x_ic, so the shares sum to 1 and sum_c log s_c is largest, -C log C,
when every share is 1/C). F is homogeneous of degree 0 in p. Through q = p / T it is
G(q) = sum_c log (A^T q)_c, a concave function, over the polytope Q = {p / T : p in P},
so every stationary point is the optimum and the Frank-Wolfe gap of G bounds how far
from it we are:

    G* - G(q) <= max_{q' in Q} grad G(q) . (q' - q) = T max_{p' in P} (a . p') / (X . p') - C,

with a_i = sum_c x_ic / S_c. The inner maximum of a linear-fractional function over a
capped simplex is found exactly by Dinkelbach's iteration (each step: the top entries of
a - lambda X at the cap). The ascent itself is exponentiated gradient (mirror ascent in
log p, KL projection onto P) with a step size that grows after every improvement and
halves after a failure. It stops when the certified gap per class is below ``tol``: the
geometric mean of the shares is then within a factor e^tol of the best reachable.

Memory: the counts enter as sparse triplets (row, class, pixels), so the cost grows with
the non-zero cells, not rows x classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


STALL_GAP = 1e-6  # a stalled ascent with a certified gap below this has converged


@dataclass
class Solution:
    """Probabilities ``p`` over the rows given and how the solver got there."""

    p: np.ndarray
    shares: np.ndarray
    iterations: int
    gap: float          # certified bound on (F* - F(p)) / C
    converged: bool


class _Problem:
    def __init__(self, rows, cols, vals, X, C, cap, floor=0.0):
        # intp indices: take and bincount would convert int32 ones on every call
        self.rows, self.cols = rows.astype(np.intp), cols.astype(np.intp)
        self.vals, self.X, self.C, self.m, self.cap = vals, X, C, X.size, cap
        self.floor = floor
        self.buf = np.empty(vals.size)  # reused: fresh 16 MB temporaries cost page faults

    def value(self, p):
        np.take(p, self.rows, out=self.buf)
        np.multiply(self.buf, self.vals, out=self.buf)
        S = np.bincount(self.cols, weights=self.buf, minlength=self.C)
        T = float(self.X @ p)
        if T <= 0 or not np.all(S > 0):
            return -math.inf, S, T
        return float(np.log(S).sum() - self.C * math.log(T)), S, T

    def gradient(self, S, T):
        np.take(1.0 / S, self.cols, out=self.buf)
        np.multiply(self.buf, self.vals, out=self.buf)
        a = np.bincount(self.rows, weights=self.buf, minlength=self.m)
        return a, a - self.C * self.X / T

    def project(self, logv):
        """KL projection onto {floor <= p_i <= cap, sum p = 1}: p_i = clip(c v_i)."""
        logv = logv - logv.max()
        if self.floor > 0:
            return self._project_box(logv)
        v = np.exp(logv)
        capped = np.zeros(self.m, dtype=bool)
        c = 1.0 / v.sum()
        while True:  # the capped set only grows, so this ends within m rounds (often 1-3)
            now = c * v >= self.cap
            if not (now & ~capped).any():
                break
            capped |= now
            free = v[~capped].sum()
            if free <= 0:
                break
            c = (1.0 - self.cap * capped.sum()) / free
        c = max(c, 1e-300)
        p = np.where(capped, self.cap, c * v)
        logp = np.where(capped, math.log(self.cap), math.log(c) + logv)
        return p / p.sum(), logp

    def _project_box(self, logv):
        """The same with a floor: safeguarded Newton on x = log c (sum of the clipped
        values is increasing in x; the bracket [lo, hi] always holds the root)."""
        lo_p, hi_p = self.floor, self.cap
        if hi_p - lo_p <= 1e-300:
            p = np.full(self.m, 1.0 / self.m)
            return p, np.log(p)
        lo, hi = math.log(lo_p), math.log(hi_p) - float(logv.min())
        x = min(max(-math.log(float(np.exp(logv).sum())), lo), hi)
        for _ in range(200):
            q = np.exp(x + logv)
            total = float(np.clip(q, lo_p, hi_p).sum())
            if abs(total - 1.0) <= 1e-13:
                break
            if total < 1:
                lo = x
            else:
                hi = x
            slope = float(q[(q > lo_p) & (q < hi_p)].sum())
            step = x + (1.0 - total) / slope if slope > 0 else math.nan
            x = step if lo < step < hi else 0.5 * (lo + hi)
        logp = np.clip(x + logv, math.log(lo_p), math.log(hi_p))
        p = np.exp(logp)
        return p / p.sum(), logp

    def gap(self, a, p, T):
        """Certified (G* - G) via Dinkelbach over the box simplex (floor <= p_i <= cap)."""
        lam = float(a @ p) / float(self.X @ p)
        room = self.cap - self.floor
        if room <= 1e-300:
            return 0.0
        spare = 1.0 - self.m * self.floor  # mass above the floor, given to the best rows
        k = min(self.m, int(math.floor(spare / room + 1e-12)))
        rest = spare - k * room
        base_a, base_x = self.floor * float(a.sum()), self.floor * float(self.X.sum())
        for _ in range(50):
            score = a - lam * self.X
            if k >= self.m:
                top = np.arange(self.m)
            else:  # the k largest first (any order), then the (k+1)-th largest
                top = np.argpartition(-score, k)[:k + 1]
            w = np.full(top.size, room)
            if top.size > k:
                w[k] = rest
            new = (base_a + float(a[top] @ w)) / (base_x + float(self.X[top] @ w))
            if new <= lam * (1 + 1e-15):
                break
            lam = new
        return max(0.0, T * lam - self.C)


def solve(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, X: np.ndarray, C: int,
          cap: float, *, floor: float = 0.0, tol: float = 1e-4,
          max_iter: int = 2000) -> Solution:
    """Maximise sum_c log s_c over p in the box simplex (``floor`` <= p_i <= ``cap``).

    ``rows``/``cols``/``vals``: non-zero counts (row i < len(X), class j < C); every row
    has X_i > 0, every class appears in some row, and len(X) * floor <= 1 <= len(X) * cap.
    """
    prob = _Problem(rows, cols, vals.astype(np.float64), X.astype(np.float64), C, cap, floor)
    m = X.size
    p = np.full(m, 1.0 / m)
    logp = np.log(p)
    F, S, T = prob.value(p)
    a, g = prob.gradient(S, T)
    step = 1.0 / max(1e-300, float(np.abs(g).max()))
    gap, it, stalled = math.inf, 0, False
    for it in range(1, max_iter + 1):
        if it % 8 == 1:  # the certificate costs about two iterations
            gap = prob.gap(a, p, T) / C
            if gap <= tol:
                break
        for _ in range(60):  # backtrack until the objective improves
            p_new, logp_new = prob.project(logp + step * g)
            F_new, S_new, T_new = prob.value(p_new)
            if F_new > F:
                break
            step *= 0.5
        else:  # F cannot grow at float64 precision: the optimum up to rounding
            stalled = True
            break
        p, logp, F, S, T = p_new, logp_new, F_new, S_new, T_new
        a, g = prob.gradient(S, T)
        step *= 1.5
    gap = prob.gap(a, p, T) / C
    # F is flat to second order at the optimum, so float64 stalls it while the first-order
    # gap is still about 1e-8: a stall with a gap that small is convergence
    converged = gap <= tol or (stalled and gap <= STALL_GAP)
    return Solution(p=p, shares=S / T, iterations=it, gap=gap, converged=converged)
