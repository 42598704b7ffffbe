"""Texture copied from a picture's own known pixels into its hole, following a guide fill: a
multi-scale, coherent patch synthesis (Wexler, Shechtman & Irani, "Space-time completion of
video", 2007) whose nearest-neighbour fields are found by a PatchMatch search (Barnes et al.
2009: propagation and random search), all in TensorFlow ops."""

import math

import keras
import numpy as np
import tensorflow as tf

from kinpaint.inpainting import hole_depth

_NO_SOURCE = 3.0e38  # the cost of a candidate that is not a source patch


@keras.saving.register_keras_serializable(package="kinpaint")
class PatchTexture(keras.layers.Layer):
    """Re-synthesises a hole from patches of the same picture's known pixels, guided by a fill.

    Coarse to fine, each scale alternates two steps (expectation-maximisation, Wexler et al.):
    every patch that overlaps the hole finds the fully known patch most like it (a PatchMatch
    search: neighbours' matches, shifted, and random tries at shrinking radii), then every
    hole pixel becomes the weighted mean of what the patches covering it copied. The patch
    compared is `(current + guide_weight * guide) / (1 + guide_weight)`, so the copied texture
    follows the guide's structure (a learned fill: `RealisticInpainter`); the coarsest scale
    starts from the guide, each finer one from the coarser matches scaled up. The result keeps
    the guide's colours below `detail_sigma` pixels and takes `detail_strength` times the
    synthesis's detail above it (`detail_sigma=0`: the synthesis as it is).

    Args:
        patch_size: side of the square patches compared and copied (odd).
        coarsest_side: the coarsest scale's longer side is about this (at least it, under twice);
            a hole less than `patch_size` pixels deep at the next scale is not scaled further.
        em_steps: search-and-vote rounds per scale; `finest_em_steps` at full size (which
            starts from the coarser scale's matches), unless it is the only scale.
        search_steps: PatchMatch passes per round.
        guide_weight: how strongly a patch is compared on the guide's low band (the guide
            blurred by `guide_sigma` pixels of the scale) besides its own pixels.
        vote_sharpness: votes are weighted by `exp(-sharpness * cost / mean cost)`; 0: plain mean.
        detail_sigma: Gaussian blur (pixels, at full size) splitting the guide's low band from
            the synthesis's high band; 0: no split.
        detail_strength: scale of the synthesis's high band.
        thin_guide_weight, thin_detail_strength: `guide_weight` and `detail_strength` where the
            hole is too thin for a coarser scale (a stroke: `scale_sizes` stops at full size),
            where detail in the wrong place costs more than it shows; None: the same as elsewhere.
        seed: the random tries' seed; another seed gives another plausible texture.

    Input: `[images, masks, guide]`: `(B, H, W, 3)` in [-1, 1] (the hole's content ignored),
    `(B, H, W, 1)` (1 = known), `(B, H, W, 3)` a fill of the hole.
    Output: `(B, H, W, 3)` in [-1, 1], the known pixels exactly as given.

    Example:

    >>> import numpy as np
    >>> stripes = np.where(np.arange(24) % 4 < 2, 0.8, -0.8)[None, :, None, None] * np.ones((1, 24, 24, 3))
    >>> masks = np.ones((1, 24, 24, 1)); masks[:, 8:16, 8:16] = 0
    >>> filled = PatchTexture(patch_size=3, coarsest_side=24)([stripes, masks, np.zeros((1, 24, 24, 3))])
    >>> from kinpaint.metrics import detail
    >>> bool(detail(stripes, filled, masks)[0] > 0.7)  # most of the stripes' fine detail; the plain fill has none
    True
    """

    def __init__(self, patch_size=7, coarsest_side=32, em_steps=3, search_steps=2, guide_weight=0.3,
                 vote_sharpness=10.0, detail_sigma=0.0, detail_strength=1.0, guide_sigma=2.0, finest_em_steps=1,
                 thin_guide_weight=None, thin_detail_strength=None, seed=0, **kwargs):
        super().__init__(**kwargs)
        if int(patch_size) < 1 or int(patch_size) % 2 == 0:
            raise ValueError(f"patch_size must be an odd whole number, got {patch_size!r}")
        if int(coarsest_side) < 4 or int(em_steps) < 1 or int(search_steps) < 0:
            raise ValueError("coarsest_side must be at least 4, em_steps at least 1, search_steps at least 0")
        thin_guide_weight = guide_weight if thin_guide_weight is None else thin_guide_weight
        thin_detail_strength = detail_strength if thin_detail_strength is None else thin_detail_strength
        for name, value in (("guide_weight", guide_weight), ("vote_sharpness", vote_sharpness),
                            ("detail_sigma", detail_sigma), ("detail_strength", detail_strength),
                            ("thin_guide_weight", thin_guide_weight), ("thin_detail_strength", thin_detail_strength)):
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number at least 0, got {value!r}")
        self.patch_size, self.coarsest_side = int(patch_size), int(coarsest_side)
        self.em_steps, self.search_steps = int(em_steps), int(search_steps)
        self.guide_weight, self.vote_sharpness = float(guide_weight), float(vote_sharpness)
        self.detail_sigma, self.detail_strength = float(detail_sigma), float(detail_strength)
        self.thin_guide_weight, self.thin_detail_strength = float(thin_guide_weight), float(thin_detail_strength)
        self.guide_sigma, self.finest_em_steps = float(guide_sigma), int(finest_em_steps)
        self.seed = int(seed)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def call(self, inputs):
        images, masks, guide = (tf.cast(value, tf.float32) for value in inputs)
        known = tf.cast(masks >= 0.5, tf.float32)
        images = images * known  # the hole's content is never read
        guide = known * images + (1.0 - known) * guide
        sizes = self._sizes(known)
        thin = len(sizes) < len(scale_sizes(images.shape[1:3], self.coarsest_side))
        guide_weight, strength = ((self.thin_guide_weight, self.thin_detail_strength) if thin else
                                  (self.guide_weight, self.detail_strength))
        synthesis = self._synthesise(images, known, guide, sizes, guide_weight)
        if self.detail_sigma > 0:
            synthesis = (gaussian_blur(guide, self.detail_sigma)
                         + strength * (synthesis - gaussian_blur(synthesis, self.detail_sigma)))
        elif strength != 1:
            synthesis = guide + strength * (synthesis - guide)
        return tf.where(known >= 1.0, images, tf.clip_by_value(synthesis, -1.0, 1.0))

    def _sizes(self, known):
        """The scales to synthesise, fine to coarse (`scale_sizes`); they need a static picture size."""
        depth = int(hole_depth(known.numpy()).max(initial=0)) if tf.executing_eagerly() else None
        return scale_sizes(known.shape[1:3], self.coarsest_side, depth, self.patch_size)

    def _synthesise(self, images, known, guide, sizes, guide_weight):
        """The synthesis at full size, `(B, H, W, 3)`, over `sizes`."""
        current, field = None, None
        for level in reversed(range(len(sizes))):
            size = sizes[level]
            scaled_images, scaled_known = scaled_pair(images, known, size)
            scaled_guide = guide if level == 0 else tf.image.resize(guide, size, method="area")
            scaled_guide = scaled_known * scaled_images + (1.0 - scaled_known) * scaled_guide
            # Patches are compared on their pixels and on the guide's low band, so a textured
            # source whose blur is like the guide's is as close as a flat one.
            guide_band = gaussian_blur(scaled_guide, self.guide_sigma) * math.sqrt(guide_weight)
            scene = _Scene(scaled_images, scaled_known, guide_band, self.patch_size, self._seed(level, 0))
            coarsest = field is None
            field = scene.start_field(field)
            if coarsest:  # the guide alone chooses the first matches
                field = scene.search(field, None, self.search_steps, self._seed(level, 1), self.search_radius(size))
                current = scene.vote(field, scaled_guide, self.vote_sharpness)
            else:
                upsampled = tf.image.resize(current, size, method="bilinear")
                field = scene.search(field, upsampled, 0, self._seed(level, 1), 0)
                current = scene.vote(field, upsampled, self.vote_sharpness)
            steps = self.em_steps if level > 0 or len(sizes) == 1 else self.finest_em_steps
            radius = self.search_radius(size) if coarsest else min(self.search_radius(size), 2 * self.patch_size)
            for step in range(steps):
                field = scene.search(field, current, self.search_steps, self._seed(level, step + 2), radius)
                current = scene.vote(field, current, self.vote_sharpness)
        return current

    @staticmethod
    def search_radius(size):
        return float(max(size))

    def _seed(self, level, step):
        return tf.constant([self.seed, 1000 * level + step], tf.int64)

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size, "coarsest_side": self.coarsest_side,
                "em_steps": self.em_steps, "search_steps": self.search_steps, "guide_weight": self.guide_weight,
                "vote_sharpness": self.vote_sharpness, "detail_sigma": self.detail_sigma,
                "detail_strength": self.detail_strength, "guide_sigma": self.guide_sigma,
                "finest_em_steps": self.finest_em_steps, "thin_guide_weight": self.thin_guide_weight,
                "thin_detail_strength": self.thin_detail_strength, "seed": self.seed}


