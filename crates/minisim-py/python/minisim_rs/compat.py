"""py-minisim 1.0.x entry points over the Rust engine: switch a notebook by one import.

>>> import minisim_rs.compat as minisim          # was: import minisim
>>> rec = minisim.simulate(spec)                  # spec: py-minisim dict, JSON or Spec
>>> rec.observed.shape, rec.ground_truth.C.shape  # (frame, H, W), (unit, frame)

`simulate(spec, *, until=None, perf=None)`, `simulate_cached(spec, *, root=None)`,
`simulate_video(spec, path, ...)`, `sweep(base, axes)` and `SweptSpec` take what
py-minisim takes (its `Spec` objects, their `model_dump()` dicts or JSON text). Each
spec goes through minisim's importer (`minisim-cli import`, docs/py-minisim.md); every
field it does not carry over exactly is reported once as an `UnmappedFieldWarning`.

Results follow py-minisim's names and shapes where a counterpart exists:
`rec.observed` (frame, height, width) in the spec's `output.store_dtype` (float32 by
default, as py-minisim), `rec.ground_truth.C` / `.S` (unit, frame), `.centers_um`
(unit, 3: depth z, then y, x from the optical axis), `.A_observed` (unit, H, W),
`.in_focus`, `.detectable`, `.shifts` (frame, 2, px), `.vignette`, `.leakage`,
`.vasculature_mask`, `.neuropil_spatial` / `.neuropil_temporal`, `.focal_depth_um`.
Units are the cells whose footprint reaches the FOV (`cells_in_fov`), as py-minisim's.

`in_focus` and `detectable` are py-minisim's labels: its depth-of-field test and its
transient SNR (peak ΔF over the shot noise of the cell's own baseline and the read
noise, ≥ 3), evaluated on minisim's cells and traces with the spec's optics and
sensor constants. minisim's own label (SNR against the whole resting background at
the cell's brightest pixel) is `detectable_minisim`; `rec.native` is the full
`minisim_rs.Recording`.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator, Mapping
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from . import _minisim as _ms

__all__ = [
    "GroundTruth",
    "Recording",
    "SweptSpec",
    "UnmappedFieldWarning",
    "simulate",
    "simulate_cached",
    "simulate_video",
    "sweep",
    "translate",
]

# py-minisim's DETECT_SNR_THRESHOLD and depth-of-field immersion index.
DETECT_SNR_THRESHOLD = 3.0
_DOF_IMMERSION_N = 1.33

# py-minisim stage (or step kind) → minisim stage, for `until=` and `stage()`.
_STAGES = {
    "place_neurons": "place_neurons",
    "cell_activity": "calcium",
    "bleaching": "calcium",
    "optics": "calcium",
    "composite": "composite",
    "cells_only": "composite",
    "neuropil": "neuropil",
    "vasculature": "vasculature",
    "brain_motion": "motion_crop",
    "illumination_profile": "vignette",
    "vignette": "vignette",
    "leakage": "leakage",
    "sensor": "digitize",
}


class UnmappedFieldWarning(UserWarning):
    """A py-minisim field minisim does not carry over exactly (path: reason)."""


def _as_dict(spec: Any) -> dict[str, Any]:
    """A py-minisim spec as a plain dict: a dict, JSON text, a path-free str, or any
    object with pydantic's `model_dump` (py-minisim's `Spec`, `SweptSpec`)."""
    if isinstance(spec, SweptSpec):
        return dict(spec)
    if isinstance(spec, Mapping):
        return json.loads(json.dumps(dict(spec)))
    if isinstance(spec, str):
        return json.loads(spec)
    dump = getattr(spec, "model_dump", None)
    if dump is not None:
        return dump(mode="json")
    raise TypeError(
        "spec must be a py-minisim Spec, its model_dump() dict or its JSON text "
        f"(got {type(spec).__name__})"
    )


def translate(spec: Any, *, warn: bool = True) -> tuple[_ms.Spec, dict[str, Any]]:
    """The minisim `Spec` of a py-minisim spec and the py-minisim dict it came from.

    Raises `minisim_rs.SpecError` (a `ValueError` naming the py-minisim path) for a
    spec the importer rejects; warns `UnmappedFieldWarning` per unmapped field."""
    py = _as_dict(spec)
    native, unmapped = _ms.Spec.from_py_minisim(py)
    if warn:
        for path, reason in unmapped:
            warnings.warn(f"{path}: {reason}", UnmappedFieldWarning, stacklevel=3)
    return native, py


def _step(py: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    return next((s for s in py.get("steps", []) if s.get("kind") == kind), None)


def _num(d: Mapping[str, Any] | None, key: str, default: float) -> float:
    v = None if d is None else d.get(key)
    return default if v is None or isinstance(v, str) else float(v)


class _Constants:
    """The py-minisim spec's constants the labels need (its defaults when absent)."""

    def __init__(self, py: Mapping[str, Any]):
        acq = py.get("acquisition") or {}
        optics = acq.get("optics") or {}
        sensor = acq.get("image_sensor") or {}
        tissue = acq.get("tissue") or {}
        activity = _step(py, "cell_activity")
        self.na = _num(optics, "na", 0.45)
        self.emission_um = _num(optics, "emission_nm", 525.0) / 1000.0
        dof = optics.get("depth_of_field_um", "auto")
        self.dof_um = (
            _DOF_IMMERSION_N * self.emission_um / self.na**2
            if dof in (None, "auto")
            else float(dof)
        )
        curvature = optics.get("field_curvature_radius_um")
        self.curvature_um = None if curvature is None else float(curvature)
        self.pixel_um = _num(sensor, "pixel_pitch_um", 3.0) / _num(
            optics, "magnification", 8.0
        )
        self.qe = _num(sensor, "quantum_efficiency", 0.7)
        self.read_e = _num(sensor, "read_noise_e", 2.0)
        self.mfp_um = 1.0 / (
            1.0 / _num(tissue, "scatter_mfp_excitation_um", 600.0)
            + 1.0 / _num(tissue, "scatter_mfp_emission_um", 100.0)
        )
        self.blur_per_um = _num(tissue, "scatter_blur_per_um", 0.05)
        sensor_step = _step(py, "sensor")
        self.photons = None if sensor_step is None else _num(sensor_step, "photons_per_unit", 100.0)
        self.f0 = _num(activity, "f0", 1.0)
        cv = _num(activity, "brightness_cv", 0.3)
        self.expression_mean = math.exp(0.5 * math.log(1.0 + cv * cv))
        self.has_optics = _step(py, "optics") is not None
        self.falloffs = [
            (_num(s, "falloff", 1.0), _num(s, "exponent", 2.0))
            for kind in ("illumination_profile", "vignette")
            if (s := _step(py, kind)) is not None
        ]
        self.store_dtype = (py.get("output") or {}).get("store_dtype", "float32")

    def sag(self, r_um: np.ndarray) -> np.ndarray:
        """Field-curvature focal shift at field radius r (py's spherical sagitta)."""
        if self.curvature_um is None:
            return np.zeros_like(r_um)
        rc = self.curvature_um
        return np.where(r_um < rc, rc - np.sqrt(np.maximum(rc * rc - r_um * r_um, 0.0)), 0.0)

    def field(self, iy: np.ndarray, ix: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """Illumination × vignette falloff at pixel indices (py's radial_falloff)."""
        h, w = shape
        cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
        r_corner = math.hypot(cy, cx)
        out = np.ones(iy.shape)
        if r_corner <= 0:
            return out
        r = np.hypot(iy - cy, ix - cx) / r_corner
        for falloff, exponent in self.falloffs:
            out = out * (1.0 - (1.0 - falloff) * r**exponent)
        return out


class GroundTruth:
    """py-minisim's `GroundTruth` names over a minisim recording's truth (units: the
    cells whose footprint reaches the FOV)."""

    def __init__(self, native: _ms.Recording, py: Mapping[str, Any]):
        t = native.truth
        k = _Constants(py)
        keep = np.asarray(t["cells_in_fov"], dtype=bool)
        self._keep = keep
        self._native = native
        self._k = k
        frames, h, w = native.observed.shape
        self.fov_shape = (h, w)
        fps = native.spec.frame_rate_hz
        expression = np.asarray(t["cells_expression"], dtype=float)[keep]
        self.amplitude_per_cell = expression / k.expression_mean
        dff = np.asarray(t["calcium_dff"], dtype=float)[keep]
        # py: C = gain·(f0 + spikes ∗ kernel) = gain·f0·(1 + ΔF/F).
        self.C = (self.amplitude_per_cell * k.f0)[:, None] * (1.0 + dff)
        times = np.asarray(t["spikes_times"], dtype=float)
        indptr = np.asarray(t["spikes_indptr"], dtype=np.int64)
        rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
        frame = np.clip(np.floor(times * fps).astype(np.int64), 0, frames - 1)
        counts = np.zeros((indptr.size - 1, frames))
        np.add.at(counts, (rows, frame), 1.0)
        self.S = counts[keep]
        depth = np.asarray(t["cells_depth_um"], dtype=float)[keep]
        y = np.asarray(t["cells_y_um"], dtype=float)[keep] - h * native.spec.observed_pixel_um / 2
        x = np.asarray(t["cells_x_um"], dtype=float)[keep] - w * native.spec.observed_pixel_um / 2
        self.centers_um = np.stack([depth, y, x], axis=1)
        self.focal_depth_um = float(np.asarray(t["focal_depth_um"]).ravel()[0])
        self.shifts = np.asarray(t["motion_px"], dtype=float)
        self.vignette = np.asarray(t["vignette"], dtype=float)
        self.illumination = None  # folded into `vignette` by the import
        self.vasculature_mask = np.asarray(t["vessels"], dtype=float)
        gain = np.asarray(t["photon_gain"], dtype=float)
        e_per_unit = float(gain[0]) if gain.size and gain[0] > 0 else 1.0
        self.leakage = np.asarray(t["leakage"], dtype=float) / e_per_unit
        self.neuropil_spatial = np.asarray(t["neuropil_components"], dtype=float)
        self.neuropil_temporal = np.asarray(t["neuropil_traces"], dtype=float)
        self.neuropil_population = None
        bleach = np.asarray(t["cell_bleach"], dtype=float)
        self.bleaching = bleach[keep] if bleach.size else None
        self.vessel_overlap_fraction = None
        self.detectable_minisim = np.asarray(t["cells_detectable"], dtype=bool)[keep]
        self.peak_snr_minisim = np.asarray(t["cells_peak_snr"], dtype=float)[keep]
        self._labels(depth, y, x)

    def _labels(self, z: np.ndarray, y: np.ndarray, x: np.ndarray) -> None:
        """py-minisim's `in_focus` and `detectable` (its `detection_snr` ≥ 3)."""
        k = self._k
        h, w = self.fov_shape
        r = np.hypot(y, x)
        focal_eff = self.focal_depth_um - k.sag(r)
        self.in_focus = np.abs(z - focal_eff) <= k.dof_um
        if k.photons is None:
            self.peak_snr = np.zeros(z.size)
            self.detectable = self.in_focus.copy()
            return
        s0 = (0.21 * k.emission_um / k.na) ** 2 + (k.blur_per_um * z) ** 2
        if k.has_optics:
            brightness = (
                s0 / (s0 + (k.na * (z - focal_eff)) ** 2) * np.exp(-z / k.mfp_um) * k.na**2
            )
        else:
            brightness = np.ones(z.size)
        px = self._native.spec.observed_pixel_um
        iy = np.clip(np.round(y / px + (h - 1) / 2.0), 0, h - 1).astype(int)
        ix = np.clip(np.round(x / px + (w - 1) / 2.0), 0, w - 1).astype(int)
        vessel = self.vasculature_mask[iy, ix]
        gain = brightness * k.field(iy, ix, (h, w)) * vessel * k.photons * k.qe
        peak = self.C.max(axis=1) - self.C.min(axis=1) if self.C.size else np.zeros(z.size)
        base = np.maximum(self.C.min(axis=1), 0.0) if self.C.size else np.zeros(z.size)
        signal = peak * gain
        noise = np.sqrt(base * gain + k.read_e**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            snr = np.where(noise > 0, signal / noise, np.where(signal > 0, np.inf, 0.0))
        self.peak_snr = snr
        self.detectable = snr >= DETECT_SNR_THRESHOLD

    @property
    def n_units(self) -> int:
        """Number of ground-truth cells (units)."""
        return int(self._keep.sum())

    @property
    def depth_um(self) -> np.ndarray:
        """Per-unit depth below the surface, µm (first column of `centers_um`)."""
        return self.centers_um[:, 0]

    @property
    def A_observed(self) -> np.ndarray:
        """Footprints (unit, H, W) per unit of `C`: minisim's resting footprint (core +
        halo) divided by the cell's resting `C` (amplitude × f0)."""
        t = self._native.truth
        h, w = self.fov_shape
        indptr = np.asarray(t["footprints_indptr"], dtype=np.int64)
        indices = np.asarray(t["footprints_indices"], dtype=np.int64)
        data = np.asarray(t["footprints_data"], dtype=float)
        cells = np.flatnonzero(self._keep)
        out = np.zeros((cells.size, h * w))
        scale = self.amplitude_per_cell * self._k.f0
        for row, c in enumerate(cells):
            lo, hi = indptr[c], indptr[c + 1]
            out[row, indices[lo:hi]] = data[lo:hi] / scale[row]
        return out.reshape(cells.size, h, w)

    def detectable_subset(self) -> dict[str, np.ndarray]:
        """The per-unit arrays restricted to detectable units (py's fair denominator)."""
        m = self.detectable
        return {
            "C": self.C[m],
            "S": self.S[m],
            "centers_um": self.centers_um[m],
            "amplitude_per_cell": self.amplitude_per_cell[m],
            "in_focus": self.in_focus[m],
            "detectable": self.detectable[m],
        }


class Recording:
    """py-minisim's `Recording` names over a minisim recording: `observed`, `spec`
    (the py-minisim dict), `ground_truth`, `snapshots`; `native` is minisim's."""

    def __init__(self, native: _ms.Recording, py: Mapping[str, Any]):
        self.native = native
        self.spec = dict(py)
        self._truth: GroundTruth | None = None
        dtype = _Constants(py).store_dtype
        obs = native.observed
        self.observed = obs if obs.dtype == np.dtype(dtype) else obs.astype(dtype)

    @property
    def ground_truth(self) -> GroundTruth:
        """The truth under py-minisim's names (built on first access)."""
        if self._truth is None:
            self._truth = GroundTruth(self.native, self.spec)
        return self._truth

    @property
    def snapshots(self) -> dict[str, np.ndarray]:
        """minisim's stage movies (`output.save_intermediates`), by minisim stage name."""
        return dict(self.native.snapshots)

    def stage(self, name: str) -> np.ndarray:
        """A stage's movie by py-minisim stage name or step kind (or minisim's)."""
        key = _STAGES.get(name, name)
        snaps = self.native.snapshots
        if key not in snaps:
            raise KeyError(
                f"stage {name!r} (minisim `{key}`) was not kept; "
                "set output.save_intermediates (kept: " + ", ".join(snaps) + ")"
            )
        return snaps[key]

    @property
    def observed_movie(self) -> Any:
        """`observed` as an xarray DataArray (frame, height, width)."""
        import xarray as xr

        t, h, w = self.observed.shape
        return xr.DataArray(
            self.observed,
            dims=("frame", "height", "width"),
            coords={"frame": np.arange(t), "height": np.arange(h), "width": np.arange(w)},
        )

    def save(self, path: str | Path) -> None:
        """Save in minisim's on-disk format (docs/recording-format.md) plus the
        py-minisim spec as `py_spec.json`."""
        self.native.save(path)
        Path(path, "py_spec.json").write_text(json.dumps(self.spec, indent=2))

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        """Load what `save` wrote."""
        native = _ms.Recording.load(path)
        py = json.loads(Path(path, "py_spec.json").read_text())
        return cls(native, py)

    def __repr__(self) -> str:
        t, h, w = self.observed.shape
        return f"<compat.Recording {t}×{h}×{w}, key {self.native.cache_key[:16]}>"


def simulate(spec: Any, *, until: str | None = None, perf: Any = None) -> Recording:
    """py-minisim's `simulate`: render `spec` (a py-minisim spec) in the Rust engine.

    `until` takes py-minisim's stage names or step kinds; `perf` (any value but None)
    records minisim's phase times on `rec.native.perf`."""
    native_spec, py = translate(spec)
    stop = None if until is None else _STAGES.get(until, until)
    rec = _ms.simulate(native_spec, until=stop, perf=perf is not None)
    return Recording(rec, py)


def simulate_cached(spec: Any, *, root: str | Path | None = None) -> Recording:
    """py-minisim's `simulate_cached`: served from minisim's cache (`root`, else
    `$MINISIM_CACHE` or the platform cache directory), keyed by minisim's cache key."""
    native_spec, py = translate(spec)
    return Recording(_ms.simulate_cached(native_spec, cache_dir=root), py)


def simulate_video(
    spec: Any,
    path: str | Path,
    *,
    chunk_frames: int | None = None,
    fps: float | None = None,
    vmin: float = 0.0,
    vmax: float | None = None,
    codec: str = "Y800",
    progress: bool = True,
    perf: Any = None,
) -> Path:
    """py-minisim's `simulate_video`: stream to `path` in bounded memory. "Y800"
    (uncompressed 8-bit) is minisim's AVI default; other fourccs are not written by
    minisim and fall back to it with a warning (use .mkv/.mp4 with the ffmpeg feature)."""
    native_spec, _ = translate(spec)
    if codec.upper() != "Y800":
        warnings.warn(
            f"codec {codec!r}: minisim writes uncompressed AVI (Y800-equivalent) for .avi",
            UnmappedFieldWarning,
            stacklevel=2,
        )
    out = _ms.simulate_video(
        native_spec,
        str(path),
        progress=progress,
        fps=fps,
        vmin=vmin,
        vmax=vmax,
        chunk_frames=chunk_frames,
    )
    return Path(out)


class SweptSpec(dict):
    """A py-minisim spec dict tagged with the sweep-axis values that produced it
    (`axes`); accepted by every entry point of this module."""

    def __init__(self, spec: Mapping[str, Any], axes: Mapping[str, Any]):
        super().__init__(spec)
        self.axes = dict(axes)

    def cache_key(self) -> str:
        """minisim's cache key of the translated spec (axes do not enter it)."""
        return translate(self, warn=False)[0].cache_key


def _set(py: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `py` with the dotted py-minisim `path` set (`steps.<kind>.<field>`)."""
    out = json.loads(json.dumps(py))
    head, *rest = path.split(".")
    if head == "steps":
        if len(rest) < 2:
            raise ValueError(f"steps path {path!r} must be steps.<kind>.<field>")
        kind, *fields = rest
        node = _step(out, kind)
        if node is None:
            raise ValueError(f"unknown step kind {kind!r} in sweep path {path!r}")
    else:
        node, fields = out, [head, *rest]
    for i, key in enumerate(fields[:-1]):
        child = node.get(key)
        if not isinstance(child, dict):
            raise ValueError(f"sweep path {path!r} descends into non-object field {key!r}")
        node = child
    node[fields[-1]] = value
    return out


def sweep(base: Any, axes: Mapping[str, list[Any]]) -> Iterator[SweptSpec]:
    """py-minisim's `sweep`: one validated `SweptSpec` per point of the Cartesian
    product of `axes` (py-minisim dotted paths → values); an invalid point raises
    `SpecError` when it is reached."""
    py = _as_dict(base)
    paths = list(axes)
    for combo in product(*(axes[p] for p in paths)):
        point = py
        for p, v in zip(paths, combo):
            point = _set(point, p, v)
        translate(point, warn=False)  # validate now, as py-minisim does
        yield SweptSpec(point, dict(zip(paths, combo)))
