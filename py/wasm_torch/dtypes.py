"""dtype names, the three numberings torch writes (c10, export schema, safetensors), and type promotion.

dtypes are plain strings ("float32", "int64", ...) so the conversion path needs no numpy.
"""

from __future__ import annotations

# name -> (itemsize, struct/memoryview format or None when Python has none)
DTYPES: dict[str, tuple[int, str | None]] = {
    "bool": (1, "?"),
    "uint8": (1, "B"),
    "int8": (1, "b"),
    "int16": (2, "h"),
    "int32": (4, "i"),
    "int64": (8, "q"),
    "uint16": (2, "H"),
    "uint32": (4, "I"),
    "uint64": (8, "Q"),
    "float16": (2, "e"),
    "bfloat16": (2, None),
    "float32": (4, "f"),
    "float64": (8, "d"),
    "complex64": (8, None),
    "complex128": (16, None),
    "float8_e4m3fn": (1, None),
    "float8_e5m2": (1, None),
    "float8_e4m3fnuz": (1, None),
    "float8_e5m2fnuz": (1, None),
    "float8_e8m0fnu": (1, None),
}

# c10::ScalarType numbering, used by TorchScript code (dtype=6) and pickled dtype objects.
C10: dict[int, str] = {
    0: "uint8", 1: "int8", 2: "int16", 3: "int32", 4: "int64", 5: "float16", 6: "float32",
    7: "float64", 9: "complex64", 10: "complex128", 11: "bool", 15: "bfloat16",
    23: "float8_e5m2", 24: "float8_e4m3fn", 25: "float8_e5m2fnuz", 26: "float8_e4m3fnuz",
    27: "uint16", 28: "uint32", 29: "uint64", 44: "float8_e8m0fnu",
}
C10_CODE = {v: k for k, v in C10.items()}

# torch.export schema numbering (.pt2 JSON), NOT c10.
EXPORT: dict[int, str] = {
    1: "uint8", 2: "int8", 3: "int16", 4: "int32", 5: "int64", 6: "float16", 7: "float32",
    8: "float64", 10: "complex64", 11: "complex128", 12: "bool", 13: "bfloat16",
    28: "uint16", 29: "float8_e4m3fn", 30: "float8_e5m2", 31: "float8_e4m3fnuz",
    32: "float8_e5m2fnuz", 33: "float8_e8m0fnu", 34: "uint32", 35: "uint64",
}

SAFETENSORS: dict[str, str] = {
    "BOOL": "bool", "U8": "uint8", "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64",
    "U16": "uint16", "U32": "uint32", "U64": "uint64", "F16": "float16", "BF16": "bfloat16",
    "F32": "float32", "F64": "float64", "C64": "complex64", "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2",
}

# Pickled storage classes (torch.FloatStorage ...) -> dtype.
STORAGE_CLASSES: dict[str, str] = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
}

# torch.<attr> dtype objects as they appear in pickles and TorchScript code.
TORCH_ATTR: dict[str, str] = {
    **{name: name for name in DTYPES},
    "float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
    "short": "int16", "bool": "bool", "cfloat": "complex64", "cdouble": "complex128",
}


def itemsize(dtype: str) -> int:
    return DTYPES[dtype][0]


def is_float(dtype: str) -> bool:
    return dtype in ("float16", "bfloat16", "float32", "float64") or dtype.startswith("float8")


def is_complex(dtype: str) -> bool:
    return dtype.startswith("complex")


def is_int(dtype: str) -> bool:
    return dtype in ("uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64")


# Promotion lattice for the types models use; matches c10::promoteTypes.
_RANK = {"bool": 0, "uint8": 1, "int8": 1, "int16": 2, "int32": 3, "int64": 4,
         "float16": 5, "bfloat16": 5, "float32": 6, "float64": 7, "complex64": 8, "complex128": 9}


def promote(a: str, b: str) -> str:
    if a == b:
        return a
    if {a, b} == {"uint8", "int8"}:
        return "int16"
    if {a, b} == {"float16", "bfloat16"}:
        return "float32"
    if is_complex(a) or is_complex(b):
        other = b if is_complex(a) else a
        c = a if is_complex(a) else b
        return "complex128" if c == "complex128" or other == "float64" else "complex64"
    return a if _RANK[a] >= _RANK[b] else b


def _category(dtype: str) -> int:
    return 3 if is_complex(dtype) else 2 if is_float(dtype) else 1 if is_int(dtype) else 0


def scalar_dtype(value: object) -> str:
    """dtype torch gives a Python number taking part in an op (a "wrapped number")."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, complex):
        return "complex64"
    return "float32"


def result_type(*operands: object) -> str:
    """torch.result_type over tensors (objects with .dtype and .shape) and Python numbers.

    Dimensioned tensors outrank 0-d tensors, which outrank Python numbers, except that an
    operand of a higher category (bool < int < float < complex) lifts the result.
    """
    dim = zero = wrapped = None
    for op in operands:
        if op is None:
            continue
        if hasattr(op, "dtype"):
            d = op.dtype
            if len(op.shape):
                dim = d if dim is None else promote(dim, d)
            else:
                zero = d if zero is None else promote(zero, d)
        else:
            d = scalar_dtype(op)
            wrapped = d if wrapped is None else promote(wrapped, d)

    def combine(higher: str | None, lower: str | None) -> str | None:
        if higher is None:
            return lower
        if lower is None or _category(higher) >= _category(lower):
            return higher
        if is_complex(lower) and is_float(higher):
            return "complex128" if higher == "float64" else "complex64"
        if is_float(lower) or higher == "bool":
            return lower
        return higher

    out = combine(combine(dim, zero), wrapped)
    if out is None:
        raise ValueError("result_type needs at least one operand")
    return out
