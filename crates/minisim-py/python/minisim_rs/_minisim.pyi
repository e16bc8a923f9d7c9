"""Type stubs of the compiled module `minisim_rs._minisim`."""

from os import PathLike
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

MODEL_VERSION: int
__version__: str

class SpecError(ValueError):
    """A spec, override or sweep axis is invalid."""

    path: str
    """Dotted JSON path of the first issue (`""` for a JSON syntax error)."""
    issues: list[tuple[str, str]]
    """Every issue as (path, message)."""

class RenderError(RuntimeError): ...
class CacheError(OSError): ...
class VideoError(OSError): ...

class Spec:
    """A validated recording spec; `Spec()` is the built-in default."""

    def __init__(self) -> None: ...
    @staticmethod
    def from_json(text: str) -> Spec: ...
    @staticmethod
    def from_dict(spec: Mapping[str, Any]) -> Spec: ...
    @staticmethod
    def from_py_minisim(
        spec: str | Mapping[str, Any],
    ) -> tuple[Spec, list[tuple[str, str]]]:
        """Translate a py-minisim 1.0.x spec (JSON text or dict); returns the spec
        and one (path, reason) pair per field not (exactly) carried over."""
        ...
    @staticmethod
    def preset(name: str) -> Spec: ...
    @staticmethod
    def presets() -> list[str]: ...
    def with_overrides(self, overrides: Mapping[str, Any]) -> Spec: ...
    @property
    def cache_key(self) -> str: ...
    @property
    def frames(self) -> int: ...
    @property
    def fov_px(self) -> tuple[int, int]:
        """(height, width) in pixels."""
    @property
    def frame_rate_hz(self) -> float: ...
    @property
    def observed_pixel_um(self) -> float:
        """Pixel size of the observed frames, µm."""
    def to_json(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

class Recording:
    """A simulated recording with its ground truth."""

    @property
    def observed(self) -> Union[npt.NDArray[np.uint16], npt.NDArray[np.float32]]:
        """frames × height × width: counts (uint16) or e⁻ (float32 without a sensor)."""
    @property
    def spec(self) -> Spec: ...
    @property
    def cache_key(self) -> str: ...
    @property
    def snapshots(self) -> dict[str, npt.NDArray[np.float32]]:
        """Movies of `output.snapshot_stages` by stage name (copies)."""
    @property
    def truth(self) -> dict[str, npt.NDArray[Any]]:
        """Every ground-truth array by its on-disk name (copies)."""
    @property
    def in_focus(self) -> npt.NDArray[np.bool_]: ...
    @property
    def detectable(self) -> npt.NDArray[np.bool_]: ...
    @property
    def peak_snr(self) -> npt.NDArray[np.float64]: ...
    @property
    def calcium_dff(self) -> npt.NDArray[np.float32]:
        """ΔF/F, cells × frames."""
    @property
    def motion_px(self) -> npt.NDArray[np.float64]:
        """[dy, dx] in pixels per frame, frames × 2."""
    @property
    def footprints(self) -> Any:
        """scipy.sparse.csr_matrix (cells × pixels) or (data, indices, indptr)."""
    @property
    def perf(self) -> Optional[dict[str, float]]:
        """Seconds per pipeline phase with `simulate(..., perf=True)`."""
    def to_xarray(self) -> Any:
        """xarray.DataArray (frame, height, width) sharing `observed`; spec in attrs."""
    def to_nwb(self, path: Union[str, PathLike[str]]) -> None:
        """NWB file (pynwb): OnePhotonSeries, PlaneSegmentation, ΔF/F, spikes, motion."""
    def save(self, dir: Union[str, PathLike[str]]) -> None: ...
    @staticmethod
    def load(dir: Union[str, PathLike[str]]) -> Recording: ...

def simulate(
    spec: Spec,
    until: Optional[str] = None,
    chunk_frames: Optional[int] = None,
    perf: bool = False,
    progress: bool = False,
) -> Recording:
    """Render in memory; Ctrl-C raises KeyboardInterrupt at the next chunk."""

def simulate_cached(
    spec: Spec,
    cache_dir: Optional[Union[str, PathLike[str]]] = None,
    progress: bool = False,
) -> Recording: ...
def simulate_video(
    spec: Spec,
    path: Union[str, PathLike[str]],
    progress: bool = True,
    codec: Optional[str] = None,
    fps: Optional[float] = None,
    vmin: Optional[float] = None,
    vmax: Optional[float] = None,
    chunk_frames: Optional[int] = None,
) -> str: ...
def sweep(base: Spec, axes: Mapping[str, Sequence[Any]]) -> list[Spec]: ...
def score(
    rec: Recording,
    footprints: Any = None,
    traces: Optional[npt.ArrayLike] = None,
    spikes: Optional[npt.ArrayLike] = None,
    shifts: Optional[npt.ArrayLike] = None,
    *,
    name: str = "yours",
    baselines: bool = True,
    truth: str = "core",
    iou_threshold: Optional[float] = None,
    energy_fraction: Optional[float] = None,
    snr_threshold: Optional[float] = None,
    spike_tolerance_frames: Optional[int] = None,
    spike_threshold: Optional[float] = None,
    shift_convention: str = "correction",
) -> list[dict[str, Any]]:
    """Reports as `minisim-cli score --json`: the estimate's, then the oracle's and the
    threshold-ROI baseline's (with `baselines=True`). `footprints`: dense (n, H, W) or
    sparse (n, H·W); `traces`, `spikes`: (n, frames); `shifts`: (frames, 2) px."""
