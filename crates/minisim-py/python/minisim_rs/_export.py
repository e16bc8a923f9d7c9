"""Recording → xarray and NWB (optional dependencies: xarray, pynwb)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import numpy as np

#: Blue-LED excitation of green GECIs (GCaMP, jGCaMP8): the spec has no excitation
#: wavelength; 470 nm is the LED of the UCLA Miniscope and nVista (docs/python.md).
EXCITATION_NM = 470.0


def _step(spec_dict, kind):
    return next((s for s in spec_dict["steps"] if s["kind"] == kind), None)


def to_xarray(rec):
    import xarray as xr

    t, h, w = rec.observed.shape
    spec = rec.spec
    px = spec.observed_pixel_um
    fps = spec.frame_rate_hz
    return xr.DataArray(
        rec.observed,
        dims=("frame", "height", "width"),
        coords={
            "frame": np.arange(t),
            "height": np.arange(h),
            "width": np.arange(w),
            "time_s": ("frame", np.arange(t) / fps),
            "y_um": ("height", np.arange(h) * px),
            "x_um": ("width", np.arange(w) * px),
        },
        name="observed",
        attrs={
            "cache_key": rec.cache_key,
            "spec": spec.to_json(),
            "frame_rate_hz": fps,
            "pixel_um": px,
            "units": "counts" if rec.observed.dtype == np.uint16 else "e-",
        },
    )


def to_nwb(rec, path):
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.file import Subject
    from pynwb.ophys import (
        Fluorescence,
        ImageSegmentation,
        OnePhotonSeries,
        OpticalChannel,
    )
    from hdmf.common import DynamicTable, VectorData

    path = os.fspath(path)
    if os.path.exists(path):
        raise FileExistsError(f"{path}: exists; choose a new file name")
    spec = rec.spec
    d = spec.to_dict()
    acq = d["acquisition"]
    optics = acq["optics"]
    digitize = _step(d, "digitize")
    calcium = _step(d, "calcium")
    fps = spec.frame_rate_hz
    px = spec.observed_pixel_um
    t, h, w = rec.observed.shape
    nwb = NWBFile(
        session_description=f"minisim simulated one-photon recording (cache key {rec.cache_key}, model {d.get('model_version', '')})".strip(),
        identifier=rec.cache_key,
        session_start_time=datetime(2000, 1, 1, tzinfo=timezone.utc),
        experiment_description="Simulated by minisim with complete ground truth; the spec (canonical JSON) is in `notes`.",
        notes=spec.to_json(),
        source_script="minisim",
        source_script_file_name="minisim-rs",
        keywords=["minisim", "simulation", "one-photon", "miniscope", "ground truth"],
        subject=Subject(
            subject_id="simulated",
            species="Mus musculus",
            sex="U",
            age="P90D",
            description="no animal: simulated mouse tissue (minisim); age and sex are placeholders",
        ),
    )
    bit_depth = digitize["bit_depth"] if digitize else None
    device = nwb.create_device(
        name="miniscope",
        description=f"simulated one-photon miniscope, NA {optics['na']}, focal depth {optics['focal_depth_um']} µm"
        + (f", {bit_depth}-bit sensor, gain {digitize['gain_dn_per_e']} DN/e-" if digitize else ", no sensor")
        + "; made by minisim (simulation)",
    )
    channel = OpticalChannel(
        name="green", description="indicator emission", emission_lambda=float(optics["emission_nm"])
    )
    plane = nwb.create_imaging_plane(
        name="imaging_plane",
        optical_channel=channel,
        description=f"focal plane {optics['focal_depth_um']} µm below the surface",
        device=device,
        excitation_lambda=EXCITATION_NM,
        imaging_rate=fps,
        indicator=calcium["indicator"] if calcium else "none",
        # The spec names no brain region: the Allen CCF root (the whole brain).
        location="root",
        grid_spacing=[px, px],
        grid_spacing_unit="micrometers",
    )
    series = OnePhotonSeries(
        name="OnePhotonSeries",
        description=f"observed movie, {'counts (DN)' if rec.observed.dtype == np.uint16 else 'e-'}",
        data=rec.observed,
        imaging_plane=plane,
        rate=fps,
        unit="n.a.",
        dimension=[w, h],
    )
    nwb.add_acquisition(series)

    module = nwb.create_processing_module(name="ophys", description="ground truth of the simulation")
    segmentation = ImageSegmentation()
    module.add(segmentation)
    cells = segmentation.create_plane_segmentation(
        name="PlaneSegmentation",
        description="true footprints (all the light of each cell on the sensor), pixel masks (x, y, weight)",
        imaging_plane=plane,
        reference_images=series,
    )
    fp = rec.footprints
    if not hasattr(fp, "tocsr"):
        from scipy.sparse import csr_matrix

        fp = csr_matrix(fp, shape=(len(rec.peak_snr), h * w))
    fp = fp.tocsr()
    truth = rec.truth
    for k in range(fp.shape[0]):
        lo, hi = fp.indptr[k], fp.indptr[k + 1]
        idx = fp.indices[lo:hi]
        mask = [(int(i % w), int(i // w), float(v)) for i, v in zip(idx, fp.data[lo:hi])]
        if not mask:
            mask = [(0, 0, 0.0)]
        cells.add_roi(pixel_mask=mask)
    for name, desc in (
        ("in_focus", "in the focal volume"),
        ("detectable", "expected peak SNR at least the detectability threshold"),
        ("peak_snr", "expected peak SNR (docs/scoring.md)"),
    ):
        cells.add_column(name=name, description=desc, data=list(getattr(rec, name)))
    for col, desc in (("x_um", "x of the centre, µm"), ("y_um", "y of the centre, µm"), ("z_um", "depth of the centre, µm")):
        cells.add_column(name=col, description=desc, data=list(truth[f"cells_{col}"]))
    region = cells.create_roi_table_region(region=list(range(fp.shape[0])), description="every cell")
    fluorescence = Fluorescence()
    module.add(fluorescence)
    fluorescence.create_roi_response_series(
        name="RoiResponseSeries",
        description="true ΔF/F of each cell",
        data=np.ascontiguousarray(rec.calcium_dff.T),
        rois=region,
        unit="n.a.",
        rate=fps,
    )
    indptr = truth.get("spikes_indptr")
    if indptr is not None:
        times = truth["spikes_times"]
        spikes = DynamicTable(name="spikes", description="true spike times of each cell, s")
        spikes.add_column(
            name="spike_times",
            description="spike times, s",
            index=True,
        )
        for k in range(len(indptr) - 1):
            spikes.add_row(spike_times=list(times[indptr[k] : indptr[k + 1]]))
        module.add(spikes)
    module.add(
        TimeSeries(
            name="motion",
            description="true tissue displacement [dy, dx] per frame",
            data=rec.motion_px,
            unit="pixels",
            rate=fps,
        )
    )
    # Written whole to a hidden sibling, then renamed: the file appears only complete.
    directory, name = os.path.split(os.path.abspath(path))
    temp = os.path.join(directory, f".{name}.tmp-{os.getpid()}.nwb")
    try:
        with NWBHDF5IO(temp, "w") as io:
            io.write(nwb)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.remove(temp)
