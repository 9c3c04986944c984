#!/usr/bin/env -S /usr/bin/python3
"""List the GPU code embedded in an ELF file (executable, library or object).

A stand-in for `cuobjdump --list-elf --list-ptx` where the CUDA toolkit ships
no cuobjdump (nvcc-only installs): it walks the .nv_fatbin section and prints
one line per embedded image, e.g. "ELF sm_90" or "PTX compute_90".

    tools/list-cuda-archs.py build/relpos [--require sm_80,sm_90,compute_90]

With --require, exits 1 unless every listed image is present.
"""
import argparse
import struct
import sys

FATBIN_MAGIC = 0xBA55ED50
KINDS = {1: "PTX", 2: "ELF"}


def section(data: bytes, wanted: str) -> bytes:
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise ValueError("not a 64-bit ELF file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + k * shentsize) for k in range(shnum)]
    names_offset = headers[shstrndx][4]
    for name, _type, _flags, _addr, offset, size, *_ in headers:
        end = data.index(b"\0", names_offset + name)
        if data[names_offset + name:end].decode() == wanted:
            return data[offset:offset + size]
    return b""


def images(fatbin: bytes):
    """Yields (kind, arch, compressed) for every image in every fatbin container."""
    at = 0
    while at + 16 <= len(fatbin):
        magic, _version, header_size, fat_size = struct.unpack_from("<IHHQ", fatbin, at)
        if magic != FATBIN_MAGIC:
            at += 8  # containers are 8-byte aligned; skip padding
            continue
        entry = at + header_size
        end = entry + fat_size
        while entry + 64 <= end:
            kind, _unknown, entry_header, payload = struct.unpack_from("<HHIQ", fatbin, entry)
            arch = struct.unpack_from("<I", fatbin, entry + 28)[0]
            flags = struct.unpack_from("<Q", fatbin, entry + 40)[0]
            yield KINDS.get(kind, f"kind{kind}"), arch, bool(flags & 0x2000)
            entry += entry_header + payload
        at = end


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--require", default="", help="comma-separated images that must be present")
    args = parser.parse_args()
    with open(args.file, "rb") as f:
        data = f.read()
    found = []
    for kind, arch, compressed in images(section(data, ".nv_fatbin")):
        name = f"sm_{arch}" if kind == "ELF" else f"compute_{arch}"
        line = f"{kind} {name}" + (" (compressed)" if compressed else "")
        if line not in found:
            found.append(line)
    for line in found:
        print(line)
    present = {line.split()[1] for line in found}
    missing = [r for r in args.require.split(",") if r and r not in present]
    if missing:
        print(f"missing: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
