"""The state of a split under construction: groups as sparse vectors, deviations, costs.

:mod:`maskstats.splitting.stratify` deals groups with it and :mod:`maskstats.splitting.search` improves
the result; both share the cost defined here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WEIGHT_POWER = 2.0   # cost of a deviation: (got - target)^2 / target^WEIGHT_POWER
GRAIN = 4.0          # deviations are scaled by sqrt(target^2 + GRAIN x typical group^2)
PIXEL_WEIGHT = 0.1   # pixel shares are the second goal
SIZE_WEIGHT = 1.0    # the split size counts like one class

@dataclass
class Groups:
    """Groups as sparse rows: group g holds classes ``cls[indptr[g]:indptr[g+1]]``.

    ``img`` is the number of the group's images holding that class, ``pix`` its pixels in the
    group, ``sizes[g]`` the group's number of images.
    """

    sizes: np.ndarray
    indptr: np.ndarray
    cls: np.ndarray
    img: np.ndarray
    pix: np.ndarray
    num_classes: int

    @property
    def num_groups(self) -> int:
        return len(self.sizes)

    def groups_per_class(self) -> np.ndarray:
        return np.bincount(self.cls, minlength=self.num_classes)


def inverse_power(x: np.ndarray, power: float) -> np.ndarray:
    out = np.zeros_like(x, dtype=np.float64)
    np.divide(1.0, x ** power, out=out, where=x > 0)
    return out


class State:
    """Assignment under construction, with the running deviation from the targets.

    Every group is a sparse vector over 2K+1 features: images holding class c (column c),
    pixels of class c (column K+c), images (column 2K). ``e[j]`` is split j's total minus
    its target (ratio x dataset total) and ``w[j]`` the weight of a squared deviation, so the
    cost of split j is ``sum(w[j] * e[j]**2)``.
    """

    def __init__(self, groups: Groups, ratios: np.ndarray):
        self.g = groups
        k = groups.num_classes
        self.k = k
        lens = np.diff(groups.indptr)
        owner = np.repeat(np.arange(groups.num_groups), lens)
        # per group: images by class, pixels by class, then the size
        cols = np.concatenate([groups.cls, groups.cls + k, np.full(groups.num_groups, 2 * k)])
        vals = np.concatenate([groups.img, groups.pix, groups.sizes.astype(np.float64)])
        rows = np.concatenate([owner, owner, np.arange(groups.num_groups)])
        order = np.lexsort((cols, rows))
        self.cols, self.vals = cols[order], vals[order]
        self.indptr = np.concatenate([[0], np.cumsum(2 * lens + 1)])
        totals = np.bincount(cols, weights=vals, minlength=2 * k + 1)
        target = ratios[:, None] * totals[None, :]
        weight = np.concatenate([np.ones(k), np.full(k, PIXEL_WEIGHT), [SIZE_WEIGHT]])
        # one typical group's share of a feature: deviations below it are granularity
        per_group = np.bincount(cols, minlength=2 * k + 1).astype(np.float64)
        typical = np.divide(totals, per_group, out=np.zeros_like(totals), where=per_group > 0)
        self.e = -target
        self.w = weight[None, :] * inverse_power(
            np.sqrt(target ** 2 + GRAIN * typical[None, :] ** 2), WEIGHT_POWER)
        self.want = target[:, 2 * k]
        gmax = float(groups.sizes.max())
        self.upper = self.want + gmax
        self.lower = self.want - gmax
        self.load = np.zeros(len(ratios))
        self.held = np.zeros((len(ratios), k), dtype=np.int64)  # groups per class
        self.assign = np.full(groups.num_groups, -1, dtype=np.int64)
        self.protected = np.zeros(k, dtype=bool)  # classes seeded into every split

    def dense(self) -> np.ndarray:
        """The groups' feature vectors as a dense (groups, 2K+1) matrix (small tables)."""
        if getattr(self, "_dense", None) is None:
            n = self.g.num_groups
            self._dense = np.zeros((n, 2 * self.k + 1))
            self._dense[np.repeat(np.arange(n), np.diff(self.indptr)), self.cols] = self.vals
        return self._dense

    def snapshot(self) -> tuple:
        return self.e.copy(), self.load.copy(), self.held.copy(), self.assign.copy()

    def restore(self, snap: tuple) -> None:
        self.e, self.load, self.held, self.assign = (a.copy() for a in snap)

    def costs(self, xs: np.ndarray, sign: float = 1.0) -> np.ndarray:
        """:meth:`add_cost` for many groups at once: shape (len(xs), splits)."""
        owner, pos = ranges(self.indptr, xs)
        cols, v = self.cols[pos], sign * self.vals[pos]
        per = v * (2 * self.e[:, cols] + v) * self.w[:, cols]
        return np.stack([np.bincount(owner, weights=row, minlength=len(xs)) for row in per],
                        axis=1)

    def put_many(self, xs: np.ndarray, js: np.ndarray) -> None:
        """Add groups ``xs`` (unassigned) to splits ``js``."""
        owner, pos = ranges(self.indptr, xs)
        np.add.at(self.e, (js[owner], self.cols[pos]), self.vals[pos])
        self.load += np.bincount(js, weights=self.g.sizes[xs], minlength=len(self.load))
        owner, pos = ranges(self.g.indptr, xs)
        np.add.at(self.held, (js[owner], self.g.cls[pos]), 1)
        self.assign[xs] = js

    def part(self, g: int):
        a, b = self.indptr[g], self.indptr[g + 1]
        return self.cols[a:b], self.vals[a:b]

    def classes(self, g: int) -> np.ndarray:
        return self.g.cls[self.g.indptr[g]:self.g.indptr[g + 1]]

    def add_cost(self, g: int, sign: float = 1.0) -> np.ndarray:
        """Change of the cost, per split, if group g were added (sign -1: removed)."""
        cols, vals = self.part(g)
        v = sign * vals
        return ((v * (2 * self.e[:, cols] + v)) * self.w[:, cols]).sum(axis=1)

    def cost(self) -> float:
        return float((self.w * self.e ** 2).sum())

    def put(self, g: int, j: int, sign: int = 1) -> None:
        cols, vals = self.part(g)
        self.e[j, cols] += sign * vals
        self.load[j] += sign * self.g.sizes[g]
        self.held[j, self.classes(g)] += sign
        self.assign[g] = j if sign > 0 else -1

    def fits(self, g: int) -> np.ndarray:
        return self.load + self.g.sizes[g] <= self.upper + 1e-9

    def movable(self, g: int) -> bool:
        """Group g may leave its split without taking a guaranteed class out of it."""
        cls = self.classes(g)
        j = self.assign[g]
        return not (self.protected[cls] & (self.held[j, cls] <= 1)).any()

    def best(self, g: int, allowed: np.ndarray, order: np.ndarray) -> int:
        cost = self.add_cost(g)[order]
        cost[~allowed[order]] = np.inf
        return int(order[int(np.argmin(cost))])


def ranges(indptr: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR rows ``xs``: (position in xs, index into the data) of each of their entries."""
    starts = indptr[xs]
    lens = indptr[xs + 1] - starts
    owner = np.repeat(np.arange(len(xs)), lens)
    offsets = np.cumsum(lens) - lens
    return owner, np.arange(int(lens.sum())) - np.repeat(offsets - starts, lens)


