"""Tools: the model calls Python functions of the notebook, visibly, with approval if asked.

Toolbox.of([get_weather, {...spec...}])   specs for the body, functions to run
function_spec(fn)                          a function's JSON Schema (``_schema`` maps types)
Rounds / ToolPolicy                        the loop's state; ``session`` drives it
plan_call / run_call / arun_call           one call: checked, run, encoded
"""

from venice_jupyter.tools._approval import DECLINED, Approver, Decision, InputApprover
from venice_jupyter.tools._dispatch import arun_one, run_one
from venice_jupyter.tools._rounds import DEFAULT_MAX_ROUNDS, Rounds, ToolPolicy
from venice_jupyter.tools._run import Outcome, Plan, arun_call, encode, plan_call, run_call
from venice_jupyter.tools._schema import docstring_parts, function_spec
from venice_jupyter.tools._toolbox import Toolbox, from_text

__all__ = [
    "DECLINED",
    "DEFAULT_MAX_ROUNDS",
    "Approver",
    "Decision",
    "InputApprover",
    "Outcome",
    "Plan",
    "Rounds",
    "ToolPolicy",
    "Toolbox",
    "arun_call",
    "arun_one",
    "docstring_parts",
    "encode",
    "from_text",
    "function_spec",
    "plan_call",
    "run_call",
    "run_one",
]