def scale_sizes(size, coarsest_side, depth=None, patch_size=1):
    """`[(H, W), (ceil(H/2), ceil(W/2)), ...]`, fine to coarse, halved while the longer side
    stays at least `coarsest_side` and the hole's `depth` (pixels from the deepest hole pixel
    to a known one; None: unknown) stays at least `patch_size` pixels: a thin hole, such as a
    stroke, is filled at full size only.

    >>> scale_sizes((256, 200), 32), scale_sizes((256, 200), 32, depth=5, patch_size=7)
    ([(256, 200), (128, 100), (64, 50), (32, 25)], [(256, 200)])
    """
    height, width = (int(side) for side in size)
    sizes = [(height, width)]
    while max(sizes[-1]) // 2 >= coarsest_side and min(sizes[-1]) > 1:
        if depth is not None and depth // 2 ** len(sizes) < patch_size:
            break
        sizes.append(tuple(-(-side // 2) for side in sizes[-1]))
    return sizes


def scaled_pair(images, known, size):
    """Pictures and known-masks averaged down to `size`; a pixel stays known only where every
    pixel it covers is known."""
    if tuple(images.shape[1:3]) == tuple(size):
        return images, known
    covered = tf.image.resize(known, size, method="area")
    scaled_known = tf.cast(covered >= 1.0 - 1e-4, tf.float32)
    return tf.image.resize(images, size, method="area") * scaled_known, scaled_known


def gaussian_blur(images, sigma):
    """`(B, H, W, C)` blurred by a Gaussian of `sigma` pixels, edges reflected."""
    radius = max(1, int(math.ceil(3 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps = tf.constant((taps / taps.sum()).astype(np.float32))
    channels = images.shape[-1]
    rows = tf.tile(tf.reshape(taps, (-1, 1, 1, 1)), (1, 1, channels, 1))
    columns = tf.tile(tf.reshape(taps, (1, -1, 1, 1)), (1, 1, channels, 1))
    edge_pad = min(radius, min(images.shape[1:3]) - 1)
    padded = tf.pad(images, [[0, 0], [edge_pad, edge_pad], [edge_pad, edge_pad], [0, 0]], mode="SYMMETRIC")
    if edge_pad < radius:
        extra = radius - edge_pad
        padded = tf.pad(padded, [[0, 0], [extra, extra], [extra, extra], [0, 0]], mode="SYMMETRIC")
    blurred = tf.nn.depthwise_conv2d(padded, rows, [1, 1, 1, 1], "VALID")
    return tf.nn.depthwise_conv2d(blurred, columns, [1, 1, 1, 1], "VALID")


class _Scene:
    """One scale of a batch: its targets (pixels whose patch overlaps the hole), its sources
    (pixels whose patch is wholly known), and the search and vote over them.

    A field holds, per target `(N,)`, the `(N, 2)` source pixel of its patch's match and the
    `(N,)` cost of that match (mean squared difference over the patch)."""

    def __init__(self, images, known, guide_band, patch_size, seed):
        self.radius = patch_size // 2
        self.batch = tf.shape(images)[0]
        self.height, self.width = images.shape[1], images.shape[2]
        radius = self.radius
        pad = [[0, 0], [radius, radius], [radius, radius], [0, 0]]
        self.padded_height, self.padded_width = self.height + 2 * radius, self.width + 2 * radius
        self.flat_images = tf.reshape(_reflect_pad(images, radius), (-1, 3))
        self.flat_band = tf.reshape(_reflect_pad(guide_band, radius), (-1, 3))
        self.flat_sources = tf.concat([self.flat_images, self.flat_band], -1)
        padded_known = _reflect_pad(known, radius)
        hole = 1.0 - known
        window = [1, patch_size, patch_size, 1]
        self.targets_map = tf.nn.max_pool2d(tf.pad(hole, pad), window, 1, "VALID")[..., 0] > 0.5  # (B, H, W)
        self.sources_map = -tf.nn.max_pool2d(-padded_known, window, 1, "VALID")[..., 0] > 0.5
        self.hole = hole
        self.targets = tf.cast(tf.where(self.targets_map), tf.int32)  # (N, 3): image, row, column
        sources = tf.cast(tf.where(self.sources_map), tf.int32)  # (M, 3), by image
        self.source_pixels = sources[:, 1:]
        counts = tf.math.unsorted_segment_sum(tf.ones_like(sources[:, 0]), sources[:, 0], self.batch)
        self.source_starts = tf.cumsum(counts, exclusive=True)
        self.source_counts = counts
        self.has_source = tf.gather(counts, self.targets[:, 0]) > 0  # (N,)
        offsets = np.stack(np.meshgrid(np.arange(-radius, radius + 1), np.arange(-radius, radius + 1),
                                       indexing="ij"), -1).reshape(-1, 2)
        self.offsets = tf.constant(offsets + radius, tf.int32)  # (K, 2) in padded coordinates
        self.seed = seed

    def _patches(self, images_flat, pixels):
        """`(N, K, 3)`: the patches of `images_flat` (padded, flattened) around `pixels` `(N, 2)`
        of the targets' images."""
        return _gather_patches(images_flat, self.targets[:, 0], pixels, self.offsets, self.padded_height,
                               self.padded_width)

    def _try(self, query_patches, cost, sources, candidate):
        """The better of each target's match and `candidate` `(N, 2)` for `query_patches`."""
        flat_sources = self.flat_sources if query_patches.shape[-1] == 6 else self.flat_band
        return _try_candidate(query_patches, cost, sources, candidate, self.targets, self.sources_map, flat_sources,
                              self.offsets, tf.constant([self.height, self.width, self.padded_height,
                                                         self.padded_width]))

    def random_sources(self, seed):
        """`(N, 2)`: a source pixel of each target's image drawn uniformly (any pixel where it has none)."""
        draw = tf.random.stateless_uniform((tf.shape(self.targets)[0],), seed)
        counts = tf.gather(self.source_counts, self.targets[:, 0])
        index = tf.gather(self.source_starts, self.targets[:, 0]) + tf.minimum(
            tf.cast(draw * tf.cast(counts, tf.float32), tf.int32), tf.maximum(counts - 1, 0))
        index = tf.minimum(index, tf.maximum(tf.shape(self.source_pixels)[0] - 1, 0))
        if self.source_pixels.shape[0] == 0:
            return tf.zeros_like(self.targets[:, 1:])
        return tf.cond(tf.shape(self.source_pixels)[0] > 0, lambda: tf.gather(self.source_pixels, index),
                       lambda: tf.zeros_like(self.targets[:, 1:]))

    def start_field(self, coarser):
        """The first matches at this scale: a coarser scale's, scaled up (`coarser` is its
        search's `(scene, sources, costs)`), or drawn at random; a match that is no source here
        is redrawn."""
        drawn = self.random_sources(self.seed)
        if coarser is None:
            return drawn
        scene, sources = coarser[0], coarser[1]
        dense = tf.scatter_nd(scene.targets, sources + 1, (scene.batch, scene.height, scene.width, 2))
        halves = tf.stack([tf.minimum(self.targets[:, 1] // 2, scene.height - 1),
                           tf.minimum(self.targets[:, 2] // 2, scene.width - 1)], -1)
        coarse = tf.gather_nd(dense, tf.concat([self.targets[:, :1], halves], -1)) - 1  # -1: no coarse match
        scaled = coarse * 2 + self.targets[:, 1:] % 2
        usable = (coarse[:, 0] >= 0) & (scaled[:, 0] < self.height) & (scaled[:, 1] < self.width)
        usable &= tf.gather_nd(self.sources_map, tf.concat(
            [self.targets[:, :1], tf.minimum(tf.maximum(scaled, 0), [self.height - 1, self.width - 1])], -1))
        return tf.where(usable[:, None], scaled, drawn)

    def search(self, field, query, steps, seed, radius):
        """PatchMatch: `steps` passes of propagation (each target tries its neighbours' matches,
        shifted, at jumps of 4 and 1) and random search (tries at radii halving from `radius`)
        for the `query` `(B, H, W, 3)` patches beside the guide's band (None: the band alone).
        Returns `(scene, sources, costs)`."""
        sources = field[1] if isinstance(field, tuple) else field
        band = self._patches(self.flat_band, self.targets[:, 1:])
        if query is None:
            query_patches = band
        else:
            query_patches = tf.concat(
                [self._patches(tf.reshape(_reflect_pad(query, self.radius), (-1, 3)), self.targets[:, 1:]), band], -1)
        cost, sources = self._try(query_patches, tf.fill(tf.shape(sources[:, 0]), _NO_SOURCE), sources, sources)
        dense_targets = tf.pad(self.targets_map, [[0, 0], [8, 8], [8, 8]])
        for step in range(steps):
            step_seed = seed + tf.constant([0, 17], tf.int64) * step
            for jump in (4, 1):
                dense = tf.scatter_nd(self.targets, sources, (self.batch, self.height, self.width, 2))
                dense = tf.pad(dense, [[0, 0], [8, 8], [8, 8], [0, 0]])
                for shift in ((jump, 0), (-jump, 0), (0, jump), (0, -jump)):
                    neighbour = self.targets[:, 1:] + tf.constant(shift, tf.int32) + 8
                    at = tf.concat([self.targets[:, :1], neighbour], -1)
                    candidate = tf.gather_nd(dense, at) - tf.constant(shift, tf.int32)
                    candidate = tf.where(tf.gather_nd(dense_targets, at)[:, None], candidate, -1)
                    cost, sources = self._try(query_patches, cost, sources, candidate)
            reach, tries = float(radius), 0
            while reach >= 1.0:
                draw = tf.random.stateless_uniform(tf.shape(sources), step_seed + [tries, 0], -1.0, 1.0)
                candidate = sources + tf.cast(tf.round(draw * reach), tf.int32)
                cost, sources = self._try(query_patches, cost, sources, candidate)
                reach, tries = reach / 2.0, tries + 1
            cost, sources = self._try(query_patches, cost, sources, self.random_sources(step_seed + [99, 1]))
        return self, sources, cost

    def vote(self, field, current, sharpness):
        """Each hole pixel becomes the weighted mean of the pixels the patches over it copied;
        a hole pixel no patch reached keeps `current`. Returns `(B, H, W, 3)`."""
        _, sources, cost = field
        usable = self.has_source & (cost < _NO_SOURCE)
        finite = tf.where(usable, cost, 0.0)
        mean_cost = tf.reduce_sum(finite) / tf.maximum(tf.reduce_sum(tf.cast(usable, tf.float32)), 1.0)
        weight = tf.where(usable, tf.exp(-sharpness * finite / (mean_cost + 1e-6)), 0.0)  # (N,)
        copied = self._patches(self.flat_images, sources) * weight[:, None, None]  # (N, K, 3)
        rows = self.targets[:, None, 1] + self.offsets[None, :, 0]
        columns = self.targets[:, None, 2] + self.offsets[None, :, 1]
        index = tf.stack([tf.broadcast_to(self.targets[:, None, 0], tf.shape(rows)), rows, columns], -1)
        shape = (self.batch, self.padded_height, self.padded_width)
        total = tf.scatter_nd(index, copied, (*shape, 3))
        weights = tf.scatter_nd(index, tf.broadcast_to(weight[:, None], tf.shape(rows))[..., None], (*shape, 1))
        radius = self.radius
        total = total[:, radius : radius + self.height, radius : radius + self.width]
        weights = weights[:, radius : radius + self.height, radius : radius + self.width]
        voted = tf.where(weights > 0, total / tf.maximum(weights, 1e-12), current)
        return self.hole * voted + (1.0 - self.hole) * current


def _gather_patches(images_flat, image_index, pixels, offsets, padded_height, padded_width):
    """`(N, K, C)`: the patches (pixel `offsets` `(K, 2)`) around `pixels` `(N, 2)` of images
    `image_index` `(N,)`, gathered from the padded images flattened to `(B * H' * W', C)`."""
    rows = pixels[:, None, 0] + offsets[None, :, 0]
    columns = pixels[:, None, 1] + offsets[None, :, 1]
    return tf.gather(images_flat, (image_index[:, None] * padded_height + rows) * padded_width + columns)


@tf.function(reduce_retracing=True)
def _try_candidate(query_patches, cost, sources, candidate, targets, sources_map, flat_sources, offsets, sizes):
    """Per target, the cheaper of its match `sources` `(N, 2)` (of cost `cost` `(N,)`) and
    `candidate` `(N, 2)`: its patch's mean squared difference from `query_patches` `(N, K, C)`,
    or `_NO_SOURCE` where it is no source. `sizes`: height, width and their padded sizes."""
    height, width, padded_height, padded_width = sizes[0], sizes[1], sizes[2], sizes[3]
    inside = (candidate[:, 0] >= 0) & (candidate[:, 0] < height) & (candidate[:, 1] >= 0) & (candidate[:, 1] < width)
    clipped = tf.stack([tf.clip_by_value(candidate[:, 0], 0, height - 1),
                        tf.clip_by_value(candidate[:, 1], 0, width - 1)], -1)
    usable = inside & tf.gather_nd(sources_map, tf.concat([targets[:, :1], clipped], -1))
    patches = _gather_patches(flat_sources, targets[:, 0], clipped, offsets, padded_height, padded_width)
    candidate_cost = tf.where(usable, tf.reduce_mean(tf.square(query_patches - patches), axis=[1, 2]), _NO_SOURCE)
    better = candidate_cost < cost
    return tf.where(better, candidate_cost, cost), tf.where(better[:, None], clipped, sources)


def _reflect_pad(images, radius):
    """Pad rows and columns by `radius`, mirrored (repeated edge where the picture is too small)."""
    height, width = images.shape[1], images.shape[2]
    mode = "REFLECT" if min(height, width) > radius else "SYMMETRIC"
    if min(height, width) <= radius // 2:
        mode = "CONSTANT"
    return tf.pad(images, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode=mode)
