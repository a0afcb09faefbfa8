#!/usr/bin/env python3
"""Independent reader of a safetensors file (the format's spec: 8-byte little-endian header
length, a JSON header, raw little-endian data), written without the kernel's code and without
the `safetensors` package (not packaged for Debian 12): prints metadata and, per tensor, its
shape and the sum of its F32 values as JSON."""
import json, struct, sys

def main(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    out = {"metadata": header.get("__metadata__", {}), "tensors": []}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", name
        begin, end = t["data_offsets"]
        count = 1
        for d in t["shape"]:
            count *= d
        assert end - begin == 4 * count and end <= len(data), name
        values = struct.unpack("<%df" % count, data[begin:end])
        out["tensors"].append({"name": name, "shape": t["shape"], "sum": sum(values)})
    print(json.dumps(out))

if __name__ == "__main__":
    main(sys.argv[1])
