"""Points within a radius of sites, through square cells that list the sites in reach.

Each cell of a regular grid over the sites' reach lists the sites whose disk
touches it; a point's candidates are the sites of its cell, and its pairs
those of them within the radius. With cells a quarter of the radius wide a
point's candidates are about 1.3 times its pairs, and the pairs come out
grouped by point and sorted by site: the CSR matrix is built directly,
without trees or a sort of the pairs. :meth:`SiteGrid.fitting` declines (None) when the grid
would need too many cells or cells much wider than the radius (sites spread
far apart, a zero radius); the caller then uses its KD-trees.

>>> import numpy as np
>>> grid = SiteGrid.fitting(np.array([[0.0, 0.0], [10.0, 0.0]]), 4.0)
>>> grid.pairs(np.array([[3.0, 0.0], [6.0, 0.0], [30.0, 30.0]])).toarray()
array([[3., 0.],
       [0., 4.],
       [0., 0.]])
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from siting.coverage.base import ZERO, FloatArray, IntArray, segment_offsets

#: Most cells a grid may have (its per-cell offsets: 8 bytes a cell).
MAX_CELLS = 1 << 22
#: Cell width as a share of the radius; :meth:`SiteGrid.fitting` may widen cells up
#: to :data:`WIDEST` radii to stay within :data:`MAX_CELLS`.
CELL_SHARE = 0.25
WIDEST = 2.0


def _pad(site_xy: FloatArray, reach: float) -> float:
    """A margin above any rounding error of coordinates plus or minus the reach."""
    return reach * 1e-9 + 8 * float(np.finfo(np.float64).eps) * float(np.abs(site_xy).max())


class SiteGrid:
    """Square cells of width ``cell`` from ``origin``, ``shape`` cells a side, each
    listing the sites within ``reach`` of some point of it (and perhaps a few more)."""

    def __init__(self, site_xy: FloatArray, reach: float, origin: FloatArray, cell: float,
                 shape: tuple[int, int]) -> None:
        self.site_xy = site_xy
        self.site_x, self.site_y = site_xy[:, 0].copy(), site_xy[:, 1].copy()
        self.reach = reach
        self.origin = origin
        self.cell = cell
        self.shape = shape
        # Each site's rectangle of cells, a little wider than its disk: a point within
        # reach of a site lies in one of them whatever the rounding of the bounds.
        pad = _pad(site_xy, reach)
        wide = reach + pad
        lo = np.maximum(self._cells(site_xy - wide), 0)
        hi = np.minimum(self._cells(site_xy + wide), np.array(shape) - 1)
        span = hi - lo + 1
        cells = span[:, 0] * span[:, 1]
        site, t = np.repeat(np.arange(cells.size), cells), segment_offsets(cells)
        ix = lo[site, 0] + t // span[site, 1]
        iy = lo[site, 1] + t % span[site, 1]
        # Only the cells the (widened) disk touches: the nearest point of the cell.
        near_x = np.clip(site_xy[site, 0], origin[0] + ix * cell, origin[0] + (ix + 1) * cell)
        near_y = np.clip(site_xy[site, 1], origin[1] + iy * cell, origin[1] + (iy + 1) * cell)
        touch = np.hypot(near_x - site_xy[site, 0], near_y - site_xy[site, 1]) <= wide + pad
        site, ix, iy = site[touch], ix[touch], iy[touch]
        cell_id = ix * shape[1] + iy
        order = np.lexsort((site, cell_id))  # sites in order within each cell
        self.sites = site[order]
        n_cells = shape[0] * shape[1]
        counts = np.bincount(cell_id, minlength=n_cells + 1)  # + a cell for points outside
        self.indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    @classmethod
    def fitting(cls, site_xy: FloatArray, reach: float) -> SiteGrid | None:
        """A grid for pairs within ``reach`` of the sites, or None when none fits."""
        if site_xy.shape[0] == 0 or not (0.0 < reach < math.inf):
            return None
        wide = reach + 2 * _pad(site_xy, reach)  # the grid holds every site's rectangle
        origin = site_xy.min(axis=0) - wide
        extent = site_xy.max(axis=0) + wide - origin
        cell = CELL_SHARE * reach
        cells = float(np.prod(np.floor(extent / cell) + 1))
        if cells > MAX_CELLS:
            cell = max(cell, math.sqrt(float(np.prod(extent)) / MAX_CELLS) * 1.01)
            if cell > WIDEST * reach:
                return None
        shape = np.floor(extent / cell).astype(np.int64) + 1
        if int(shape[0]) * int(shape[1]) > 2 * MAX_CELLS:
            return None
        return cls(site_xy, reach, origin, cell, (int(shape[0]), int(shape[1])))

    def _cells(self, xy: FloatArray) -> IntArray:
        """Each point's cell (column, row), clipped to one cell beyond the grid."""
        f = np.floor((xy - self.origin) / self.cell)
        f = np.clip(f, -1, np.array(self.shape, dtype=np.float64))
        return f.astype(np.int64)

    def pairs(self, xy: FloatArray) -> sp.csr_matrix:
        """``len(xy) × sites`` distances within the reach (zeros stored as ZERO), sorted."""
        n, m = xy.shape[0], self.site_xy.shape[0]
        c = self._cells(xy)
        inside = (c >= 0).all(axis=1) & (c[:, 0] < self.shape[0]) & (c[:, 1] < self.shape[1])
        cell_id = np.where(inside, c[:, 0] * self.shape[1] + c[:, 1],
                           self.shape[0] * self.shape[1])
        first = self.indptr[cell_id]
        count = self.indptr[cell_id + 1] - first
        # Candidates laid out point after point: each point's cell's sites in order.
        end = np.cumsum(count)
        col = self.sites[np.arange(int(end[-1]) if n else 0)
                         + np.repeat(first - (end - count), count)]
        dx = np.repeat(xy[:, 0], count) - self.site_x[col]
        dy = np.repeat(xy[:, 1], count) - self.site_y[col]
        dist = np.sqrt(dx * dx + dy * dy)
        keep = dist <= self.reach
        # Pairs kept up to each point's last candidate: the CSR row offsets.
        kept = np.concatenate([[0], np.cumsum(keep)])
        indptr = kept[np.concatenate([[0], end])]
        out = sp.csr_matrix((np.maximum(dist[keep], ZERO), col[keep], indptr), shape=(n, m))
        out.has_sorted_indices = True  # each cell lists its sites in order
        return out
