"""Models: a state schema, an initial state, actions and named properties.

A model is a class::

    class Increment(Model):
        name = "increment"
        State = IncState                     # a Record subclass
        configs = {"default": {"threads": 2}}

        def init(self, s): ...               # assignments; other fields take defaults

        @action(t="threads", who="t")
        def read(self, s, t): ...            # require(...) guards and assignments

        @always
        def no_lost_update(self, s): ...     # a predicate over the state view

A design variant subclasses the model it changes and overrides actions by name
(``name = None`` in a subclass removes an inherited action or property).
:func:`build` resolves a model against one configuration into a :class:`System`,
the single object every engine reads.
"""

from __future__ import annotations

import enum
import hashlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .expr import BOOL, Expr, SpecError, const, digest, render
from .schema import Layout, Record, layout
from .tracer import Traced, check_reads, evaluate_view, trace, trace_transition

ALWAYS, SOMETIMES, TRANSITION, LEADS_TO = "always", "sometimes", "transition", "leads_to"
PROPERTY_KINDS = (ALWAYS, SOMETIMES, TRANSITION, LEADS_TO)


class Config:
    """A named, immutable set of configuration parameters (attribute access)."""

    def __init__(self, name: str, **params: Any):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "params", dict(params))

    def __getattr__(self, k: str) -> Any:
        try:
            return self.params[k]
        except KeyError:
            raise AttributeError(k) from None

    def __setattr__(self, k: str, v: Any) -> None:
        raise AttributeError("a Config is immutable")

    def __repr__(self) -> str:
        ps = ", ".join(f"{k}={v!r}" for k, v in sorted(self.params.items()))
        return f"{self.name}({ps})"

    def to_json(self) -> dict:
        return {"name": self.name, "params": dict(sorted(self.params.items()))}


@dataclass
class ActionDef:
    fn: Callable
    params: dict[str, Any]
    who: str | None

    @property
    def name(self) -> str:
        return self.fn.__name__

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return self if obj is None else self.fn.__get__(obj)


@dataclass
class PropertyDef:
    fn: Callable
    kind: str
    lemma: bool = False
    applies: Callable[[Any], bool] | None = None  # configurations it is checked in
    fairness: str | None = None  # leads_to only: one of FAIRNESS

    @property
    def name(self) -> str:
        return self.fn.__name__

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return self if obj is None else self.fn.__get__(obj)


def action(_fn: Callable | None = None, *, who: str | None = None, **params: Any) -> Any:
    """Declare an action; keyword arguments give each parameter's domain.

    A domain is an array name (its indices), a configuration parameter name (range of
    it), ``bool``, an IntEnum class, an iterable, or a function of the configuration.
    ``who`` names the context that runs it: a parameter (shown as ``array[i]``) or a
    fixed label.
    """

    def deco(fn: Callable) -> ActionDef:
        sig = list(inspect.signature(fn).parameters)[2:]
        missing = [p for p in sig if p not in params]
        extra = [p for p in params if p not in sig]
        if missing or extra:
            raise SpecError(
                f"action {fn.__name__}: parameters {sig} but domains given for {list(params)}")
        return ActionDef(fn, params, who)

    return deco(_fn) if _fn is not None else deco


FAIRNESS = (None, "who", "action", "strong who", "strong action")


def _prop(kind: str) -> Callable[..., Any]:
    def decorator(_fn: Callable | None = None, *, applies: Callable[[Any], bool] | None = None,
                  fairness: str | None = None) -> Any:
        if fairness not in FAIRNESS:
            raise SpecError(f"fairness must be one of {FAIRNESS}, not {fairness!r}")
        if fairness is not None and kind != LEADS_TO:
            raise SpecError("fairness only applies to @leads_to properties")

        def deco(fn: Callable) -> PropertyDef:
            return PropertyDef(fn, kind, applies=applies, fairness=fairness)

        return deco(_fn) if _fn is not None else deco

    return decorator


