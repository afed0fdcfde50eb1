"""The spec language: state schemas, traced actions, named properties.

Everything a model author needs is importable from here.
"""

from .expr import (
    Expr,
    SpecError,
    all_,
    any_,
    count,
    implies,
    ite,
    max_,
    min_,
    not_,
    serial_distance,
    sum_,
)
from .model import (
    Config,
    Model,
    System,
    action,
    always,
    build,
    leads_to,
    lemma,
    sometimes,
    transition,
)
from .schema import Array, Bool, Enum, Int, Record, Ref, UInt
from .tracer import assert_, require, when

__all__ = [
    "Array", "Bool", "Config", "Enum", "Expr", "Int", "Model", "Record", "Ref", "SpecError",
    "System", "UInt", "action", "all_", "always", "any_", "assert_", "build", "count",
    "implies", "ite", "leads_to", "lemma", "max_", "min_", "not_", "require", "serial_distance",
    "sometimes", "sum_", "transition", "when",
]
