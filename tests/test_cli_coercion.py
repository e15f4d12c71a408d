"""Options converted directly (siting.cli.coercion) give typer's values and typer's errors.

Every plain option of every command is converted both ways, on values of each
kind: given text, its defaults, choices in other cases, text that is not a
choice, paths that exist and that do not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer._click import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from siting.cli.coercion import _PlainParam, plain_kind
from siting.cli.program import app

COMMAND = typer.main.get_command(app)
COMMANDS = [COMMAND, *COMMAND.commands.values()]  # type: ignore[attr-defined]
PLAIN = [(command, param) for command in COMMANDS
         for param in command.get_params(Context(command)) if plain_kind(param) is not None]


def outcome(convert: Any, value: Any, param: Any, ctx: Context) -> tuple[str, Any]:
    try:
        return "value", convert._coerce_value(value, param=param, ctx=ctx)
    except BadParameter as exc:
        return "error", exc.format_message()


def both(command: Any, param: Any, value: Any) -> tuple[tuple[str, Any], tuple[str, Any]]:
    ctx = Context(command)
    descriptor = param.type_descriptor
    plain = _PlainParam(parameter_info=descriptor.parameter_info,
                        annotation=descriptor.annotation, kind=plain_kind(param))
    return (outcome(plain, value, param, ctx),
            outcome(build_runtime_param(descriptor), value, param, ctx))


def test_every_command_has_plain_options_of_each_kind() -> None:
    kinds = {plain_kind(param) for _, param in PLAIN}
    assert kinds == {"text", "path", "choice", "flag"}
    solve = COMMAND.commands["solve"]  # type: ignore[attr-defined]
    converted_by_typer = [p.name for p in solve.get_params(Context(solve))
                          if plain_kind(p) is None]
    assert converted_by_typer == []  # every option of solve is plain


@pytest.mark.parametrize(("command", "param"), PLAIN,
                         ids=[f"{c.name}:{p.name}" for c, p in PLAIN])
def test_defaults_and_choices_convert_as_typer_does(command: Any, param: Any,
                                                    tmp_path: Path) -> None:
    values: list[Any] = [param.default, "", " ", "x", "1e-6", str(tmp_path), tmp_path,
                         str(tmp_path / "missing"), b"bytes", 3, True]
    choices = param.type_descriptor.choices or ()
    for choice in choices:
        values += [choice, choice.value, choice.value.upper(), f" {choice.value}"]
    for value in values:
        if value is None:
            continue
        mine, typers = both(command, param, value)
        assert mine == typers, (param.name, value)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=12), pick=st.integers(min_value=0, max_value=len(PLAIN) - 1))
def test_any_text_converts_as_typer_does(text: str, pick: int) -> None:
    command, param = PLAIN[pick]
    mine, typers = both(command, param, text)
    assert mine == typers
