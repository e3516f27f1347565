"""Regenerate tests/hostile/: small hostile model files and the table of errors they must raise.

Every file is written from raw pickle opcodes, hand-built zips and JSON (no torch), so each
byte is deliberate. Pickle payloads are live: loaded with the plain `pickle` module they would
create /tmp/wasm_torch_canary_<name> (tests/test_hostile.py checks this on fresh copies). Our
readers must refuse each file with an error whose message holds the expected substring.

    python tools/make_hostile.py            # rewrites tests/hostile/{*.pt,...,expected.json,README.md}

To extend the corpus, add a row to CASES: (file name, what it does, expected message substring,
builder). A builder takes the canary path and returns the file's bytes.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import zlib
from collections.abc import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "tests", "hostile")
CANARY_PREFIX = "/tmp/wasm_torch_canary_"


# -- pickle opcodes (protocol 2 unless said otherwise) ------------------------------------------

def glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def stack_glob(module: str, name: str) -> bytes:
    return string(module) + string(name) + b"\x93"  # STACK_GLOBAL (protocol 4)


def string(s: str) -> bytes:
    raw = s.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw  # BINUNICODE


def integer(i: int) -> bytes:
    if 0 <= i < 2**31:
        return b"J" + struct.pack("<i", i)  # BININT
    raw = i.to_bytes((i.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(raw)]) + raw  # LONG1


def tup(*items: bytes) -> bytes:
    return b"(" + b"".join(items) + b"t"


def lst(*items: bytes) -> bytes:
    return b"](" + b"".join(items) + b"e"


def call(fn: bytes, *args: bytes) -> bytes:
    return fn + tup(*args) + b"R"


def proto2(body: bytes) -> bytes:
    return b"\x80\x02" + body + b"."


def touch(canary: str) -> str:
    return f"touch {canary}"


def storage_pid(kind: str, key: str, numel: int, legacy: bool = False) -> bytes:
    fields = [string("storage"), glob("torch", kind), string(key), string("cpu"), integer(numel)]
    if legacy:
        fields.append(b"N")
    return tup(*fields) + b"Q"  # BINPERSID


def tensor(pid: bytes, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> bytes:
    return call(glob("torch._utils", "_rebuild_tensor_v2"), pid, integer(offset),
                tup(*map(integer, size)), tup(*map(integer, stride)), b"\x89",
                call(glob("collections", "OrderedDict")))


def state_dict(**tensors: bytes) -> bytes:
    items = b"".join(string(k) + v for k, v in tensors.items())
    return proto2(call(glob("collections", "OrderedDict")) + b"(" + items + b"u")


# -- containers ------------------------------------------------------------------------------------

def zip_file(root: str, members: list[tuple[str, bytes]], lie: dict[str, dict] | None = None) -> bytes:
    """A zip like PyTorchStreamWriter's. `lie` overrides a member's written fields:
    {"name": {"method": 8, "data": <deflate stream>, "usize": n, "csize": n, "crc": c}}."""
    lie = lie or {}
    out, central = bytearray(), bytearray()
    for name, data in members:
        full = f"{root}/{name}".encode()
        fake = lie.get(name, {})
        payload = fake.get("data", data)
        method = fake.get("method", 0)
        crc = fake.get("crc", zlib.crc32(data))
        usize = fake.get("usize", len(data))
        csize = fake.get("csize", len(payload))
        offset = len(out)
        fields = (20, 0, method, 0, 0, crc, csize, usize, len(full), 0)
        out += b"PK\x03\x04" + struct.pack("<5H3I2H", *fields) + full + payload
        central += (b"PK\x01\x02" + struct.pack("<6H3I5H2I", 20, *fields[:-1], 0, 0, 0, 0, 0, offset)
                    + full)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


def torch_save_zip(data_pkl: bytes, storages: dict[str, bytes] | None = None, root: str = "archive",
                   lie: dict[str, dict] | None = None) -> bytes:
    members = [("data.pkl", data_pkl), (".format_version", b"1"), (".storage_alignment", b"64"),
               ("byteorder", b"little")]
    members += [(f"data/{k}", v) for k, v in (storages or {}).items()]
    members.append(("version", b"3\n"))
    return zip_file(root, members, lie)


def torchscript_zip(data_pkl: bytes, constants_pkl: bytes = proto2(b")"), code: bytes = b"",
                    root: str = "model", lie: dict[str, dict] | None = None) -> bytes:
    members = [("data.pkl", data_pkl), ("code/__torch__.py", code), ("constants.pkl", constants_pkl),
               ("version", b"3\n"), ("byteorder", b"little")]
    return zip_file(root, members, lie)


def script_module() -> bytes:
    """data.pkl of an empty TorchScript module: a __torch__ stub built with NEWOBJ + BUILD."""
    return proto2(glob("__torch__", "M") + b")\x81}" + string("training") + b"\x88sb")


def legacy_stream(obj_pickle: bytes, keys: list[str] | None = None, storages: bytes = b"") -> bytes:
    magic = proto2(integer(0x1950A86A20F9469CFC6C))
    protocol = proto2(integer(1001))
    sys_info = proto2(b"}(" + string("protocol_version") + integer(1001) + string("little_endian")
                      + b"\x88" + b"u")
    key_list = proto2(lst(*map(string, keys or [])))
    return magic + protocol + sys_info + obj_pickle + key_list + storages


def safetensors(header: dict | bytes, body: bytes, declared: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if declared is None else declared) + raw + body


def zeros_deflate(total: int) -> bytes:
    """A raw deflate stream of `total` zero bytes, built in milliseconds: one fully flushed 1 MB
    block repeated (each block is independent after Z_FULL_FLUSH), then the final block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    return block * (total >> 20) + c.flush()


