"""Run minian's demo pipeline (minian 2.0.2, notebooks/pipeline) headless on a minisim
recording and export what `minisim-cli score` reads.

Usage: python run_minian.py REC_DIR OUT_DIR

Reads REC_DIR/observed.npy and REC_DIR/recording.json (the spec); writes to OUT_DIR:
A.npy (units, H, W), C.npy (units, frames), S.npy (units, frames), shifts.npy
(frames, 2) [dy, dx] in minian's convention (the shifts that register the frames),
params.json (the parameters used) and timing.json (seconds per stage and in total).

The pipeline is the demo notebook's, stage for stage, with its default parameters
except the window sizes, which scale with the soma radius in pixels,
r = place_neurons.soma_radius_mean_um / acquisition.pixel_um (the demo's values suit
r of about 5 px):

- denoise: median, ksize = the largest odd number <= r, at least 3;
- remove_background: tophat, wnd = round(2.5 r) (a bit above a cell diameter);
- seeds_init: max_wnd = round(2.5 r); wnd_size and stp_size as the demo, capped at the
  number of frames;
- seeds_merge: thres_dist = round(2 r); initA: wnd = round(2 r);
- update_spatial: dl_wnd = round(2 r), size_thres = (round(pi r^2 / 4), None).

The movie is handed over as 8-bit (minian's own loader reads 8-bit video and its
median filter needs it): counts scaled linearly from their 0.1st to 99.99th
percentile onto 0..255.
"""

import json
import math
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
warnings.filterwarnings("ignore")

rec_dir, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
os.environ["MINIAN_INTERMEDIATE"] = os.path.join(out_dir, "minian_intermediate")

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from dask.distributed import Client, LocalCluster, wait  # noqa: E402

from minian.cnmf import (  # noqa: E402
    compute_trace,
    get_noise_fft,
    unit_merge,
    update_background,
    update_spatial,
    update_temporal,
)
from minian.initialization import (  # noqa: E402
    initA,
    initC,
    ks_refine,
    pnr_refine,
    seeds_init,
    seeds_merge,
)
from minian.motion_correction import apply_transform, estimate_motion  # noqa: E402
from minian.preprocessing import denoise, remove_background  # noqa: E402
from minian.utilities import get_optimal_chk  # noqa: E402

timing = {}
t_all = time.perf_counter()


def stage(name, t0):
    timing[name] = round(time.perf_counter() - t0, 3)
    print(f"minian: {name} {timing[name]:.1f} s", file=sys.stderr, flush=True)
    return time.perf_counter()


spec = json.load(open(os.path.join(rec_dir, "recording.json")))["spec"]
steps = {s["kind"]: s for s in spec["steps"]}
pixel_um = spec["acquisition"]["pixel_um"]
radius_px = steps.get("place_neurons", {}).get("soma_radius_mean_um", 6.0) / pixel_um
movie = np.load(os.path.join(rec_dir, "observed.npy"), mmap_mode="r")
frames, height, width = movie.shape

