"""State schemas: records of fields with small finite domains.

A model declares its state as :class:`Record` subclasses whose attributes are field
types (:class:`Bool`, :class:`Int`, :class:`UInt`, :class:`Enum`, :class:`Ref`),
nested records, or :class:`Array` of records.  Sizes and bounds may name a
configuration attribute (a string) or be a function of the configuration, so one
schema serves every configuration of a model.

:func:`layout` resolves a schema against a configuration into a flat list of fields,
each with a bit offset and width: the explorer stores a state as one packed integer.
An array declared ``symmetric=True`` is a scalarset: its records are interchangeable,
and :class:`Ref` fields pointing into it are permuted with it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .expr import BOOL, INT, SpecError

Bound = int | str | Callable[[Any], int]


def resolve_bound(b: Bound, cfg: Any, what: str) -> int:
    if isinstance(b, bool):
        raise SpecError(f"{what}: a bound must be an integer, not a boolean")
    if isinstance(b, int):
        return b
    if isinstance(b, str):
        if not hasattr(cfg, b):
            raise SpecError(f"{what}: the configuration has no parameter {b!r}")
        return int(getattr(cfg, b))
    return int(b(cfg))


class FieldType:
    """A field's domain.  Subclasses fix the sort and how values are shown."""

    sort = INT

    def __init__(self, lo: Bound, hi: Bound, default: Bound | None = None, wrap_bits: int = 0):
        self.lo, self.hi, self.default, self.wrap_bits = lo, hi, default, wrap_bits

    def resolve(self, cfg: Any, name: str) -> tuple[int, int, int]:
        lo = resolve_bound(self.lo, cfg, name)
        hi = resolve_bound(self.hi, cfg, name)
        if hi < lo:
            raise SpecError(f"field {name}: empty domain {lo}..{hi}")
        d = lo if self.default is None else resolve_bound(self.default, cfg, name)
        if not lo <= d <= hi:
            raise SpecError(f"field {name}: default {d} outside {lo}..{hi}")
        return lo, hi, d

    def show(self, v: int) -> Any:
        return v


class Bool(FieldType):
    sort = BOOL

    def __init__(self, default: bool = False):
        super().__init__(0, 1, int(default))

    def show(self, v: int) -> Any:
        return bool(v)


class Int(FieldType):
    """A bounded integer ``lo..hi``.  Assigning a value outside it is a model error."""


class UInt(FieldType):
    """An unsigned ``bits``-wide counter that wraps around, like the kernel's u32."""

    def __init__(self, bits: Bound, default: int = 0):
        self.bits = bits
        super().__init__(0, lambda c: (1 << resolve_bound(bits, c, "UInt")) - 1, default)

    def resolve(self, cfg: Any, name: str) -> tuple[int, int, int]:
        self.wrap_bits = resolve_bound(self.bits, cfg, name)
        return super().resolve(cfg, name)


class Enum(FieldType):
    """A field whose values are the members of an ``enum.IntEnum`` numbered 0..n-1."""

    def __init__(self, cls: type[enum.IntEnum], default: enum.IntEnum | None = None):
        vals = sorted(int(m) for m in cls)
        if vals != list(range(len(vals))):
            raise SpecError(f"enum {cls.__name__} must number its members 0..n-1")
        self.cls = cls
        super().__init__(0, len(vals) - 1, None if default is None else int(default))

    def show(self, v: int) -> Any:
        return self.cls(v).name


class Ref(FieldType):
    """An index into a record array (or -1, ``NONE``, when ``optional``).

    When the target array is symmetric, canonicalisation permutes Ref values with it.
    """

    NONE = -1

    def __init__(self, target: str, optional: bool = True):
        self.target = target
        self.optional = optional
        super().__init__(-1 if optional else 0, 0)

    def resolve(self, cfg: Any, name: str) -> tuple[int, int, int]:
        raise SpecError("Ref fields are resolved by layout()")  # pragma: no cover

    def show(self, v: int) -> Any:
        return None if v < 0 else v


class Record:
    """Base class of state records; attributes are field types, records or arrays."""

    _members: dict[str, Any] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        members: dict[str, Any] = {}
        for base in reversed(cls.__mro__[1:]):
            members.update(getattr(base, "_members", {}))
        for k, v in cls.__dict__.items():
            if isinstance(v, (FieldType, Array)) or (isinstance(v, type) and issubclass(v, Record)):
                members[k] = v
            elif v is None and k in members:  # a subclass removes a member
                del members[k]
        cls._members = members


@dataclass
class Array:
    """``size`` records of one type.  ``symmetric=True`` makes them a scalarset."""

    record: type[Record]
    size: Bound
    symmetric: bool = False


@dataclass
class Field:
    """One resolved, flat state field."""

    index: int
    name: str  # e.g. "pages[1].refcnt"
    ftype: FieldType
    lo: int
    hi: int
    default: int
    offset: int = 0
    width: int = 0
    wrap_bits: int = 0
    ref_target: str | None = None

    @property
    def sort(self) -> str:
        return self.ftype.sort

    def show(self, v: int) -> Any:
        return self.ftype.show(v)


@dataclass
class RecordShape:
    name: str
    members: dict[str, Any]  # name -> int (field index) | RecordShape | ArrayShape


@dataclass
class ArrayShape:
    name: str
    elements: list[RecordShape]
    symmetric: bool
    base: int = 0  # bit offset of element 0
    stride: int = 0  # bits per element
    field_indices: list[list[int]] = field(default_factory=list)