# -- payloads: each is a live exploit under plain pickle ------------------------------------------

def payload_os_system(canary: str) -> bytes:
    return proto2(call(glob("os", "system"), string(touch(canary))))


def payload_posix_system(canary: str) -> bytes:
    return proto2(call(glob("posix", "system"), string(touch(canary))))


def payload_builtins_eval(canary: str) -> bytes:
    code = f"__import__('os').system({touch(canary)!r})"
    return b"\x80\x04" + stack_glob("builtins", "eval") + tup(string(code)) + b"R."


def payload_builtin_getattr(canary: str) -> bytes:
    os_mod = call(glob("__builtin__", "__import__"), string("os"))
    system = call(glob("__builtin__", "getattr"), os_mod, string("system"))
    return proto2(system + tup(string(touch(canary))) + b"R")


def payload_inst_os_system(canary: str) -> bytes:
    # Protocol 0 INST opcode: "(S'cmd'\nios\nsystem\n" calls os.system('cmd').
    return b"(S'" + touch(canary).encode() + b"'\nios\nsystem\n."


def payload_subprocess_popen(canary: str) -> bytes:
    return proto2(call(glob("subprocess", "Popen"), lst(string("touch"), string(canary))))


def payload_subprocess_check_call(canary: str) -> bytes:
    return proto2(call(glob("subprocess", "check_call"), lst(string("touch"), string(canary))))


def payload_functools_partial(canary: str) -> bytes:
    bound = call(glob("functools", "partial"), glob("os", "system"), string(touch(canary)))
    return proto2(bound + b")R")


def payload_copyreg_reconstructor(canary: str) -> bytes:
    # _reconstructor(cls, base, state) runs base.__init__(obj, state): Popen(['touch', canary]).
    popen = glob("subprocess", "Popen")
    return proto2(call(glob("copyreg", "_reconstructor"), popen, popen,
                       lst(string("touch"), string(canary))))


def payload_rebuild_from_type_v2(canary: str) -> bytes:
    # torch._tensor._rebuild_from_type_v2(func, new_type, args, state) calls func(*args) first.
    return proto2(call(glob("torch._tensor", "_rebuild_from_type_v2"), glob("posix", "system"),
                       glob("__builtin__", "object"), tup(string(touch(canary))), b"N"))


def payload_numpy_runstring(canary: str) -> bytes:
    code = f"import os; os.system({touch(canary)!r})"
    return proto2(call(glob("numpy.testing._private.utils", "runstring"), string(code), b"}"))


def payload_torch_load(canary: str) -> bytes:
    return proto2(call(glob("torch", "load"), string(canary)))


