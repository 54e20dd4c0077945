"""Every audit event name the portal's code can record, read from the source.

Names are found where the code hands one over: `action=` in any call (except calls into allauth's
rate limits, `allauth_ratelimit.…`, whose `action` names a counter), an `"action"` key in a dict
(the MIS import's batched entries), the default of a parameter called `action`, and a positional
argument in the place of an `action` parameter of a function in the same module (`_audit(...)`).
An f-string such as f"mention.{action}" is expanded with the values its module passes for that
parameter. Anything the scan cannot work out raises, so a new way of naming events fails loudly
instead of slipping past the "every event is described" test.
"""

import ast
import importlib
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["audit", "accounts", "networks", "consent", "moderation", "posts", "community", "portal", "policy_portal"]
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class CannotTell(Exception):
    pass


def _source_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _params(function) -> list[str]:
    args = function.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


def _defaults(function) -> dict[str, ast.expr]:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    found = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults) :]], args.defaults, strict=True))
    found.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None})
    return found


class _Module:
    def __init__(self, path: Path):
        self.path = path
        self.name = _module_name(path)
        self.tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        self.functions = defaultdict(list)
        self.enclosing = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name].append(node)
                for child in ast.walk(node):
                    # The innermost function wins: ast.walk visits outer functions first.
                    self.enclosing[id(child)] = node
        self._namespace = None

    def where(self, node) -> str:
        return f"{self.path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"

    def evaluate(self, node) -> object:
        """An expression of module-level names (a constant, FollowerStatus.MUTED) as it runs."""
        if self._namespace is None:
            self._namespace = vars(importlib.import_module(self.name))
        return eval(compile(ast.Expression(node), self.name, "eval"), dict(self._namespace))  # noqa: S307

    def arguments_for(self, function_name: str, parameter: str) -> list[ast.expr]:
        """What this module's calls of `function_name` pass as `parameter`."""
        passed = []
        for definition in self.functions[function_name]:
            params = _params(definition)
            index = params.index(parameter)
            default = _defaults(definition).get(parameter)
            if default is not None:
                passed.append(default)
            for node in ast.walk(self.tree):
                if not (
                    isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function_name
                ):
                    continue
                passed += [k.value for k in node.keywords if k.arg == parameter]
                if index < len(node.args):
                    passed.append(node.args[index])
        return passed


def _values(module: _Module, node: ast.expr) -> set[str]:
    """The event names an expression can stand for."""
    if isinstance(node, ast.Constant):
        return {node.value} if isinstance(node.value, str) and EVENT_NAME.match(node.value) else set()
    if isinstance(node, ast.IfExp):
        return _values(module, node.body) | _values(module, node.orelse)
    function = module.enclosing.get(id(node))
    if isinstance(node, ast.Name) and function is not None and node.id in _params(function):
        return set()  # passed through: the callers' values are found where they call
    if isinstance(node, ast.JoinedStr):
        return _expand(module, node, function)
    try:
        value = module.evaluate(node)
    except Exception as error:
        raise CannotTell(f"{module.where(node)}: cannot tell which event {ast.unparse(node)} names") from error
    return {value} if isinstance(value, str) and EVENT_NAME.match(value) else set()


def _expand(module: _Module, node: ast.JoinedStr, function) -> set[str]:
    names = {""}
    for part in node.values:
        if isinstance(part, ast.Constant):
            names = {name + str(part.value) for name in names}
            continue
        variable = part.value
        if not (isinstance(variable, ast.Name) and function is not None and variable.id in _params(function)):
            raise CannotTell(f"{module.where(node)}: cannot expand {ast.unparse(node)}")
        options = set()
        for argument in module.arguments_for(function.name, variable.id):
            if isinstance(argument, ast.Constant):
                options.add(str(argument.value))
            else:
                options.add(str(module.evaluate(argument)))
        if not options:
            raise CannotTell(f"{module.where(node)}: nothing in the module calls {function.name} with {variable.id}")
        names = {name + option for name in names for option in options}
    return {name for name in names if EVENT_NAME.match(name)}


def recorded_event_names() -> dict[str, str]:
    """Each event name the code can record, with one place that records it."""
    found: dict[str, str] = {}
    for path in _source_files():
        module = _Module(path)
        places: list[ast.expr] = []
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call):
                if not ast.unparse(node.func).startswith("allauth_ratelimit."):
                    places += [k.value for k in node.keywords if k.arg == "action"]
                if isinstance(node.func, ast.Name):
                    for definition in module.functions.get(node.func.id, []):
                        params = _params(definition)
                        if "action" in params and params.index("action") < len(node.args):
                            places.append(node.args[params.index("action")])
            elif isinstance(node, ast.Dict):
                places += [
                    v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "action"
                ]
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                default = _defaults(node).get("action")
                if default is not None:
                    places.append(default)
        for place in places:
            for name in _values(module, place):
                found.setdefault(name, module.where(place))
    return found
