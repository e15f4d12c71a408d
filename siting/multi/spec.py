"""Multi-service model specs (TOML), validated on load with every bad field named.

A spec states the planning question: facility types (who they serve, how far
people walk, land and cost), the years, budgets, counts per year, coverage
targets, equity floors and solver options. Errors name their path in the file:

>>> from siting.multi.spec import parse_spec
>>> parse_spec({"meta": {"name": "x", "years": [2026]},
...             "facility": {"kindergarten": {"group": "age_3_6", "radius_m": -300,
...                                           "footprint_m2": 1500, "build_cost": 1e7}}})
Traceback (most recent call last):
...
siting.errors.SpecError: <spec>: facility.kindergarten.radius_m: -300 must be > 0
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from siting.errors import SpecError
from siting.multi.spec_data import AREA_UNIT_SPELLINGS, AREA_UNITS, DataTable
from siting.multi.spec_tables import (
    TRAVEL_COLUMNS,
    Budget,
    Decay,
    Equity,
    Facility,
    Meta,
    NonNegative,
    Positive,
    Quota,
    Share,
    Solver,
    Target,
    Year,
    _fmt,
    _Strict,
    _suggest,
)
from siting.readers.names import layer_parts

__all__ = [
    "AREA_UNITS",
    "AREA_UNIT_SPELLINGS",
    "NO_DATA",
    "TRAVEL_COLUMNS",
    "Budget",
    "DataTable",
    "Decay",
    "Equity",
    "Facility",
    "Meta",
    "NonNegative",
    "Positive",
    "Quota",
    "Share",
    "Solver",
    "Spec",
    "Target",
    "Year",
    "load_spec",
    "parse_spec",
]

class Spec(_Strict):
    """A whole multi-service spec (see the module docstring).

    Parameters
    ----------
    meta : Meta
        The ``[meta]`` table.
    data : DataTable, optional
        Where the data are (default: the folder ``meta.instance``).
    facility : dict of str to Facility
        The facility types, by name.
    budget : Budget
        Spending limits.
    target : list of Target
        Plan targets.
    equity : list of Equity
        Floors per sub-district.
    solver : Solver
        The back end and its limits.

    Examples
    --------
    >>> spec = parse_spec({"meta": {"name": "demo", "years": [2026]},
    ...         "facility": {"school": {"group": "children", "radius_m": 500}}})
    >>> spec.facility["school"].radius_m, spec.solver.time_limit
    (500.0, 60.0)
    """

    meta: Meta
    #: Where the data are (else the folder ``meta.instance``; there is no default: data named
    #: nowhere are refused when they are loaded, unless an instance folder is given then).
    data: DataTable | None = None
    facility: dict[str, Facility] = Field(min_length=1)
    budget: Budget = Field(default_factory=Budget)
    target: list[Target] = Field(default_factory=list)
    equity: list[Equity] = Field(default_factory=list)
    solver: Solver = Field(default_factory=Solver)
    _file: str | None = PrivateAttr(default=None)

    @property
    def file(self) -> str | None:
        """The spec file it was read from (:func:`load_spec`); None for a spec built in code."""
        return self._file

    @model_validator(mode="after")
    def _cross_references(self) -> Spec:
        years = {str(y) for y in self.meta.years}
        for name, f in self.facility.items():
            for field in ("count", "min_count", "max_count"):
                for y in getattr(f, field):
                    if y not in years and y != "total":
                        raise ValueError(
                            f"facility.{name}.{field}: year {y} is not one of meta.years "
                            f"{self.meta.years} (or 'total')"
                        )
            for key in sorted(set(f.min_count) & set(f.max_count)):
                if f.min_count[key] > f.max_count[key]:
                    raise ValueError(
                        f"facility.{name}: min_count {f.min_count[key]} is above max_count "
                        f"{f.max_count[key]} for {key!r}"
                    )
            for key in sorted(set(f.count) & (set(f.min_count) | set(f.max_count))):
                raise ValueError(
                    f"facility.{name}: count and min_count/max_count both set for {key!r}: "
                    "keep one"
                )
        for y in self.budget.per_year:
            if y not in years:
                raise ValueError(f"budget.per_year: year {y} is not one of meta.years")
        for k, t in enumerate(self.target):
            for fname in [t.facility, *t.facilities]:
                if fname is not None and fname not in self.facility:
                    raise ValueError(
                        f"target[{k}]: unknown facility {fname!r}{_suggest(fname, self.facility)}"
                    )
            if t.year is not None and str(t.year) not in years:
                raise ValueError(f"target[{k}].year: {t.year} is not one of meta.years")
        for k, e in enumerate(self.equity):
            if e.facility not in self.facility:
                raise ValueError(
                    f"equity[{k}]: unknown facility {e.facility!r}"
                    f"{_suggest(e.facility, self.facility)}"
                )
            if e.year is not None and str(e.year) not in years:
                raise ValueError(f"equity[{k}].year: {e.year} is not one of meta.years "
                                 f"{self.meta.years}")
        return self

    def year_of(self, year: int | None) -> int:
        return self.meta.years[-1] if year is None else year

def _known_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _describe(err: dict[str, Any], data: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
    value = _lookup(data, err["loc"])
    kind = err["type"]
    ctx = err.get("ctx", {})
    if kind == "extra_forbidden":
        parent = _model_at(err["loc"][:-1])
        hint = _suggest(loc[-1], _known_keys(parent)) if parent else ""
        return f"{path}: unknown key{hint}"
    if kind == "missing":
        return f"{path}: missing (required)"
    shown = (
        repr(value)
        if isinstance(value, str)
        else str(value).lower()
        if isinstance(value, bool)
        else _fmt(value)
    )
    if kind == "greater_than":
        return f"{path}: {shown} must be > {_fmt(ctx.get('gt'))}"
    if kind == "greater_than_equal":
        return f"{path}: {shown} must be >= {_fmt(ctx.get('ge'))}"
    if kind == "less_than_equal":
        return f"{path}: {shown} must be <= {_fmt(ctx.get('le'))}"
    if kind == "less_than":
        return f"{path}: {shown} must be < {_fmt(ctx.get('lt'))}"
    if kind == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        return f"{path}: {msg}" if path else msg
    if kind == "literal_error":
        return f"{path}: {shown} must be one of {ctx.get('expected')}"
    return f"{path}: {shown} {err['msg'][0].lower()}{err['msg'][1:]}"



def _lookup(data: Any, loc: tuple[Any, ...]) -> Any:
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Spec
    i = 0
    while i < len(loc):
        part = loc[i]
        if part == "facility":
            model, i = Facility, i + 2
        elif part == "decay" and model is Facility:
            model, i = Decay, i + 1
        elif part in ("target", "equity"):
            model, i = (Target if part == "target" else Equity), i + 2
        elif part in ("meta", "budget", "solver", "data"):
            sections: dict[str, type[BaseModel]] = {
                "meta": Meta,
                "budget": Budget,
                "solver": Solver,
                "data": DataTable,
            }
            model = sections[part]
            i += 1
        else:
            return None
    return model


#: A spec that says nowhere where its data are (there is no default instance): the message of
#: :func:`siting.data.load_service_data`, which names the spec's file.
NO_DATA = (
    "[data] and meta.instance: both missing; say where the data are: a [data] table "
    '(blocks = "FILE[:LAYER]", parcels, existing, ...) or meta.instance = "FOLDER" '
    "(an instance folder)"
)


def parse_spec(data: dict[str, Any], source: str = "<spec>") -> Spec:
    """Validate a spec given as a dict (as read from TOML); raise :class:`SpecError`.

    Parameters
    ----------
    data : dict
        The spec's tables, as ``tomllib`` reads them.
    source : str, default "<spec>"
        Names the spec in messages.

    Returns
    -------
    Spec
        The validated spec.

    Raises
    ------
    siting.errors.SpecError
        An unknown key (with the nearest known one), a wrong type or an
        out-of-range value, naming the key's path.

    Examples
    --------
    >>> parse_spec({"meta": {"name": "demo", "years": [2026]},
    ...             "facility": {"school": {"group": "children", "radus_m": 500}}})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    siting.errors.SpecError: <spec>: facility.school.radus_m: unknown key (did you mean ...
    """
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # An unknown key first: a misspelt key also makes the real one "missing".
        first = min(errors, key=lambda e: e["type"] != "extra_forbidden")
        more = len(errors) - 1
        msg = _describe(dict(first), data)
        if more:
            msg += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise SpecError(msg, path=source) from None


def load_spec(path: str | Path) -> Spec:
    """Read and validate a TOML spec file.

    Paths in the spec (layers, travel tables, ``meta.instance``) are resolved
    against the spec's folder.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.toml`` file.

    Returns
    -------
    Spec
        The validated spec.

    Raises
    ------
    siting.errors.SpecError
        A file that is not TOML, or a spec :func:`parse_spec` refuses.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.toml"
    >>> _ = path.write_text('''
    ... [meta]
    ... name = "demo"
    ... years = [2026]
    ... [facility.school]
    ... group = "children"
    ... radius_m = 500
    ... ''')
    >>> load_spec(path).meta.name
    'demo'
    """
    from siting.errors import InputError
    from siting.textio import read_text

    p = Path(path)
    try:
        text = read_text(p)  # UTF-8, a byte order mark accepted
    except InputError as exc:
        raise SpecError(exc.reason, path=exc.path, row=exc.row, value=exc.value) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"not valid TOML: {exc}", path=p) from None
    spec = parse_spec(data, str(p))
    spec_dir = p.resolve().parent
    if spec.data is not None:
        if "instance" in data.get("meta", {}):
            raise SpecError(
                "meta.instance and [data] both say where the data are: keep one", path=p
            )
        for key in DataTable.LAYER_KEYS:
            value = getattr(spec.data, key)
            if value is not None:
                setattr(spec.data, key, _resolve_layer(value, spec_dir))
    for facility in spec.facility.values():
        if facility.travel_table is not None:  # a file, not FILE:LAYER
            facility.travel_table = str(_resolve_file(facility.travel_table, spec_dir))
    if spec.meta.instance is not None:
        spec.meta.instance = str(_resolve_instance(spec.meta.instance, spec_dir))
    spec._file = str(p)
    return spec


def _resolve_layer(value: str, spec_dir: Path) -> str:
    """``FILE[:LAYER]`` with FILE made absolute against the spec's folder."""
    file, layer = layer_parts(value)
    sep, layer = (":", layer) if layer is not None else ("", "")
    path = Path(file)
    if not path.is_absolute():
        try:
            path = (spec_dir / path).resolve()
        except (OSError, RuntimeError):  # a name too long, a symlink loop
            path = spec_dir / path
    return f"{path}{sep}{layer}"


def _resolve_file(value: str, spec_dir: Path) -> Path:
    """A file path made absolute against the spec's folder."""
    path = Path(value)
    if path.is_absolute():
        return path
    try:
        return (spec_dir / path).resolve()
    except (OSError, RuntimeError):
        return spec_dir / path


def _resolve_instance(name: str, spec_dir: Path) -> Path:
    cand = Path(name)
    if cand.is_absolute():
        return cand
    for base in (spec_dir, spec_dir.parent, Path.cwd()):
        if (base / cand).exists():
            return (base / cand).resolve()
    return (spec_dir.parent / cand).resolve()