@dataclass
class Layout:
    fields: list[Field]
    root: RecordShape
    arrays: dict[str, ArrayShape]
    total_bits: int
    _domains: dict[int, tuple[int, int]] | None = field(default=None, repr=False, compare=False)

    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def domains(self) -> dict[int, tuple[int, int]]:
        """Field index -> its domain (lo, hi): the field intervals of the interval analysis."""
        if self._domains is None or len(self._domains) != len(self.fields):
            self._domains = {f.index: (f.lo, f.hi) for f in self.fields}
        return self._domains

    def pack(self, values: list[int]) -> int:
        s = 0
        for f, v in zip(self.fields, values):
            if not f.lo <= v <= f.hi:
                raise SpecError(f"value {v} outside the domain {f.lo}..{f.hi} of {f.name}")
            s |= (v - f.lo) << f.offset
        return s

    def unpack(self, s: int) -> list[int]:
        return [((s >> f.offset) & ((1 << f.width) - 1)) + f.lo for f in self.fields]

    def to_json(self, s: int) -> dict:
        """The state as nested JSON (records as objects, arrays as lists, enums by name)."""
        vals = self.unpack(s)

        def rec(shape: RecordShape) -> dict:
            out: dict[str, Any] = {}
            for k, m in shape.members.items():
                if isinstance(m, int):
                    out[k] = self.fields[m].show(vals[m])
                elif isinstance(m, RecordShape):
                    out[k] = rec(m)
                else:
                    out[k] = [rec(e) for e in m.elements]
            return out

        return rec(self.root)

    def from_json(self, obj: dict) -> int:
        """Inverse of :meth:`to_json`; raises SpecError naming the first bad field."""
        vals = [f.default for f in self.fields]

        def rec(shape: RecordShape, o: Any, path: str) -> None:
            if not isinstance(o, dict):
                raise SpecError(f"state field {path or 'state'}: expected an object")
            for k, m in shape.members.items():
                p = f"{path}.{k}" if path else k
                if k not in o:
                    raise SpecError(f"state field {p} is missing")
                if isinstance(m, int):
                    vals[m] = _parse_value(self.fields[m], o[k], p)
                elif isinstance(m, RecordShape):
                    rec(m, o[k], p)
                else:
                    if not isinstance(o[k], list) or len(o[k]) != len(m.elements):
                        raise SpecError(f"state field {p}: expected a list of {len(m.elements)}")
                    for i, (e, oe) in enumerate(zip(m.elements, o[k])):
                        rec(e, oe, f"{p}[{i}]")

        rec(self.root, obj, "")
        return self.pack(vals)


def _parse_value(f: Field, v: Any, path: str) -> int:
    t = f.ftype
    if isinstance(t, Enum):
        if not isinstance(v, str) or v not in t.cls.__members__:
            raise SpecError(f"state field {path}: {v!r} is not a member of {t.cls.__name__}")
        return int(t.cls[v])
    if isinstance(t, Ref) and v is None:
        return -1
    if isinstance(t, Bool):
        if not isinstance(v, bool):
            raise SpecError(f"state field {path}: expected true/false, got {v!r}")
        return int(v)
    if not isinstance(v, int) or isinstance(v, bool):
        raise SpecError(f"state field {path}: expected an integer, got {v!r}")
    return v


def layout(root: type[Record], cfg: Any) -> Layout:
    """Resolve a schema against a configuration: flat fields with bit offsets."""
    fields: list[Field] = []
    arrays: dict[str, ArrayShape] = {}
    pending_refs: list[Field] = []

    def add_field(name: str, ft: FieldType) -> int:
        if isinstance(ft, Ref):
            f = Field(len(fields), name, ft, -1 if ft.optional else 0, 0, -1 if ft.optional else 0,
                      ref_target=ft.target)
            pending_refs.append(f)
        else:
            lo, hi, d = ft.resolve(cfg, name)
            f = Field(len(fields), name, ft, lo, hi, d, wrap_bits=ft.wrap_bits)
        fields.append(f)
        return f.index

    def build(cls: type[Record], prefix: str) -> RecordShape:
        members: dict[str, Any] = {}
        for k, m in cls._members.items():
            name = f"{prefix}.{k}" if prefix else k
            if isinstance(m, FieldType):
                members[k] = add_field(name, m)
            elif isinstance(m, Array):
                n = resolve_bound(m.size, cfg, name)
                if n < 0:
                    raise SpecError(f"array {name}: negative size {n}")
                elems = [build(m.record, f"{name}[{i}]") for i in range(n)]
                shape = ArrayShape(name, elems, m.symmetric)
                if name in arrays:
                    raise SpecError(f"two arrays named {name}")
                arrays[name] = shape
                members[k] = shape
            else:
                members[k] = build(m, name)
        return RecordShape(prefix, members)

    root_shape = build(root, "")
    for f in pending_refs:
        if f.ref_target not in arrays:
            raise SpecError(f"field {f.name}: Ref to unknown array {f.ref_target!r}")
        f.hi = len(arrays[f.ref_target].elements) - 1
        if f.hi < f.lo:
            f.hi = f.lo
    # bit layout, in field order (array elements are contiguous, equal stride)
    off = 0
    for f in fields:
        f.offset = off
        f.width = max(1, (f.hi - f.lo).bit_length())
        off += f.width

    def leaf_indices(shape: RecordShape) -> list[int]:
        out: list[int] = []
        for m in shape.members.values():
            if isinstance(m, int):
                out.append(m)
            elif isinstance(m, RecordShape):
                out.extend(leaf_indices(m))
            else:
                for e in m.elements:
                    out.extend(leaf_indices(e))
        return out

    for a in arrays.values():
        a.field_indices = [leaf_indices(e) for e in a.elements]
        if a.elements and a.field_indices[0]:
            a.base = fields[a.field_indices[0][0]].offset
            last = fields[a.field_indices[0][-1]]
            a.stride = last.offset + last.width - a.base
    return Layout(fields, root_shape, arrays, off)
