"""The six facial regions of STFF and the size of their patches (spec section 1, STFF Table 2)."""
from dataclasses import dataclass



@dataclass(frozen=True)
class RegionBox:
    """A fixed box on the 240 x 280 face canvas, in pixels: x0 <= x < x1, y0 <= y < y1."""

    name: str
    description: str
    x0: int
    x1: int
    y0: int
    y1: int

    @property
    def size(self):
        """(height, width) of the box."""
        return self.y1 - self.y0, self.x1 - self.x0


# The boxes of the authors' cropper (spec section 1), on a 240 wide x 280 high canvas.
REGIONS = (
    RegionBox("R0", "left eye + eyebrow", 0, 100, 20, 100),
    RegionBox("R1", "right eye + eyebrow", 140, 240, 20, 100),
    RegionBox("R2", "nose", 60, 180, 80, 160),
    RegionBox("R3", "left cheek", 0, 60, 120, 180),
    RegionBox("R4", "right cheek", 180, 240, 120, 180),
    RegionBox("R5", "mouth", 40, 200, 180, 240),
)
REGION_NAMES = tuple(box.name for box in REGIONS)

# STFF Table 2: region (height, width) per dataset, and the normalised mean.
# Order: eyes (R0, R1), nose (R2), cheeks (R3, R4), mouth (R5).
_TABLE2 = {
    "smic": ((68, 72), (68, 82), (48, 40), (50, 106)),
    "casme2": ((80, 100), (80, 120), (60, 60), (60, 160)),
    "samm": ((98, 134), (98, 160), (74, 80), (72, 214)),
    "normalized": ((81, 102), (81, 120), (60, 60), (60, 160)),
}


def region_sizes(table="canvas"):
    """(height, width) of each of the six regions.

    ``canvas`` keeps the box sizes of the original cropper; ``smic``, ``casme2``,
    ``samm`` and ``normalized`` are the rows of STFF Table 2.
    """
    if table == "canvas":
        return tuple(box.size for box in REGIONS)
    if table not in _TABLE2:
        raise ValueError(f"unknown region size table {table!r}; choose canvas or one of {sorted(_TABLE2)}")
    eyes, nose, cheeks, mouth = _TABLE2[table]
    return (eyes, eyes, nose, cheeks, cheeks, mouth)


def cut_regions(canvas, sizes=None):
    """The six regions of a face canvas; each resized to ``sizes[i]`` when given."""
    regions = [canvas[box.y0:box.y1, box.x0:box.x1] for box in REGIONS]
    if sizes is None:
        return regions
    import cv2

    return [region if region.shape[:2] == tuple(size) else
            cv2.resize(region, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            for region, size in zip(regions, sizes)]


def patch_size(region_hw, m, mode="paper", all_sizes=None):
    """(height, width) of one of the m patches of a region of size ``region_hw``.

    ``paper``: the region is split into a sqrt(m) x sqrt(m) grid (sizes rounded down).
    ``original``: the authors' CNN_SE.py (lines 621-631): one patch size for every
    region and every m, from the mean size of the regions ``all_sizes`` (all six
    in the code, which loops over the rows of its (6, frames) array;
    default: this region alone), see :func:`code_patch_size`.
    """
    side = grid_side(m)
    height, width = region_hw
    if mode == "original":
        return code_patch_size(all_sizes if all_sizes is not None else (region_hw,))
    if mode == "paper":
        return height // side, width // side
    raise ValueError(f"unknown patch mode {mode!r}; choose 'paper' or 'original'")


def code_patch_size(sizes):
    """The patch (rows, columns) of CNN_SE.py:621-631 and 173-196 for regions of (height, width) ``sizes``.

    The code sums PIL ``size`` = (width, height) over the regions and takes
    ``si0 = int(mean width)``, ``si1 = int(mean height)``, then
    ``IWG_WIDTH = int(si0 / 2)``, ``IMG_HEIGHT = int(si1 / 2)``; ``process_image``
    resizes a region to (IWG_WIDTH * side, IMG_HEIGHT * side) as (rows, columns)
    and the model input is ``(IWG_WIDTH, IMG_HEIGHT, 3)``: the half mean *width*
    becomes the patch's rows. For the six canvas boxes: mean width 100, mean
    height 70, patches 50 rows x 35 columns.
    """
    sizes = [tuple(size) for size in sizes]
    mean_width = int(sum(w for _, w in sizes) / len(sizes))
    mean_height = int(sum(h for h, _ in sizes) / len(sizes))
    return int(mean_width / 2), int(mean_height / 2)


def grid_side(m):
    side = int(round(m ** 0.5))
    if side * side != m or m < 1:
        raise ValueError(f"the number of patches m must be a square (1, 4, 9, 16), got {m}")
    return side