def payload_builtins_exec(canary: str) -> bytes:
    return proto2(call(glob("builtins", "exec"), string(f"import os; os.system({touch(canary)!r})")))


# Payloads that plain pickle would run (test_hostile proves it on fresh canaries).
LIVE_PAYLOADS: dict[str, Callable[[str], bytes]] = {
    "os_system": payload_os_system, "posix_system": payload_posix_system,
    "builtins_eval": payload_builtins_eval, "builtin_getattr": payload_builtin_getattr,
    "inst_os_system": payload_inst_os_system, "subprocess_popen": payload_subprocess_popen,
    "subprocess_check_call": payload_subprocess_check_call,
    "functools_partial": payload_functools_partial,
    "copyreg_reconstructor": payload_copyreg_reconstructor, "builtins_exec": payload_builtins_exec,
}


def _in_torch_save(payload: Callable[[str], bytes]) -> Callable[[str], bytes]:
    return lambda canary: torch_save_zip(payload(canary))


# -- malformed, non-executing files ---------------------------------------------------------------

F32 = "FloatStorage"


def storage_numel_2pow31(_: str) -> bytes:
    pkl = state_dict(w=tensor(storage_pid(F32, "0", 2**31), 0, (2**31,), (1,)))
    return torch_save_zip(pkl, {"0": bytes(16)})


def storage_view_past_end(_: str) -> bytes:
    pkl = state_dict(w=tensor(storage_pid(F32, "0", 4), 0, (100,), (1,)))
    return torch_save_zip(pkl, {"0": bytes(16)})


def storage_negative_size(_: str) -> bytes:
    pkl = state_dict(w=tensor(storage_pid(F32, "0", 4), 0, (-4,), (1,)))
    return torch_save_zip(pkl, {"0": bytes(16)})


def storage_key_nondigit(_: str) -> bytes:
    pkl = state_dict(w=tensor(storage_pid(F32, "../../../etc/passwd", 4), 0, (4,), (1,)))
    return torch_save_zip(pkl, {"0": bytes(16)})


def storage_size_mismatch(_: str) -> bytes:
    pkl = state_dict(w=tensor(storage_pid(F32, "0", 10), 0, (10,), (1,)))
    return torch_save_zip(pkl, {"0": bytes(8)})


def storage_missing(_: str) -> bytes:
    pkl = state_dict(w=tensor(storage_pid(F32, "7", 4), 0, (4,), (1,)))
    return torch_save_zip(pkl, {"0": bytes(16)})


def persid_malformed(_: str) -> bytes:
    pkl = state_dict(w=tensor(tup(string("storage"), glob("torch", F32)) + b"Q", 0, (4,), (1,)))
    return torch_save_zip(pkl, {"0": bytes(16)})


def pickle_deep_nesting(_: str) -> bytes:
    # 10000 nested lists (] ] ... a a ...): far past recursion limits, 20 KB.
    return torch_save_zip(b"\x80\x02" + b"]" * 10_000 + b"a" * 9_999 + b".")


def pickle_deep_tuples(_: str) -> bytes:
    # () wrapped in 10000 one-tuples (TUPLE1): immutable, so it can only be freed level by level.
    return torch_save_zip(b"\x80\x02)" + b"\x85" * 10_000 + b".")


def pickle_cycle(_: str) -> bytes:
    # l = []; l.append(l)
    return torch_save_zip(proto2(b"]q\x00h\x00a"))


def pickle_truncated(_: str) -> bytes:
    return torch_save_zip(state_dict(w=tensor(storage_pid(F32, "0", 4), 0, (4,), (1,)))[:40],
                          {"0": bytes(16)})


def pickle_bytearray_huge(_: str) -> bytes:
    return torch_save_zip(proto2(call(glob("__builtin__", "bytearray"), integer(2**40))))


def pickle_codecs_rot13(_: str) -> bytes:
    return torch_save_zip(proto2(call(glob("_codecs", "encode"), string("abc"), string("rot13"))))


def legacy_numel_huge(_: str) -> bytes:
    obj = state_dict(w=tensor(storage_pid(F32, "1", 4, legacy=True), 0, (4,), (1,)))
    return legacy_stream(obj, ["1"], struct.pack("<q", 2**40) + bytes(16))