odd = max(3, int(math.floor(radius_px)) // 2 * 2 + 1)
if odd > radius_px and odd > 3:
    odd -= 2
diameter = max(3, int(round(2 * radius_px)))
params = {
    "radius_px": radius_px,
    "denoise": {"method": "median", "ksize": odd},
    "background_removal": {"method": "tophat", "wnd": max(3, int(round(2.5 * radius_px)))},
    "estimate_motion": {"dim": "frame"},
    "seeds_init": {
        "wnd_size": min(1000, frames),
        "method": "rolling",
        "stp_size": min(500, max(1, frames // 2)),
        "max_wnd": max(3, int(round(2.5 * radius_px))),
        "diff_thres": 3,
    },
    "pnr_refine": {"noise_freq": 0.06, "thres": 1},
    "ks_refine": {"sig": 0.05},
    "seeds_merge": {"thres_dist": diameter, "thres_corr": 0.8, "noise_freq": 0.06},
    "initialize": {"thres_corr": 0.8, "wnd": diameter, "noise_freq": 0.06},
    "init_merge": {"thres_corr": 0.8},
    "get_noise": {"noise_range": (0.06, 0.5)},
    "spatial": {
        "dl_wnd": diameter,
        "sparse_penal": 0.01,
        "size_thres": (max(4, int(round(math.pi * radius_px**2 / 4))), None),
    },
    "first_temporal": {"noise_freq": 0.06, "sparse_penal": 1, "p": 1, "add_lag": 20, "jac_thres": 0.2},
    "first_merge": {"thres_corr": 0.8},
    "second_temporal": {"noise_freq": 0.06, "sparse_penal": 1, "p": 1, "add_lag": 20, "jac_thres": 0.4},
}
json.dump(params, open(os.path.join(out_dir, "params.json"), "w"), indent=1)

cluster = LocalCluster(
    n_workers=1,
    processes=False,
    threads_per_worker=int(os.environ.get("MINIAN_THREADS", "2")),
    memory_limit=0,
    dashboard_address=None,
)
client = Client(cluster)

t0 = time.perf_counter()
raw = np.asarray(movie, dtype=np.float32)
lo, hi = np.percentile(raw, [0.1, 99.99])
u8 = np.clip((raw - lo) / max(hi - lo, 1e-9) * 255.0, 0, 255).astype(np.uint8)
del raw
varr = xr.DataArray(
    u8,
    dims=["frame", "height", "width"],
    coords={"frame": np.arange(frames), "height": np.arange(height), "width": np.arange(width)},
    name="varr",
)
chk, _ = get_optimal_chk(varr, dtype=float)
varr = varr.chunk({"frame": chk["frame"], "height": -1, "width": -1})
varr_ref = (varr - varr.min("frame")).persist()
wait(varr_ref)
varr_ref = denoise(varr_ref, **params["denoise"])
varr_ref = remove_background(varr_ref, **params["background_removal"]).persist()
wait(varr_ref)
t0 = stage("preprocess", t0)

motion = estimate_motion(varr_ref, **params["estimate_motion"]).persist()
wait(motion)
Y = apply_transform(varr_ref, motion, fill=0)
Y_fm = Y.astype(float).chunk({"frame": chk["frame"], "height": -1, "width": -1}).persist()
Y_hw = Y_fm.chunk({"frame": -1, "height": chk["height"], "width": chk["width"]}).persist()
wait([Y_fm, Y_hw])
max_proj = Y_fm.max("frame").compute()
t0 = stage("motion", t0)

seeds = seeds_init(Y_fm, **params["seeds_init"])
seeds, pnr, gmm = pnr_refine(Y_hw, seeds, **params["pnr_refine"])
seeds = ks_refine(Y_hw, seeds, **params["ks_refine"])
seeds_final = seeds[seeds["mask_ks"] & seeds["mask_pnr"]].reset_index(drop=True)
seeds_final = seeds_merge(Y_hw, max_proj, seeds_final, **params["seeds_merge"])
A = initA(Y_hw, seeds_final[seeds_final["mask_mrg"]], **params["initialize"]).persist()
C = initC(Y_fm, A).persist()
try:
    A, C = unit_merge(A, C, **params["init_merge"])
except ValueError:
    pass  # nothing to merge
A, C = A.persist(), C.persist()
C_chk = C.chunk({"unit_id": -1, "frame": chk["frame"]}).persist()
b, f = update_background(Y_fm, A, C_chk)
b, f = b.persist(), f.persist()
sn = get_noise_fft(Y_hw, **params["get_noise"]).persist()
wait([A, C, b, f, sn])
t0 = stage("initialize", t0)


def spatial(A, C):
    A_new, mask, norm_fac = update_spatial(Y_hw, A, C, sn, in_memory=True, **params["spatial"])
    A = A_new.persist()
    C = (C.sel(unit_id=mask) * norm_fac).persist()
    C_chk = C.chunk({"unit_id": -1, "frame": chk["frame"]}).persist()
    b, f = update_background(Y_fm, A, C_chk)
    b, f = b.persist(), f.persist()
    wait([A, C, b, f])
    return A, C, C_chk, b, f


def temporal(A, C, C_chk, b, f, p):
    YrA = compute_trace(Y_fm, A, b, C_chk, f).chunk({"unit_id": 1, "frame": -1}).persist()
    C_new, S_new, b0, c0, g, mask = update_temporal(A, C, YrA=YrA, **p)
    A = A.sel(unit_id=C_new.coords["unit_id"]).persist()
    C, S = C_new.persist(), S_new.persist()
    wait([A, C, S])
    return A, C, S


A, C, C_chk, b, f = spatial(A, C)
A, C, S = temporal(A, C, C_chk, b, f, params["first_temporal"])
try:
    A, C = unit_merge(A, C, **params["first_merge"])
    A, C = A.persist(), C.persist()
except ValueError:
    pass
A, C, C_chk, b, f = spatial(A, C)
A, C, S = temporal(A, C, C_chk, b, f, params["second_temporal"])
t0 = stage("cnmf", t0)

units = A.coords["unit_id"].values
A_np = np.asarray(A.transpose("unit_id", "height", "width").values, dtype=np.float32)
C_np = np.asarray(C.sel(unit_id=units).transpose("unit_id", "frame").values, dtype=np.float32)
S_np = np.asarray(S.sel(unit_id=units).transpose("unit_id", "frame").values, dtype=np.float32)
shifts = np.asarray(motion.transpose("frame", "shift_dim").values, dtype=np.float64)
np.save(os.path.join(out_dir, "A.npy"), A_np)
np.save(os.path.join(out_dir, "C.npy"), C_np)
np.save(os.path.join(out_dir, "S.npy"), S_np)
np.save(os.path.join(out_dir, "shifts.npy"), shifts)
timing["total"] = round(time.perf_counter() - t_all, 3)
json.dump(timing, open(os.path.join(out_dir, "timing.json"), "w"), indent=1)
print(f"minian: {A_np.shape[0]} units in {timing['total']:.1f} s", file=sys.stderr)
client.close()
cluster.close()