# Each decorator is used bare (@always) or with options:
#   applies=lambda cfg: ...  the configurations the property is checked in (others skip it:
#                            a witness of a mechanism a configuration turns off is not vacuous)
#   fairness="who"|"action"  (leads_to) weak fairness per context or per action; "strong who"
#                            or "strong action": strong fairness (a queued spinlock's waiter)
always = _prop(ALWAYS)
always.__doc__ = "An invariant: the predicate holds in every reachable state."
sometimes = _prop(SOMETIMES)
sometimes.__doc__ = "A witness: some reachable state satisfies it (else the model is vacuous)."
transition = _prop(TRANSITION)
transition.__doc__ = "A two-state predicate ``(before, after)`` that holds on every transition."
leads_to = _prop(LEADS_TO)
leads_to.__doc__ = "Progress: returns ``(p, q)``; from every p-state every path reaches q."


def lemma(fn: Callable) -> PropertyDef:
    """A strengthening invariant: an ``@always`` property that exists to help proofs.

    Every engine checks it like any invariant; the Z3 k-induction engine also assumes it
    (once proved) when proving the others.
    """
    return PropertyDef(fn, ALWAYS, lemma=True)


class Model:
    """Base class of models.  Subclasses set ``name``, ``State``, ``configs``."""

    name: ClassVar[str] = ""
    State: ClassVar[type[Record]]
    #: named configurations: name -> parameters
    configs: ClassVar[dict[str, dict[str, Any]]] = {"default": {}}
    #: the configurations `ppcheck check` runs by default
    default_configs: ClassVar[tuple[str, ...]] = ("default",)
    #: part of the main job (`ppcheck check` with no model named)
    default: ClassVar[bool] = False
    #: out of scope by design, per configuration name ("*": every configuration): an action
    #: that never fires there, or a witness (``@sometimes``) never reached there, each with the
    #: reason.  ``ppcheck check`` fails on an action that fires in none of the default
    #: configurations, and on a vacuous witness, unless declared here; and on a declaration
    #: that a run contradicts (the action fires, the witness is reached).  A subclass inherits
    #: its parents' declarations for the configurations it inherits unchanged (same name and
    #: parameters), adds its own, and removes an inherited one with ``None`` (see
    #: :meth:`declared_out_of_scope`)
    out_of_scope: ClassVar[dict[str, dict[str, str | None]]] = {}
    # -- optional hooks the engines read (each documented in docs/spec-language.md) ------------
    #: ``observables(self, s) -> {name: value}``: what ``ppcheck diff`` compares (default: every
    #: field)
    observables: ClassVar[Callable[[Any, Any], dict[str, Any]] | None] = None
    #: ``ratios(self, s) -> {name: [(numerator, denominator), ...]}``: what checks/quantity.py
    #: maximises over the reachable states
    ratios: ClassVar[Callable[[Any, Any], dict[str, list[tuple[Any, Any]]]] | None] = None
    #: action of this model -> the base model's action it renames (``ppcheck diff`` coverage)
    renames: ClassVar[dict[str, str]] = {}
    #: the configurations the manifest records (None: ``default_configs``)
    manifest_configs: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, cfg: Config):
        self.cfg = cfg

    def init(self, s: Any) -> None:
        """Assign the initial state (fields left alone take their defaults)."""

    @classmethod
    def action_defs(cls) -> list[ActionDef]:
        return [v for v in _members(cls).values() if isinstance(v, ActionDef)]

    @classmethod
    def property_defs(cls) -> list[PropertyDef]:
        return [v for v in _members(cls).values() if isinstance(v, PropertyDef)]

    @classmethod
    def declared_out_of_scope(cls, config: str) -> dict[str, str]:
        """Name -> reason of what is out of scope in ``config``, over the class hierarchy.

        Each class's own ``out_of_scope`` ("*" entries, then the configuration's) applies to
        the configurations of that class; a subclass inherits them for each configuration it
        inherits unchanged (same name, same parameters: a redefined configuration is its own,
        the parent's reasons were checked against other parameters), and its own entries add
        to them or, with ``None``, remove one.  A declaration of an action or witness the
        subclass removed goes with it."""
        return _resolve_out_of_scope(cls).get(config, {})

    @classmethod
    def check_out_of_scope(cls) -> None:
        """Every declaration, at every level of the class hierarchy, names a configuration of
        its class, an action or witness, and a reason; a removal (``None``) removes an
        inherited declaration."""
        _resolve_out_of_scope(cls)

    @classmethod
    def config(cls, name: str, **overrides: Any) -> Config:
        if name not in cls.configs:
            raise SpecError(
                f"model {cls.name} has no configuration {name!r} (it has: {', '.join(cls.configs)})")
        params = dict(cls.configs[name])
        for k, v in overrides.items():
            if k not in params:
                raise SpecError(f"configuration {name} of {cls.name} has no parameter {k!r}")
            params[k] = v
        return Config(name, **params)


