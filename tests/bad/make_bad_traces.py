#!/usr/bin/env python3
"""Write the damaged .tmt files of tests/bad/trace/ (layout in
docs/trace-format.md).  Each file holds one kind of damage on an otherwise
valid two-record trace; the expected `tmsim inspect` error of FILE is in
FILE.expect (written by hand, not by this script).  Run from the top of the
source tree; needs the `zstd` command.  The output is deterministic."""
import json
import struct
import subprocess

OUT = "tests/bad/trace/"
HDR = {"kind": "accesses", "address_space": "gva", "page_size": 4096,
       "load_period": 0, "store_period": 0, "vcpus": 1, "time_unit": "ns",
       "footprint_hint": 0, "source": "tests/bad"}


def rec(t, addr, op=0, flags=0, weight=0, cpu=0):
    return struct.pack("<QQIHBB", t, addr, weight, cpu, op, flags)


def raw(hdr=None, recs=None, magic=b"TMTRACE\0", version=1, hlen=None):
    h = hdr if isinstance(hdr, bytes) else \
        json.dumps(HDR if hdr is None else hdr, separators=(",", ":")).encode()
    body = magic + struct.pack("<II", version, len(h) if hlen is None else hlen)
    body += h
    for r in (recs if recs is not None else [rec(0, 0x1000), rec(100, 0x2000, 1)]):
        body += r
    return body


def zstd(data, check=True, extra=()):
    args = ["zstd", "-q", "-c", "-3"] + ([] if check else ["--no-check"]) + \
        list(extra)
    return subprocess.run(args, input=data, capture_output=True,
                          check=True).stdout


def put(name, data):
    with open(OUT + name, "wb") as f:
        f.write(data)


def with_hdr(**kw):
    h = dict(HDR)
    for k, v in kw.items():
        if v is None:
            del h[k]
        else:
            h[k] = v
    return raw(hdr=h)


def v2block(vals, bases=(0,) * 5, width=1, nr=None):
    """One record encoding v2 block: every column `width` bytes wide with
    shift 0 and the given bases; vals[c] are column c's stored values."""
    b = struct.pack("<I", len(vals[0]) if nr is None else nr)
    for c in range(5):
        b += struct.pack("<BBQ", width, 0, bases[c])
    for c in range(5):
        for v in vals[c]:
            b += v.to_bytes(8, "little")[:width]
    return b


# raw()'s two records as v2 columns: time delta, zigzag page delta, offset,
# weight, cpu << 2 | op
V2 = [[0, 100], [2, 2], [0, 0], [0, 0], [0, 1]]


def raw_v2(block):
    return raw(recs=[], version=2) + block


good = zstd(raw())
put("empty.tmt", b"")
put("not_zstd.tmt", b"hello, this is text\n")
put("no_checksum.tmt", zstd(raw(), check=False))
put("truncated.tmt", good[:len(good) - 9])
put("bad_checksum.tmt", good[:-1] + bytes([good[-1] ^ 0xff]))
put("data_after_frame.tmt", good + b"junk")
put("two_frames.tmt", good + good)
put("bad_magic.tmt", zstd(raw(magic=b"TMTRACF\0")))
put("bad_version.tmt", zstd(raw(version=3)))
put("header_len_zero.tmt", zstd(raw(hlen=0)))
put("header_len_huge.tmt", zstd(raw(hlen=1 << 24)))
put("header_cut.tmt", zstd(raw(recs=[])[:40]))
put("preamble_cut.tmt", zstd(b"TMTRACE\0\1\0"))
put("header_dup_key.tmt", zstd(raw(hdr=b'{"kind":"accesses","kind":"samples"}')))
put("header_not_object.tmt", zstd(raw(hdr=b'[1,2,3]')))
put("header_bad_kind.tmt", zstd(with_hdr(kind="mystery")))
put("header_no_vcpus.tmt", zstd(with_hdr(vcpus=None)))
put("header_vcpus_huge.tmt", zstd(with_hdr(vcpus=1 << 20)))
put("header_page_size.tmt", zstd(with_hdr(page_size=5000)))
put("header_time_unit.tmt", zstd(with_hdr(time_unit="us")))
put("samples_no_period.tmt", zstd(with_hdr(kind="samples")))
put("record_bad_op.tmt", zstd(raw(recs=[rec(0, 0x1000), rec(5, 0x1000, op=3)])))
put("record_flags.tmt", zstd(raw(recs=[rec(0, 0x1000, flags=0x40)])))
put("record_time_back.tmt", zstd(raw(recs=[rec(200, 0x1000), rec(150, 0x2000)])))
put("partial_record.tmt", zstd(raw() + b"\0" * 10))
# a 32 MiB window declared (streamed input has no content size to bound it)
put("window_too_large.tmt", zstd(raw(), extra=["--long=25"]))
# record encoding v2
put("v2_block_empty.tmt", zstd(raw_v2(v2block(V2, nr=0))))
put("v2_block_cut.tmt", zstd(raw_v2(v2block(V2)[:60])))
put("v2_width.tmt", zstd(raw_v2(v2block(V2)[:4 + 2 * 10] + b"\x09" +
                                v2block(V2)[4 + 2 * 10 + 1:])))
put("v2_bad_op.tmt", zstd(raw_v2(v2block(V2[:4] + [[0, 3]]))))
put("v2_time_overflow.tmt", zstd(raw_v2(v2block(V2, bases=(2**64 - 50, 0, 0, 0, 0)))))
