"""minisim from Python: simulated one-photon miniscope recordings with complete ground
truth, rendered by the Rust engine, numpy in and out.

>>> import minisim_rs as ms
>>> spec = ms.Spec.preset("quick").with_overrides({"acquisition.frames": 20})
>>> rec = ms.simulate(spec)
>>> rec.observed.shape, rec.observed.dtype
((20, 128, 128), dtype('uint16'))

`Spec` is validated on construction (`SpecError`, a `ValueError`, names the JSON path);
`simulate` releases the GIL while rendering and hands the movie to numpy without a
second copy; `Recording.save(dir)` / `Recording.load(dir)` use the on-disk format of
`minisim-cli simulate -o DIR`. Units are in the names: `motion_px` (pixels), `peak_snr`
(dimensionless), `calcium_dff` (ΔF/F).
"""

from ._minisim import (
    MODEL_VERSION,
    CacheError,
    Recording,
    RenderError,
    Spec,
    SpecError,
    VideoError,
    __version__,
    score,
    simulate,
    simulate_cached,
    simulate_video,
    sweep,
)

__all__ = [
    "MODEL_VERSION",
    "CacheError",
    "Recording",
    "RenderError",
    "Spec",
    "SpecError",
    "VideoError",
    "__version__",
    "score",
    "simulate",
    "simulate_cached",
    "simulate_video",
    "sweep",
]
