"""How Jinja writes `{{ value }}` in the autoescaping templates: escaped text, not a new Markup.

Every `{{ }}` compiles to markupsafe's escape(value), which wraps the escaped text in a new Markup
(two Python calls more): a register page writes about 2,400 of them. What an output writes is only
ever joined into the page, or into the buffer of a macro, a block, a `{% set %}` or a `{% filter %}`,
which Jinja joins and marks up itself. So the escaped text is enough there; everywhere else (the
filters, `~`, Python code) escape() and Markup stay as they are.
"""

from __future__ import annotations

from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from markupsafe import _escape_inner  # markupsafe's C escaping, as escape() calls it

__all__ = ["OutputCodeGenerator", "escaped_text"]


def escaped_text(value: Any, /) -> str:
    """escape(value) as text: the same characters, without the Markup around them."""
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


class OutputCodeGenerator(CodeGenerator):
    """Jinja's code generator, its escaped outputs written with escaped_text."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self.writeline(f"from {__name__} import escaped_text")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("escaped_text(")
        if finalize.src is not None:
            self.write(finalize.src)
