"""scm: demand forecasting, LP/MIP order planning, and plan verification.

The public API: `load_example`, `plan_orders` with `Tables` and `PlanOptions`, `to_periods`,
and the errors scm raises on purpose; forecasting lives in `scm.forecast` (`forecast`,
`backtest`), planning pieces in `scm.plan`.
"""

from scm.api import PlanOptions, Tables, plan_orders
from scm.datasets import load_example
from scm.errors import InfeasibleError, InputError, ScmError, SolverError
from scm.periods import to_periods

__all__ = [
    "InfeasibleError",
    "InputError",
    "PlanOptions",
    "ScmError",
    "SolverError",
    "Tables",
    "load_example",
    "plan_orders",
    "to_periods",
]