def legacy_truncated(_: str) -> bytes:
    obj = state_dict(w=tensor(storage_pid(F32, "1", 4, legacy=True), 0, (4,), (1,)))
    return legacy_stream(obj, ["1"], struct.pack("<q", 4) + bytes(10))


def zip_truncated(_: str) -> bytes:
    whole = torch_save_zip(state_dict(w=tensor(storage_pid(F32, "0", 4), 0, (4,), (1,))), {"0": bytes(16)})
    return whole[: len(whole) // 2]


def zip_member_past_end(_: str) -> bytes:
    pkl = state_dict(w=tensor(storage_pid(F32, "0", 4), 0, (4,), (1,)))
    return torch_save_zip(pkl, {"0": bytes(16)}, lie={"data/0": {"csize": 10**6}})


def zip_crc_mismatch(_: str) -> bytes:
    pkl = state_dict(w=tensor(storage_pid(F32, "0", 4), 0, (4,), (1,)))
    return torch_save_zip(pkl, {"0": bytes(16)}, lie={"data/0": {"crc": 12345}})


def zip_bomb_declared(_: str) -> bytes:
    stream = zeros_deflate(1 << 30)
    return torchscript_zip(script_module(), code=b"", lie={
        "code/__torch__.py": {"method": 8, "data": stream, "usize": 1 << 30, "crc": 0}})


def zip_bomb_lying(_: str) -> bytes:
    # Declares 100 bytes, inflates to 64 MB: the bounded inflate stops after 101.
    stream = zeros_deflate(64 << 20)
    return torchscript_zip(script_module(), code=b"", lie={
        "code/__torch__.py": {"method": 8, "data": stream, "usize": 100, "crc": 0}})


def tar_pre04(_: str) -> bytes:
    head = bytearray(512)
    head[:8] = b"sys_info"
    head[257:263] = b"ustar\x00"
    return bytes(head) + bytes(512)


def safetensors_header_too_long(_: str) -> bytes:
    header = {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    return safetensors(header, bytes(4), declared=10**6)


def safetensors_overlap(_: str) -> bytes:
    return safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12))


def safetensors_out_of_range(_: str) -> bytes:
    return safetensors({"a": {"dtype": "F32", "shape": [4], "data_offsets": [1 << 40, (1 << 40) + 16]}},
                       bytes(16))


def safetensors_bad_dtype(_: str) -> bytes:
    return safetensors({"a": {"dtype": "PYOBJ", "shape": [1], "data_offsets": [0, 4]}}, bytes(4))


def safetensors_size_mismatch(_: str) -> bytes:
    return safetensors({"a": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 8]}}, bytes(8))


def unknown_format(_: str) -> bytes:
    return b"\x7fELF" + bytes(60)


# (file, what it is, substring of the expected error, builder)

# -- graphs: TorchScript code and .pt2 programs are data, never run ------------------------------

def torchscript_code_import(canary: str) -> bytes:
    code = ("class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n"
            "  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n"
            f"    _0 = __import__(\"os\").system(\"touch {canary}\")\n    return x\n")
    return torchscript_zip(script_module(), code=code.encode())


SAMPLE_PT2 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "py", "wasm_torch", "samples",
                          "tiny_cnn.pt2")


def _edited_sample(edit: Callable[[str, bytes], bytes]) -> bytes:
    """The committed sample .pt2 with members rewritten by `edit(name, data)`."""
    import zipfile

    with zipfile.ZipFile(SAMPLE_PT2) as z:
        root = z.namelist()[0].split("/")[0]
        members = [(n.split("/", 1)[1], edit(n.split("/", 1)[1], z.read(n))) for n in z.namelist()]
    return zip_file(root, members)


def pt2_non_aten_target(_: str) -> bytes:
    def edit(name: str, data: bytes) -> bytes:
        return data.replace(b'"torch.ops.aten.conv2d.default"', b'"builtins.eval"', 1) \
            if name.startswith("models/") else data
    return _edited_sample(edit)


