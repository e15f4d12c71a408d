"""Plain option values are converted without building a validator for each option.

typer converts every option's value through a pydantic validator it builds the
first time the option is read, given or not: about forty for ``siting solve``,
a few milliseconds each on every command. For the plain kinds of this command
line (text, a path, one of a set of choices, a flag left out) :class:`PlainCoercionCommand`
calls the same typer functions those validators call, directly; any other
kind, and any value they refuse, goes through typer's own validator, so every
value and every error message is typer's. With a typer that converts values
otherwise, the command is typer's unchanged.

>>> import typer
>>> from typer.testing import CliRunner
>>> demo = typer.Typer()
>>> @demo.command(cls=PlainCoercionCommand)
... def greet(name: str, times: int = 1) -> None:
...     typer.echo(" ".join([f"hello {name}"] * times))
>>> CliRunner().invoke(demo, ["ada", "--times", "2"]).output
'hello ada hello ada\\n'
>>> CliRunner().invoke(demo, ["ada", "--times", "x"]).exit_code  # a number: typer's validator
2
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from typer.core import TyperCommand, TyperGroup

try:  # typer's runtime conversion (typer with pydantic validators)
    from typer._click import Context
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_choice, coerce_cli_path
    from typer.core import _TyperParameter
except ImportError:  # pragma: no cover - another typer: its own conversion, unchanged
    _TyperParameter = None  # type: ignore[assignment,misc]

__all__ = ["PlainCoercionCommand", "PlainCoercionGroup", "install_plain", "plain_kind"]


def plain_kind(param: Any) -> str | None:
    """``"text"``, ``"path"``, ``"choice"`` or ``"flag"``: a one-valued option this module
    converts; None: typer's validator converts it. (typer converts no flag left out or given
    as true/false; any other value of a flag goes to its validator.)"""
    descriptor = getattr(param, "type_descriptor", None)
    if (_TyperParameter is None or not isinstance(param, _TyperParameter)
            or descriptor is None or param.multiple or param.nargs != 1
            or descriptor.file_annotation is not None):
        return None
    info, annotation = descriptor.parameter_info, descriptor.annotation
    if info.parser is not None:
        return None
    if annotation is str:
        return "text"
    if annotation is bool:  # typer skips a true/false value; None needs no conversion either
        return "flag"
    if annotation is Path and info.path_type in (None, Path):
        return "path"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "choice"
    return None


if _TyperParameter is not None:

    @dataclass(frozen=True)
    class _PlainParam(RuntimeParam):
        """Converts a text value as typer's validator of its kind does, else defers to it."""

        kind: str

        def _coerce_value(self, value: Any, param: Any, ctx: Context) -> Any:
            try:
                return self._plain(value, param, ctx)
            except Exception:  # typer's validator says why, in its words
                return build_runtime_param(param.type_descriptor)._coerce_value(
                    value, param=param, ctx=ctx)

        def _plain(self, value: Any, param: Any, ctx: Context) -> Any:
            if self.kind == "choice":  # a member given as the default, or its text
                return coerce_cli_choice(value, choices=list(self.annotation),
                                         case_sensitive=self.parameter_info.case_sensitive,
                                         ctx=ctx)
            if self.kind == "text" and type(value) is str:
                return value
            if self.kind == "path" and isinstance(value, str | Path):
                # pydantic's Path of a text is Path(text); then typer's own checks
                path = value if isinstance(value, Path) else Path(value)
                return coerce_cli_path(path, self.parameter_info, path_type=Path, param=param,
                                       ctx=ctx)
            raise TypeError(value)  # not plain: typer's validator converts it


def install_plain(params: list[Any]) -> None:
    """Give each plain option (:func:`plain_kind`) not yet converted its direct conversion."""
    if _TyperParameter is None:
        return
    for param in params:
        kind = plain_kind(param)
        if kind is not None and getattr(param, "_runtime_param", False) is None:
            descriptor = param.type_descriptor
            try:
                plain = _PlainParam(parameter_info=descriptor.parameter_info,
                                    annotation=descriptor.annotation, kind=kind)
            except TypeError:  # a typer whose conversion takes other fields: typer's own
                return
            param._runtime_param = plain


class PlainCoercionCommand(TyperCommand):
    """A typer command whose plain options (:func:`plain_kind`) skip the validator build."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        install_plain(self.get_params(ctx))  # --help included
        return super().parse_args(ctx, args)


class PlainCoercionGroup(TyperGroup):
    """A typer group (``siting`` itself: --version, --help) that converts as
    :class:`PlainCoercionCommand` does."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        install_plain(self.get_params(ctx))
        return super().parse_args(ctx, args)