def _declarable(cls: type[Model]) -> set[str]:
    """The names ``out_of_scope`` may declare in ``cls``: its actions and witnesses."""
    return {d.name for d in cls.action_defs()} | {
        p.name for p in cls.property_defs() if p.kind == SOMETIMES}


def _resolve_out_of_scope(cls: type[Model]) -> dict[str, dict[str, str]]:
    """Configuration -> name -> reason for ``cls`` (see :meth:`Model.declared_out_of_scope`);
    a :class:`SpecError` for a bad declaration at any level."""
    mine = _declarable(cls)
    out: dict[str, dict[str, str]] = {c: {} for c in cls.configs}
    declared: dict[str, set[str]] = {}  # config name ("*") -> names declared by the levels so far
    for base in reversed(cls.__mro__):
        own = base.__dict__.get("out_of_scope")
        if not (isinstance(base, type) and issubclass(base, Model)) or base is Model or own is None:
            continue
        names = mine if base is cls else _declarable(base)
        inherits = [c for c in cls.configs
                    if c in base.configs and base.configs[c] == cls.configs[c]]
        for key, decl in own.items():
            if key != "*" and key not in base.configs:
                raise SpecError(f"model {cls.name}: out_of_scope names no configuration {key!r}")
            for name, why in decl.items():
                where = f"model {cls.name}: out_of_scope[{key!r}]"
                if name not in names:
                    raise SpecError(f"{where} names {name!r}, neither an action nor a witness")
                if why is None:
                    before = set().union(*declared.values()) if key == "*" else (
                        declared.get(key, set()) | declared.get("*", set()))
                    if name not in before:
                        raise SpecError(f"{where}[{name!r}] = None removes nothing: no inherited "
                                        "declaration names it")
                elif not isinstance(why, str) or not why.strip():
                    raise SpecError(f"{where}[{name!r}] gives no reason")
        for c in inherits:
            for key in ("*", c):
                for name, why in own.get(key, {}).items():
                    if why is None:
                        out[c].pop(name, None)
                    else:
                        out[c][name] = why
        for key, decl in own.items():
            declared.setdefault(key, set()).update(n for n, why in decl.items() if why is not None)
    return {c: {n: why for n, why in d.items() if n in mine} for c, d in out.items()}


