"""One py-minisim measurement for `cargo xtask bench --peer` (run in its venv).

Usage: python run.py simulate|video SPEC.json OUT_DIR

Times only the call (`minisim.simulate(spec)` or
`minisim.video.simulate_video(spec, path, codec="Y800")`), after the import and the
spec's validation; prints one JSON object with the wall time, the process's peak
resident set and the movie's size.
"""

import importlib.metadata
import json
import pathlib
import resource
import sys
import time

import minisim
import minisim.video


def main() -> None:
    mode, spec_path, out_dir = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    spec = minisim.Spec.model_validate_json(spec_path.read_text())
    start = time.perf_counter()
    if mode == "simulate":
        rec = minisim.simulate(spec)
        shape = list(rec.observed.shape)
    elif mode == "video":
        path = minisim.video.simulate_video(spec, out_dir / "peer.avi", codec="Y800", progress=False)
        shape = None
        size = pathlib.Path(path).stat().st_size
    else:
        raise SystemExit(f"unknown mode {mode}")
    wall = time.perf_counter() - start
    out = {
        "engine": "py-minisim",
        "version": importlib.metadata.version("minisim"),
        "mode": mode,
        "wall_seconds": wall,
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }
    if shape is not None:
        out["observed_shape"] = shape
    else:
        out["file_bytes"] = size
    print(json.dumps(out))


if __name__ == "__main__":
    main()
