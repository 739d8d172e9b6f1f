"""How Jinja runs riskreg's templates: `{{ value }}` written as escaped text, `obj.name` read
with Python's getattr first (OutputCodeGenerator), and calls made directly (RenderContext).

Output. Every `{{ }}` compiles to markupsafe's escape(value), which wraps the escaped text in a new
Markup (two Python calls more): a register page writes about 2,400 of them. What an output writes
is only ever joined into the page, or into the buffer of a macro, a block, a `{% set %}` or a
`{% filter %}`, which Jinja joins and marks up itself. So the escaped text is enough there;
everywhere else (the filters, `~`, Python code) escape() and Markup stay as they are.

Calls. Every call in a template (`_()`, `url_for()`, a helper, a macro) goes through Context.call,
which asks the callable and its `__call__` whether it wants the context, the evaluation context or
the environment: three attribute lookups and an enum's comparisons, about 450 calls on a register
page. A function, method or macro is asked once, its own attribute; anything else, and whatever
wants the template's context, goes to Jinja's own call.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

from flask.templating import Environment
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import Context, Macro
from jinja2.utils import _PassArg
from markupsafe import _escape_inner  # markupsafe's C escaping, as escape() calls it

__all__ = ["OutputCodeGenerator", "RenderContext", "RiskregEnvironment", "escaped_text"]

_ASKED_DIRECTLY = frozenset({FunctionType, BuiltinFunctionType, MethodType, Macro})
_JINJAS_OWN = object()  # a callable Context.call must look at itself


def escaped_text(value: Any, /) -> str:
    """escape(value) as text: the same characters, without the Markup around them."""
    if type(value) is str:
        return _escape_inner(value)
    if type(value) is int:  # an id, a count: digits and a sign, nothing to escape
        return str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


class OutputCodeGenerator(CodeGenerator):
    """Jinja's code generator, its escaped outputs written with escaped_text, and `obj.name` read
    with Python's getattr first.

    Jinja compiles `obj.name` to environment.getattr(obj, "name"): a Python method that tries the
    attribute, then the item, then gives Undefined (about 2,400 a register page). Here the
    attribute is read by the builtin getattr, and only when there is none does environment.getattr
    run, on the same object (evaluated once), for the item or Undefined: the same value."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self.writeline(f"from {__name__} import escaped_text")
        super().visit_Template(node, frame)

    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        if self.environment.is_async:  # riskreg's is not; Jinja's own code stays right for one
            super().visit_Getattr(node, frame)
            return
        # (value if (value := getattr((owner := OBJ), NAME, missing)) is not missing
        #  else environment.getattr(owner, NAME)): an inner OBJ is done with both names before
        # the outer assigns them.
        self.write("(_attr_value if (_attr_value := getattr((_attr_owner := ")
        self.visit(node.node, frame)
        name = repr(node.attr)
        self.write(f"), {name}, missing)) is not missing else environment.getattr(_attr_owner, {name}))")

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("escaped_text(")
        if finalize.src is not None:
            self.write(finalize.src)


class RenderContext(Context):
    """Jinja's template context, its calls of functions, methods and macros made directly."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's names)
        if __debug__:
            __traceback_hide__ = True  # noqa: F841 (Jinja's tracebacks leave this frame out)
        wants = getattr(__obj, "jinja_pass_arg", None) if type(__obj) in _ASKED_DIRECTLY else _JINJAS_OWN
        if wants is _JINJAS_OWN or wants is _PassArg.context:  # it may see the loop's variables
            return super().call(__obj, *args, **kwargs)
        if kwargs:  # Jinja adds these in loops and blocks, for callables that take the context
            kwargs.pop("_loop_vars", None)
            kwargs.pop("_block_vars", None)
        if wants is _PassArg.eval_context:
            args = (__self.eval_ctx, *args)
        elif wants is _PassArg.environment:
            args = (__self.environment, *args)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class RiskregEnvironment(Environment):
    """Flask's template environment with riskreg's code generator and context, and each template's
    globals the environment's own dict when the template has none of its own.

    Jinja gives every template a ChainMap(its own globals, the environment's). Each render, include
    and `{% from ... import %}` then copies that ChainMap into a dict and a set, key by key in
    Python (new_context, Context, and the import's check for new globals): about 17 µs each, a
    dozen or more times a page. riskreg gives templates no globals of their own, so the
    environment's dict is the same mapping, copied at C speed; later additions to the environment's
    globals still show, as through the ChainMap. Globals passed to get_template keep their ChainMap.
    No code writes to a template's globals (Jinja asks the same, since 3.0)."""

    code_generator_class = OutputCodeGenerator
    context_class = RenderContext

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return super().make_globals(d) if d else self.globals