def pt2_weight_path_outside(_: str) -> bytes:
    def edit(name: str, data: bytes) -> bytes:
        return data.replace(b'"path_name": "weight_0"', b'"path_name": "../../../../etc/passwd"', 1) \
            if name.endswith("weights_config.json") else data
    return _edited_sample(edit)

CASES: list[tuple[str, str, str, Callable[[str], bytes]]] = [
    ("pickle_os_system.pt", "torch.save zip whose data.pkl calls os.system", "references os.system",
     _in_torch_save(payload_os_system)),
    ("pickle_posix_system.pt", "calls posix.system (what os.system pickles as on Linux)",
     "references posix.system", _in_torch_save(payload_posix_system)),
    ("pickle_builtins_eval.pt", "protocol 4 STACK_GLOBAL builtins.eval", "references builtins.eval",
     _in_torch_save(payload_builtins_eval)),
    ("pickle_builtins_exec.pt", "builtins.exec of an os.system call", "references builtins.exec",
     _in_torch_save(payload_builtins_exec)),
    ("pickle_builtin_getattr.pt", "__builtin__.getattr(__import__('os'), 'system')",
     "references __builtin__.getattr", _in_torch_save(payload_builtin_getattr)),
    ("pickle_inst_os_system.pt", "protocol 0 INST opcode reaching os.system", "references os.system",
     _in_torch_save(payload_inst_os_system)),
    ("pickle_subprocess_popen.pt", "subprocess.Popen(['touch', canary])", "references subprocess.Popen",
     _in_torch_save(payload_subprocess_popen)),
    ("pickle_subprocess_check_call.pt", "subprocess.check_call(['touch', canary])",
     "references subprocess.check_call", _in_torch_save(payload_subprocess_check_call)),
    ("pickle_functools_partial.pt", "functools.partial(os.system, cmd)()", "references functools.partial",
     _in_torch_save(payload_functools_partial)),
    ("pickle_copyreg_reconstructor.pt", "copyreg._reconstructor(Popen, Popen, argv)",
     "references copyreg._reconstructor", _in_torch_save(payload_copyreg_reconstructor)),
    ("pickle_rebuild_from_type_v2.pt", "torch._tensor._rebuild_from_type_v2(posix.system, ...)",
     "references torch._tensor._rebuild_from_type_v2", _in_torch_save(payload_rebuild_from_type_v2)),
    ("pickle_numpy_runstring.pt", "numpy.testing._private.utils.runstring (exec's a string)",
     "references numpy.testing._private.utils.runstring", _in_torch_save(payload_numpy_runstring)),
    ("pickle_torch_load.pt", "torch.load of another file", "references torch.load",
     _in_torch_save(payload_torch_load)),
    ("legacy_os_system.pt", "legacy (non-zip) torch.save stream whose object calls os.system",
     "references os.system", lambda c: legacy_stream(payload_os_system(c))),
    ("torchscript_constants_exec.pt", "TorchScript archive whose constants.pkl calls builtins.exec",
     "references builtins.exec", lambda c: torchscript_zip(script_module(), payload_builtins_exec(c))),
    ("pickle_bytearray_huge.pt", "__builtin__.bytearray(2**40): a 1 TB allocation",
     "calls bytearray with 1099511627776", pickle_bytearray_huge),
    ("pickle_codecs_rot13.pt", "_codecs.encode with an encoding other than latin1",
     "calls _codecs.encode with 'rot13'", pickle_codecs_rot13),
    ("pickle_deep_nesting.pt", "10000 nested lists", "nests deeper than", pickle_deep_nesting),
    ("pickle_deep_tuples.pt", "10000 nested one-tuples", "nests deeper than", pickle_deep_tuples),
    ("pickle_cycle.pt", "a list that contains itself", "contains a reference cycle", pickle_cycle),
    ("pickle_truncated.pt", "data.pkl cut short", "data.pkl is not a valid torch pickle", pickle_truncated),
    ("pickle_persid_malformed.pt", "persistent id with 2 fields", "is not a 5-tuple", persid_malformed),
    ("storage_numel_2pow31.pt", "storage claiming 2**31 float32 elements", "claims 2147483648 elements",
     storage_numel_2pow31),
    ("storage_view_past_end.pt", "100-element view of a 4-element storage", "reaches element 99",
     storage_view_past_end),
    ("storage_negative_size.pt", "tensor of size (-4,)", "negative size", storage_negative_size),
    ("storage_key_nondigit.pt", "storage key ../../../etc/passwd", "is not a decimal number",
     storage_key_nondigit),
    ("storage_size_mismatch.pt", "pickle claims 10 floats, data/0 holds 8 bytes", "holds 8 bytes",
     storage_size_mismatch),
    ("storage_missing.pt", "pickle names storage 7 that the zip lacks", "has no member archive/data/7",
     storage_missing),
    ("legacy_numel_huge.pt", "legacy storage record claiming 2**40 elements", "claims 1099511627776 elements",
     legacy_numel_huge),
    ("legacy_truncated.pt", "legacy storage record cut short", "file truncated", legacy_truncated),
    ("zip_truncated.pt", "torch.save zip cut in half", "no end-of-central-directory record", zip_truncated),
    ("zip_member_past_end.pt", "member sizes pointing past the end of the file",
     "lies past the end of the file", zip_member_past_end),
    ("zip_crc_mismatch.pt", "storage whose CRC-32 does not match", "fails its CRC-32 check",
     zip_crc_mismatch),
    ("zip_bomb_declared.pt", "TorchScript code member that inflates to 1 GB (declared)",
     "code/__torch__.py declares 1073741824 bytes", zip_bomb_declared),
    ("zip_bomb_lying.pt", "code member declaring 100 bytes that inflates to 64 MB",
     "code/__torch__.py inflates past its declared size", zip_bomb_lying),
    ("tar_pre04.pt", "pre-0.4 tar torch.save", "pre-0.4 torch.save format", tar_pre04),
    ("safetensors_header_too_long.safetensors", "header length 10**6 in a 73-byte file",
     "longer than the file", safetensors_header_too_long),
    ("safetensors_overlap.safetensors", "two tensors sharing bytes 4..8", "overlap", safetensors_overlap),
    ("safetensors_out_of_range.safetensors", "data_offsets at 2**40", "outside the data buffer",
     safetensors_out_of_range),
    ("safetensors_bad_dtype.safetensors", "dtype PYOBJ", "unknown dtype 'PYOBJ'", safetensors_bad_dtype),
    ("safetensors_size_mismatch.safetensors", "shape [1000] over 8 bytes", "spans 8 bytes",
     safetensors_size_mismatch),
    ("unknown_format.bin", "an ELF header", "unrecognized format", unknown_format),
    ("torchscript_code_import.pt", "TorchScript forward calling __import__('os').system", "__import__",
     torchscript_code_import),
    ("pt2_non_aten_target.pt2", ".pt2 node whose target is builtins.eval", "builtins.eval", pt2_non_aten_target),
    ("pt2_weight_path_outside.pt2", ".pt2 weight path_name ../../../../etc/passwd", "etc/passwd",
     pt2_weight_path_outside),
]


def canary_path(file: str) -> str:
    return CANARY_PREFIX + file.split(".", 1)[0]


def main(out: str = OUT) -> None:
    os.makedirs(out, exist_ok=True)
    expected = {}
    rows = ["| file | what it is | expected error contains |", "|---|---|---|"]
    for name, what, message, build in CASES:
        with open(os.path.join(out, name), "wb") as f:
            f.write(build(canary_path(name)))
        expected[name] = message
        rows.append(f"| `{name}` | {what} | `{message}` |")
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(README.format(table="\n".join(rows)))


README = """# Hostile model files

Written by `tools/make_hostile.py` (run it to regenerate; do not edit these files by hand).
Each file must be refused by the readers in `wasm_torch.formats` (and by the CLI, exit code 2)
with a `SecurityError` or `FormatError` whose message names the file and contains the text in
`expected.json` (machine-readable: `{{file: expected substring}}`). Pickle payloads are live
exploits: loaded with plain `pickle` they would create `/tmp/wasm_torch_canary_<file stem>`, so
tests also check that no canary appears.

To add a case: add a builder and a row to `CASES` in `tools/make_hostile.py`, rerun it.

{table}
"""

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else OUT)
