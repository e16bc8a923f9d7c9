"""Load a minisim recording directory with numpy/scipy only and check it against its
manifest. Usage: python3 check_recording.py DIR. Exit 0 if every check passes."""
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import scipy.sparse

entry = Path(sys.argv[1])
manifest = json.loads((entry / "recording.json").read_text())
assert manifest["format_version"] == 5, manifest["format_version"]

arrays = {}
for name, meta in manifest["arrays"].items():
    a = np.load(entry / meta["file"], allow_pickle=False)
    assert a.dtype.str == meta["dtype"] or (meta["dtype"] == "|b1" and a.dtype == np.bool_), (name, a.dtype.str, meta["dtype"])
    assert list(a.shape) == meta["shape"], (name, a.shape, meta["shape"])
    arrays[name] = a
    mm = np.load(entry / meta["file"], mmap_mode="r")  # memory-mappable too
    assert mm.shape == a.shape

frames, h, w = arrays["observed"].shape
spec = manifest["spec"]
if spec["output"].get("export") is None:  # an export changes the frame size
    assert [h, w] == spec["acquisition"]["fov_px"], (h, w)
assert frames == spec["acquisition"]["frames"]

n = arrays["cells_id"].shape[0]
fp = scipy.sparse.csr_matrix(
    (arrays["footprints_data"], arrays["footprints_indices"], arrays["footprints_indptr"]),
    shape=(n, h * w),
)
fp.check_format(full_check=True)
assert fp.nnz == arrays["footprints_data"].shape[0]
assert (fp.data > 0).all()
# Cells in the FOV have footprints on the FOV.
in_fov = arrays["cells_in_fov"]
assert (np.asarray(fp[in_fov].sum(axis=1)).ravel() > 0).all()
# The core is part of the total: total - core (the halo) is never negative beyond the
# float rounding and coarse-grid interpolation of deep cells' cores.
core = scipy.sparse.csr_matrix(
    (arrays["footprints_core_data"], arrays["footprints_core_indices"], arrays["footprints_core_indptr"]),
    shape=(n, h * w),
)
core.check_format(full_check=True)
assert (core.data > 0).all()
assert core.sum() <= fp.sum() * (1 + 1e-5), (core.sum(), fp.sum())
assert arrays["calcium_dff"].shape == (n, frames)
# Detectability labels agree with their definitions.
snr = arrays["cells_peak_snr"]
assert snr.shape == (n,) and (snr >= 0).all()
assert (arrays["cells_detectable"] == (snr >= 3.0)).all()
assert (arrays["cells_in_focus"] == (arrays["cells_focus_weight"] >= 0.5)).all()
assert np.allclose(arrays["cells_peak_dff"], arrays["calcium_dff"].max(axis=1, initial=0.0))
assert arrays["cells_detectable"].any()
assert arrays["motion_px"].shape == (frames, 2)
# The haemodynamic transmission: one positive factor per frame (none without it).
hemo = arrays["hemodynamic"]
assert hemo.shape in ((frames,), (0,)), hemo.shape
assert (hemo > 0).all() and (hemo < 2).all()
assert arrays["dust"].shape == (h, w) and (arrays["dust"] <= 1).all()
spikes = np.split(arrays["spikes_times"], arrays["spikes_indptr"][1:-1])
assert len(spikes) == n
assert all((np.diff(s) >= 0).all() for s in spikes)
print(f"ok: {frames}x{h}x{w}, {n} cells, {fp.nnz} footprint weights, {len(arrays)} arrays")
