"""Decode a movie file with a real reader and dump its frames as raw little-endian
bytes. Usage: python3 read_frames.py READER PATH OUT, READER one of tifffile, numpy,
opencv. Prints "shape dtype" of what it read."""
import sys

import numpy as np

reader, path, out = sys.argv[1:4]
if reader == "tifffile":
    import tifffile
    a = tifffile.imread(path)
    with tifffile.TiffFile(path) as tf:
        assert len(tf.pages) == a.shape[0], (len(tf.pages), a.shape)
        kind = "bigtiff" if tf.is_bigtiff else "classic"
elif reader == "numpy":
    a = np.load(path, mmap_mode="r")
    kind = "npy"
elif reader == "opencv":
    import cv2
    cap = cv2.VideoCapture(path)
    assert cap.isOpened(), "OpenCV could not open " + path
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if frame.ndim == 3:
            assert (frame[..., 0] == frame[..., 1]).all() and (frame[..., 0] == frame[..., 2]).all()
            frame = frame[..., 0]
        frames.append(frame)
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    a = np.stack(frames)
    kind = f"opencv-count={n}"
else:
    raise SystemExit("unknown reader " + reader)
a = np.ascontiguousarray(a)
a.astype(a.dtype.newbyteorder("<")).tofile(out)
print(" ".join(str(s) for s in a.shape), a.dtype.name, kind)