def _members(cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        for k, v in base.__dict__.items():
            if isinstance(v, (ActionDef, PropertyDef)):
                out[k] = v
            elif v is None and k in out:
                del out[k]
            elif v is None and base is not Model and not any(k in b.__dict__ for b in base.__mro__[1:]):
                raise SpecError(f"{base.__name__}.{k} = None removes nothing: no inherited action, "
                                f"property or attribute is named {k!r}")
            elif k in out:
                raise SpecError(
                    f"{cls.__name__}.{k} overrides an action or property without @action/@always/...")
    return out


@dataclass
class Binding:
    """One action with concrete arguments: the unit every engine steps by."""

    id: int
    action: str
    args: dict[str, Any]
    who: str
    ir: Traced

    def label(self) -> str:
        a = ", ".join(f"{k}={_show_arg(v)}" for k, v in self.args.items())
        return f"{self.action}({a})"


def _show_arg(v: Any) -> Any:
    if isinstance(v, enum.Enum):
        return v.name
    return v


@dataclass
class Property:
    name: str
    kind: str
    doc: str
    expr: Expr | None = None  # always/sometimes: predicate; transition: two-state predicate
    pre: Expr | None = None  # leads_to: p
    post: Expr | None = None  # leads_to: q
    lemma: bool = False  # an always property declared with @lemma
    fairness: str | None = None  # leads_to: None (none assumed), "who" or "action" (weak)


@dataclass
class System:
    """A model resolved against one configuration: what every engine consumes."""

    model: type[Model]
    config: Config
    layout: Layout
    init_states: list[int]
    bindings: list[Binding]
    properties: list[Property]
    fingerprint: str = ""
    symmetric_arrays: list[str] = field(default_factory=list)
    #: actions every binding of which has a constant-false guard here (they can never fire)
    dropped: list[str] = field(default_factory=list)

    def trace_hook(self, hook: str) -> dict[str, Any] | None:
        """A dict-valued model hook (``observables``, ``ratios``) traced on the symbolic state:
        name -> what it returned (expressions), or None when the model does not define it."""
        if getattr(self.model, hook) is None:
            return None
        inst = self.model(self.config)
        got: dict[str, Any] = {}

        def grab(s: Any) -> Any:
            got.update(getattr(inst, hook)(s))
            check_reads(list(got.values()))
            return True

        evaluate_view(self.layout, grab, {})
        return got

    @property
    def out_of_scope(self) -> dict[str, str]:
        """What the model declares out of scope in this configuration (name -> reason)."""
        return self.model.declared_out_of_scope(self.config.name)

    @property
    def name(self) -> str:
        return self.model.name

    def property(self, name: str) -> Property:
        for p in self.properties:
            if p.name == name:
                return p
        raise SpecError(f"model {self.name} has no property {name!r}")

    def binding_by_label(self, action: str, args: dict[str, Any]) -> Binding:
        for b in self.bindings:
            if b.action == action and {k: _show_arg(v) for k, v in b.args.items()} == args:
                return b
        raise SpecError(f"model {self.name} has no action {action}({args})")


def _domain(spec: Any, name: str, cfg: Config, lay: Layout) -> list[Any]:
    if spec is bool:
        return [False, True]
    if isinstance(spec, type) and issubclass(spec, enum.IntEnum):
        return list(spec)
    if isinstance(spec, str):
        if spec in lay.arrays:
            return list(range(len(lay.arrays[spec].elements)))
        if spec in cfg.params:
            return list(range(int(cfg.params[spec])))
        raise SpecError(f"parameter {name}: {spec!r} is neither an array nor a configuration parameter")
    if callable(spec):
        return list(spec(cfg))
    return list(spec)


def binding_args(defn: ActionDef, cfg: Config, lay: Layout) -> list[dict[str, Any]]:
    """Every combination of an action's parameter values in a configuration."""
    combos: list[dict[str, Any]] = [{}]
    for p, spec in defn.params.items():
        dom = _domain(spec, f"{defn.name}.{p}", cfg, lay)
        combos = [dict(c, **{p: v}) for c in combos for v in dom]
    return combos


def who_label(defn: ActionDef, args: dict[str, Any]) -> str:
    """The context label of a binding of ``defn`` (``ctxs[0]``, ``t=1`` or a fixed label)."""
    if defn.who is None:
        return ""
    if defn.who in args:
        spec = defn.params[defn.who]
        v = args[defn.who]
        return f"{spec}[{v}]" if isinstance(spec, str) else f"{defn.who}={_show_arg(v)}"
    return defn.who


def build(model: type[Model], cfg: Config | str = "default") -> System:
    """Resolve ``model`` against a configuration and trace every action and property."""
    if isinstance(cfg, str):
        cfg = model.config(cfg)
    model.check_out_of_scope()
    inst = model(cfg)
    try:
        lay = layout(model.State, cfg)
    except SpecError as e:
        raise SpecError(f"model {model.name}, configuration {cfg!r}: {e}") from None
    # initial state: trace init() from the defaults; every update must be constant
    defaults = [const(bool(f.default)) if f.sort == BOOL else const(f.default) for f in lay.fields]
    try:
        t = trace(lay, lambda s: inst.init(s), {}, pre=defaults)
    except SpecError as e:
        raise SpecError(f"init(): {e}") from None
    if not (t.guard.op == "const" and t.guard.value) or t.assertions:
        raise SpecError("init() may not call require() or assert_(): it assigns the initial state")
    vals = [f.default for f in lay.fields]
    for i, e in t.updates.items():
        if e.op != "const":
            raise SpecError(f"init() assigns {lay.fields[i].name} a non-constant value")
        vals[i] = e.value
    init_states = [lay.pack(vals)]

    bindings: list[Binding] = []
    dropped: list[str] = []
    for d in model.action_defs():
        before = len(bindings)
        method = d.fn.__get__(inst)
        for args in binding_args(d, cfg, lay):
            try:
                ir = trace(lay, method, args)
            except SpecError as e:
                a = ", ".join(f"{k}={_show_arg(v)}" for k, v in args.items())
                raise SpecError(f"action {d.name}({a}): {e}") from None
            if ir.guard.op == "const" and not ir.guard.value:
                continue  # statically disabled binding
            bindings.append(Binding(len(bindings), d.name, args, who_label(d, args), ir))
        if len(bindings) == before:
            dropped.append(d.name)

    props: list[Property] = []
    for pd in model.property_defs():
        if pd.applies is not None and not pd.applies(cfg):
            continue
        try:
            props.append(_trace_property(pd, inst, lay))
        except SpecError as e:
            raise SpecError(f"property {pd.name}: {e}") from None

    system = System(model, cfg, lay, init_states, bindings, props,
                    symmetric_arrays=[n for n, a in lay.arrays.items() if a.symmetric], dropped=dropped)
    system.fingerprint = fingerprint(system)
    return system


def _trace_property(pd: PropertyDef, inst: Model, lay: Layout) -> Property:
    fn = pd.fn.__get__(inst)
    doc = inspect.getdoc(pd.fn) or ""
    if pd.kind in (ALWAYS, SOMETIMES):
        e = evaluate_view(lay, fn, {})
        if e.sort != BOOL:
            raise SpecError("not a boolean predicate")
        return Property(pd.name, pd.kind, doc, expr=e, lemma=pd.lemma)
    if pd.kind == TRANSITION:
        return Property(pd.name, pd.kind, doc, expr=trace_transition(lay, fn))
    pair: list[Expr] = []

    def grab(s: Any) -> Any:
        p, q = fn(s)
        check_reads([p, q])
        pair.append(evaluate_view(lay, lambda _s: p, {}))
        pair.append(evaluate_view(lay, lambda _s: q, {}))
        return True

    evaluate_view(lay, grab, {})
    return Property(pd.name, pd.kind, doc, pre=pair[0], post=pair[1], fairness=pd.fairness)


def fingerprint(system: System) -> str:
    """A hash of the traced IR and of what a run reports from the build: any change to the
    schema, actions, properties, the actions dropped here or the out-of-scope declarations
    changes it."""
    h = hashlib.sha256()
    memo: dict[int, str] = {}

    def eh(e: Expr) -> str:
        return digest(e, memo)

    for f in system.layout.fields:
        h.update(f"{f.name}:{f.lo}:{f.hi}:{f.wrap_bits}:{f.sort};".encode())
    h.update(repr(system.init_states).encode())
    for b in system.bindings:
        h.update(f"{b.label()}:{eh(b.ir.guard)}".encode())
        for i in sorted(b.ir.updates):
            h.update(f"{i}={eh(b.ir.updates[i])}".encode())
        for c, m in b.ir.assertions:
            h.update(f"assert {m}:{eh(c)}".encode())
    for p in system.properties:
        for e in (p.expr, p.pre, p.post):
            h.update(f"{p.name}:{p.kind}:{eh(e) if e is not None else '-'}".encode())
        if p.fairness:
            h.update(f"fair:{p.fairness}".encode())
    # what a run reports beyond the graph: actions dropped here (never_fired) and declarations
    for name in system.dropped:
        h.update(f"dropped:{name};".encode())
    for name, reason in sorted(system.out_of_scope.items()):
        h.update(f"out_of_scope:{name}:{reason};".encode())
    return h.hexdigest()[:16]


def describe(system: System, e: Expr) -> str:
    """Render an expression with the system's field names."""
    return render(e, system.layout.names())
