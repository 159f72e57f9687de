"""``node()`` and ``Node``: one function call with named dataset inputs and outputs.

A node's name and wiring never change, and it hashes by name, so pipelines can dedupe and index
nodes cheaply (only ``func`` may be swapped, as Kedro allows a hook to). Everything
a run needs per call (dataset names, the calling convention) is resolved once here, so
``Node.run`` does no parsing and stays cheap on 5000-node pipelines.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import operator
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NoReturn

from proj_tui.pipeline.errors import NodeSignatureError, PipelineError

# Letters, digits, "_", "-" and "." only: names travel through `--nodes a,b` on the command
# line, so commas, quotes and spaces would make them impossible to select.
_NAME_RE = re.compile(r"[\w.-]+\Z")

# How inputs are handed to the function and how its result maps onto outputs.
_NONE = 0  # f() / result ignored
_ONE = 1  # f(x) / result is the one output
_LIST = 2  # f(x, y) / result is a list or tuple, one item per output
_DICT = 3  # f(a=x, b=y) / result is a dict, key -> output

InputsSpec = str | list[str] | tuple[str, ...] | dict[str, str] | None
OutputsSpec = str | list[str] | tuple[str, ...] | dict[str, str] | None
TagsSpec = str | Iterable[str] | None


def _fail(message: str) -> NoReturn:
    raise PipelineError(message)


def _check_name(kind: str, value: object, where: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value):
        _fail(
            f"{kind} {value!r}{where} is not valid: use only letters, digits, '_', '-' and '.' "
            "(names are passed on the command line, so spaces, commas and quotes are not allowed)."
        )
    return value


_EMPTY_TAGS: frozenset[str] = frozenset()
_tag_sets: dict[Any, frozenset[str]] = {}  # validated tag specs: pipelines repeat the same few


def _where(owner: object, where: str) -> str:
    if isinstance(owner, str):
        return f" of node '{owner}'"
    if callable(owner):
        return f" of node function '{_func_name(owner)}'"
    return where


def _parse_tags(tags: TagsSpec, owner: object = None, where: str = "") -> frozenset[str]:
    """Validate tags once per distinct spec; ``owner`` is described only if one is bad."""
    if tags is None:
        return _EMPTY_TAGS
    if isinstance(tags, (str, frozenset, tuple)):
        key: Any = tags
    elif isinstance(tags, list):
        key = tuple(tags)
    else:
        key = None
    if key is not None:
        try:
            cached = _tag_sets.get(key)
        except TypeError:  # unhashable items; validation below says why
            key, cached = None, None
        if cached is not None:
            return cached
    if isinstance(tags, str):
        result = frozenset((_check_name("Tag", tags, _where(owner, where)),))
    else:
        result = frozenset(_check_name("Tag", tag, _where(owner, where)) for tag in tags)
    if key is not None and len(_tag_sets) < 4096:
        _tag_sets[key] = result
    return result


def _parse_datasets(
    spec: InputsSpec | OutputsSpec, what: str, func: Callable[..., Any]
) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    """Return (kind, keys, dataset names) for an inputs or outputs spec."""
    func_name = _func_name(func)
    if spec is None:
        return _NONE, (), ()
    if isinstance(spec, str):
        names: tuple[str, ...] = (spec,)
        keys: tuple[str, ...] = ()
        kind = _ONE
    elif isinstance(spec, (list, tuple)):
        names = tuple(spec)
        keys = ()
        kind = _LIST
    elif isinstance(spec, Mapping):
        keys = tuple(spec.keys())
        names = tuple(spec.values())
        kind = _DICT
        for key in keys:
            if not isinstance(key, str) or not key:
                _fail(
                    f"The {what} of node function '{func_name}' has a non-string key {key!r}; "
                    "dict keys must be the function's argument names (inputs) or the keys of "
                    "its returned dict (outputs)."
                )
    else:
        _fail(
            f"The {what} of node function '{func_name}' must be None, a dataset name, a list "
            f"of names or a dict, not {type(spec).__name__}."
        )
    for name in names:
        if not isinstance(name, str) or not name:
            _fail(
                f"The {what} of node function '{func_name}' contain {name!r}; every dataset "
                "name must be a non-empty string."
            )
    return kind, keys, names


def _func_name(func: Callable[..., Any]) -> str:
    name = getattr(func, "__name__", None)
    if isinstance(name, str):
        return name
    if isinstance(func, functools.partial):
        return "<partial>"  # Kedro's name; functools.update_wrapper gives it the real one
    return type(func).__name__


def strip_transcoding(name: str) -> str:
    """``"B@pandas"`` -> ``"B"``: the dataset a transcoded name stands for.

    Two names that differ only after ``@`` are one dataset read or written through different
    types, so the graph links them. More than one ``@`` is a mistake.
    """
    if "@" not in name:
        return name
    base, _, rest = name.partition("@")
    if "@" in rest:
        raise PipelineError(
            f"The dataset name {name!r} has more than one '@'; a transcoded name is "
            "'<dataset>@<format>' with exactly one separator."
        )
    return base


# Checked signatures: (func, kind, keys or count) -> argument order for dict inputs (None: as
# given). Pipelines reuse a few functions many times, so each shape is inspected once.
_bound: dict[Any, tuple[int, ...] | None] = {}


def _check_signature(
    func: Callable[..., Any], kind: int, keys: tuple[str, ...], names: tuple[str, ...]
) -> tuple[int, ...] | None:
    """Fail now, not at run time, when the inputs cannot be passed to ``func``.

    Returns, for dict inputs, the order that binds them to the function's parameters (Kedro
    lists a node's inputs in that order), or None when the given order is already it.
    """
    key: Any = (func, kind, keys if kind == _DICT else len(names))
    try:
        return _bound[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable callable: check it every time
        key = None
    order: tuple[int, ...] | None = None
    try:
        signature = inspect.signature(func, follow_wrapped=False)
    except (TypeError, ValueError):  # builtins written in C have no signature to check
        signature = None
    if signature is not None:
        try:
            if kind == _DICT:
                bound = signature.bind(**{k: k for k in keys})
                wanted = [*bound.args, *bound.kwargs.values()]
                if wanted != list(keys):
                    order = tuple(keys.index(k) for k in wanted)
            else:
                signature.bind(*names)
        except TypeError as exc:
            spec: Any = dict(zip(keys, names, strict=True)) if kind == _DICT else None
            if kind == _ONE:
                spec = names[0]
            elif kind in (_LIST, _NONE):
                spec = list(names) if names else None
            params = list(signature.parameters)
            raise NodeSignatureError(
                f"The inputs {spec!r} do not fit node function '{_func_name(func)}', which "
                f"takes {params}: {exc}. Give the node one input per parameter (a dict maps "
                "parameter names to datasets), or change the function."
            ) from None
    if key is not None and len(_bound) < 4096:
        _bound[key] = order
    return order


def _default_name(
    func: Callable[..., Any], inputs: tuple[str, ...], outputs: tuple[str, ...]
) -> str:
    """Kedro 1.x's default: the function's name and a short hash of what it is wired to.

    Stable across processes (no ``id()`` or ``hash()``), free of the ',' that splits
    ``--nodes a,b``, and different for two uses of one function.
    """
    import hashlib  # deferred: ~10 ms of OpenSSL start-up a run with only named nodes never pays

    name = _func_name(func)
    module = getattr(func, "__module__", None) or ""
    key = f"{module}:{name}|{';'.join(inputs)}|{';'.join(outputs)}"
    return f"{name}__{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def _unzip(first: Any, rest: Iterator[Any], getters: list[Callable[[Any], Any]]) -> list[Any]:
    """One lazy stream per output from a generator of tuples or dicts."""
    copies = itertools.tee(itertools.chain((first,), rest), len(getters))
    return [map(get, copy) for get, copy in zip(getters, copies, strict=True)]


class Node:
    """A function call wired to datasets by name; hashable by name, equal by content.

    Every public attribute but ``func`` is a read-only property (``inputs``/``outputs`` return
    fresh lists); changed copies come from ``tag()`` or the modular ``pipeline()``.

    Build nodes with :func:`node`. Two nodes are equal when they call the same function with
    the same wiring under the same name, so summing a pipeline with itself dedupes them.
    """

    __slots__ = (
        "_confirms",
        "_explicit_name",
        "_func",
        "_hash",
        "_in_count",
        "_in_keys",
        "_in_kind",
        "_inputs",
        "_name",
        "_namespace",
        "_out_keys",
        "_out_kind",
        "_outputs",
        "_short_name",
        "_tags",
    )

    _func: Callable[..., Any]
    _in_kind: int
    _in_keys: tuple[str, ...]
    _inputs: tuple[str, ...]
    _out_kind: int
    _out_keys: tuple[str, ...]
    _outputs: tuple[str, ...]
    _explicit_name: str | None
    _short_name: str
    _name: str
    _namespace: str | None
    _tags: frozenset[str]
    _confirms: tuple[str, ...]
    _hash: int
    _in_count: int

    def __init__(
        self,
        func: Callable[..., Any],
        inputs: InputsSpec,
        outputs: OutputsSpec,
        *,
        name: str | None = None,
        tags: TagsSpec = None,
        namespace: str | None = None,
        confirms: str | Iterable[str] | None = None,
    ) -> None:
        if not callable(func):
            _fail(f"A node needs a callable function, got {type(func).__name__}: {func!r}.")
        if name is not None and (type(name) is not str or not _NAME_RE.match(name)):
            _check_name("Node name", name, f" of node function '{_func_name(func)}'")
        if namespace is not None and (type(namespace) is not str or not _NAME_RE.match(namespace)):
            _check_name("Namespace", namespace, f" of node function '{_func_name(func)}'")
        # Fast paths for the common "one dataset in, one out" shapes; the rest is parsed fully.
        in_kind: int
        in_keys: tuple[str, ...]
        in_names: tuple[str, ...]
        out_kind: int
        out_keys: tuple[str, ...]
        out_names: tuple[str, ...]
        if type(inputs) is str and inputs:
            in_kind, in_keys, in_names = _ONE, (), (inputs,)
        else:
            in_kind, in_keys, in_names = _parse_datasets(inputs, "inputs", func)
        if type(outputs) is str and outputs:
            out_kind, out_keys, out_names = _ONE, (), (outputs,)
        else:
            out_kind, out_keys, out_names = _parse_datasets(outputs, "outputs", func)
            if len(set(out_names)) != len(out_names):
                dupes = sorted({o for o in out_names if out_names.count(o) > 1})
                _fail(
                    f"Node function '{_func_name(func)}' lists the output(s) {dupes} more "
                    "than once."
                )
        if not in_names and not out_names:
            _fail(
                f"Node function '{_func_name(func)}' has neither inputs nor outputs, so running "
                "it could not affect anything; give it at least one of them."
            )
        if in_names and out_names:
            if len(in_names) == 1 and len(out_names) == 1:  # the common shape: no sets
                one_in, one_out = in_names[0], out_names[0]
                if "@" in one_in or "@" in one_out:
                    one_in, one_out = strip_transcoding(one_in), strip_transcoding(one_out)
                clash = one_in == one_out
            else:
                clash = not {strip_transcoding(i) for i in in_names}.isdisjoint(
                    map(strip_transcoding, out_names)
                )
            if clash:
                both = sorted(
                    {strip_transcoding(i) for i in in_names}.intersection(
                        map(strip_transcoding, out_names)
                    )
                )
                _fail(
                    f"Node function '{_func_name(func)}' reads and writes the same dataset(s) "
                    f"{both} (transcoded names count as one); a node cannot depend on itself. "
                    "Write to a new name."
                )
        try:  # the cache hit inline: nodes of one function are made by the thousand
            order = _bound[(func, in_kind, in_keys if in_kind == _DICT else len(in_names))]
        except (KeyError, TypeError):
            order = _check_signature(func, in_kind, in_keys, in_names)
        if order is not None:
            in_keys = tuple(in_keys[k] for k in order)
            in_names = tuple(in_names[k] for k in order)
        if confirms is None:
            confirm_names: tuple[str, ...] = ()
        elif isinstance(confirms, str):
            confirm_names = (confirms,)
        else:
            confirm_names = tuple(confirms)
        self._init(
            func,
            in_kind,
            in_keys,
            in_names,
            out_kind,
            out_keys,
            out_names,
            name,
            namespace,
            _EMPTY_TAGS if tags is None else _parse_tags(tags, name or func),
            confirm_names,
        )

    def _init(
        self,
        func: Callable[..., Any],
        in_kind: int,
        in_keys: tuple[str, ...],
        inputs: tuple[str, ...],
        out_kind: int,
        out_keys: tuple[str, ...],
        outputs: tuple[str, ...],
        explicit_name: str | None,
        namespace: str | None,
        tags: frozenset[str],
        confirms: tuple[str, ...],
    ) -> None:
        self._func = func
        self._in_kind = in_kind
        self._in_keys = in_keys
        self._inputs = inputs
        self._out_kind = out_kind
        self._out_keys = out_keys
        self._outputs = outputs
        self._explicit_name = explicit_name
        short = _default_name(func, inputs, outputs) if explicit_name is None else explicit_name
        self._short_name = short
        full = f"{namespace}.{short}" if namespace else short
        self._name = full
        self._namespace = namespace or None
        self._tags = tags
        self._confirms = confirms
        self._hash = hash(full)
        # distinct inputs: run() refuses a dict with more (Kedro does), with one len() a call
        self._in_count = len(inputs) if len(inputs) < 2 else len(set(inputs))

    @classmethod
    def _build(
        cls,
        func: Callable[..., Any],
        in_kind: int,
        in_keys: tuple[str, ...],
        inputs: tuple[str, ...],
        out_kind: int,
        out_keys: tuple[str, ...],
        outputs: tuple[str, ...],
        explicit_name: str | None,
        namespace: str | None,
        tags: frozenset[str],
        confirms: tuple[str, ...],
    ) -> Node:
        """Make a node from already-validated parts (copies, renames, unpickling)."""
        new = cls.__new__(cls)
        new._init(
            func,
            in_kind,
            in_keys,
            inputs,
            out_kind,
            out_keys,
            outputs,
            explicit_name,
            namespace,
            tags,
            confirms,
        )
        return new

    def _replace(
        self,
        *,
        inputs: tuple[str, ...] | None = None,
        outputs: tuple[str, ...] | None = None,
        namespace: str | bool | None = False,
        tags: frozenset[str] | None = None,
        confirms: tuple[str, ...] | None = None,
    ) -> Node:
        """Copy with some parts swapped; ``namespace=False`` keeps the current one."""
        return Node._build(
            self._func,
            self._in_kind,
            self._in_keys,
            self._inputs if inputs is None else inputs,
            self._out_kind,
            self._out_keys,
            self._outputs if outputs is None else outputs,
            self._explicit_name,
            self._namespace if namespace is False else namespace,  # type: ignore[arg-type]
            self._tags if tags is None else tags,
            self._confirms if confirms is None else confirms,
        )

    # -- identity ------------------------------------------------------------------------------
    def __reduce__(self) -> tuple[Any, ...]:
        return (
            Node._build,
            (
                self._func,
                self._in_kind,
                self._in_keys,
                self._inputs,
                self._out_kind,
                self._out_keys,
                self._outputs,
                self._explicit_name,
                self._namespace,
                self._tags,
                self._confirms,
            ),
        )

    def _key(self) -> tuple[Any, ...]:
        outputs: Any = self._outputs
        if self._out_kind == _DICT:  # {"a": x, "b": y} and {"b": y, "a": x} are one node
            outputs = tuple(sorted(zip(self._out_keys, self._outputs, strict=True)))
        return (
            self._name,
            self._func,
            self._in_kind,
            self._in_keys,
            self._inputs,
            self._out_kind,
            outputs,
        )

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Node):
            return NotImplemented
        return self._hash == other._hash and self._key() == other._key()

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        return self._name < other._name

    def __repr__(self) -> str:
        return (
            f"Node({_func_name(self._func)}, {self.input_spec!r}, {self.output_spec!r}, "
            f"{self._name!r})"
        )

    def __str__(self) -> str:
        """Kedro's description: ``name: func([in;puts]) -> [out;puts]`` (no namespace)."""
        ins = f"[{';'.join(self._inputs)}]" if self._inputs else "None"
        outs = f"[{';'.join(self._outputs)}]" if self._outputs else "None"
        prefix = f"{self._explicit_name}: " if self._explicit_name is not None else ""
        return f"{prefix}{_func_name(self._func)}({ins}) -> {outs}"

    def _legacy_name(self) -> str:
        """The default name this node had before Kedro 1.x naming: ``ns.f([a]) -> [b]``."""
        return f"{self._namespace}.{self}" if self._namespace else str(self)

    def __call__(self, **inputs: Any) -> dict[str, Any]:
        """``n(a=1)`` is ``n.run({"a": 1})``: dataset names as keywords."""
        return self.run(inputs)

    @staticmethod
    def _spec(kind: int, keys: tuple[str, ...], names: tuple[str, ...]) -> InputsSpec:
        if kind == _NONE:
            return None
        if kind == _ONE:
            return names[0]
        if kind == _LIST:
            return list(names)
        return dict(zip(keys, names, strict=True))

    # -- public attributes -----------------------------------------------------------------------
    @property
    def func(self) -> Callable[..., Any]:
        return self._func

    @func.setter
    def func(self, func: Callable[..., Any]) -> None:
        """Swap the function, as Kedro allows (a hook wrapping it); name and wiring stay."""
        if not callable(func):
            _fail(f"A node needs a callable function, got {type(func).__name__}: {func!r}.")
        _check_signature(func, self._in_kind, self._in_keys, self._inputs)
        self._func = func

    @property
    def name(self) -> str:
        """The namespace-qualified name, unique within a pipeline."""
        return self._name

    @property
    def short_name(self) -> str:
        """The name without its namespace."""
        return self._short_name

    @property
    def namespace(self) -> str | None:
        return self._namespace

    @property
    def namespace_prefixes(self) -> list[str]:
        """Every level of the namespace, outermost first: ``a.b`` gives ``["a", "a.b"]``."""
        ns = self._namespace
        if not ns:
            return []
        parts = ns.split(".")
        return [".".join(parts[: i + 1]) for i in range(len(parts))]

    @property
    def tags(self) -> frozenset[str]:
        return self._tags

    @property
    def inputs(self) -> list[str]:
        """Input dataset names in call order (a fresh list: the node itself never changes)."""
        return list(self._inputs)

    @property
    def outputs(self) -> list[str]:
        """Output dataset names in declaration order."""
        return list(self._outputs)

    @property
    def confirms(self) -> list[str]:
        return list(self._confirms)

    @property
    def input_spec(self) -> InputsSpec:
        """The inputs as given to ``node()`` (after renames), e.g. for display."""
        return self._spec(self._in_kind, self._in_keys, self._inputs)

    @property
    def output_spec(self) -> OutputsSpec:
        return self._spec(self._out_kind, self._out_keys, self._outputs)

    @property
    def source_location(self) -> tuple[str, int] | None:
        """File and first line of the function, for "jump to source"; None for builtins."""
        func: Any = self._func
        for _ in range(10):  # unwrap partials and decorators without risking a loop
            code = getattr(func, "__code__", None)
            if code is not None:
                return code.co_filename, code.co_firstlineno
            inner = getattr(func, "__wrapped__", None) or getattr(func, "func", None)
            if inner is None:
                code = getattr(func.__call__, "__code__", None)
                if code is not None:
                    return code.co_filename, code.co_firstlineno
                return None
            func = inner
        return None

    def tag(self, tags: TagsSpec) -> Node:
        """Return a copy with ``tags`` added."""
        return self._replace(tags=self._tags | _parse_tags(tags, self._name))

    # -- running -------------------------------------------------------------------------------
    def run(self, inputs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Call the function with the named inputs; return ``{output dataset: value}``."""
        kind = self._in_kind
        try:
            if kind == _NONE:
                args: list[Any] = []
            elif kind == _ONE:
                args = [inputs[self._inputs[0]]]  # type: ignore[index]
            else:
                args = [inputs[name] for name in self._inputs]  # type: ignore[index]
        except (KeyError, TypeError):
            given = set(inputs or ())
            missing = [name for name in self._inputs if name not in given]
            _fail(f"Node '{self._name}' was run without its input(s) {missing}.")
        if inputs and len(inputs) != self._in_count:
            extra = sorted(set(inputs).difference(self._inputs))
            _fail(
                f"Node '{self._name}' was given input(s) {extra} it does not read; it reads "
                f"{list(self._inputs)} (Kedro refuses extra inputs too)."
            )
        try:
            if kind == _DICT:
                result = self._func(**dict(zip(self._in_keys, args, strict=True)))
            else:
                result = self._func(*args)
        except TypeError as exc:
            self._explain_call_error(exc, args)
            raise
        return self._outputs_of(result)

    def _explain_call_error(self, exc: TypeError, args: list[Any]) -> None:
        """Turn a TypeError from a wiring mistake into a PipelineError; keep the function's own."""
        try:
            signature = inspect.signature(self._func)
        except (TypeError, ValueError):
            return
        try:
            if self._in_kind == _DICT:
                signature.bind(**dict(zip(self._in_keys, args, strict=True)))
            else:
                signature.bind(*args)
        except TypeError as bind_error:
            raise PipelineError(
                f"Node '{self._name}' passes {self.input_spec!r} "
                f"to {_func_name(self._func)}{signature}, which does not fit: {bind_error}. "
                "Change the node's inputs or the function's parameters."
            ) from exc

    def _outputs_of(self, result: Any) -> dict[str, Any]:
        kind = self._out_kind
        if kind == _ONE:
            return {self._outputs[0]: result}
        if kind == _NONE:
            if result is not None:
                warnings.warn(
                    f"Node '{self._name}' declares no outputs, but its function returned a "
                    f"{type(result).__name__}, which is dropped. Give the node an output to "
                    "keep the value, or make the function return None.",
                    UserWarning,
                    stacklevel=3,
                )
            return {}
        if inspect.isgenerator(result):
            return self._streams_of(result)
        outputs = self._outputs
        if kind == _LIST:
            if not isinstance(result, (list, tuple)):
                _fail(
                    f"Node '{self._name}' declares {len(outputs)} outputs {list(outputs)} but its "
                    f"function returned a {type(result).__name__}; return a list or tuple of "
                    f"{len(outputs)} values in that order."
                )
            if len(result) != len(outputs):
                _fail(
                    f"Node '{self._name}' declares {len(outputs)} outputs {list(outputs)} but its "
                    f"function returned {len(result)} values; return exactly {len(outputs)}."
                )
            return dict(zip(outputs, result, strict=True))
        if not isinstance(result, Mapping):
            _fail(
                f"Node '{self._name}' declares dict outputs with keys {list(self._out_keys)} but "
                f"its function returned a {type(result).__name__}; return a dict with those keys."
            )
        keys = self._out_keys
        if len(result) != len(keys) or any(key not in result for key in keys):
            missing = [key for key in keys if key not in result]
            extra = [key for key in result if key not in keys]
            details = []
            if missing:
                details.append(f"missing {missing}")
            if extra:
                details.append(f"unexpected {extra}")
            _fail(
                f"Node '{self._name}' expects its function to return a dict with keys "
                f"{list(keys)}, but the keys are {'; '.join(details)}."
            )
        return {dataset: result[key] for key, dataset in zip(keys, outputs, strict=True)}

    def _streams_of(self, generator: Iterator[Any]) -> dict[str, Any]:
        """Split a generator of chunks into one lazy stream per output; the runner saves each
        chunk as it comes. The first chunk is checked like a plain result would be."""
        try:
            first = next(generator)
        except StopIteration:
            return {name: iter(()) for name in self._outputs}
        getters: list[Callable[[Any], Any]]
        if self._out_kind == _LIST:
            self._outputs_of(first)  # raises if the chunk does not fit
            getters = [operator.itemgetter(k) for k in range(len(self._outputs))]
        else:
            self._outputs_of(first)
            getters = [operator.itemgetter(key) for key in self._out_keys]
        return dict(zip(self._outputs, _unzip(first, generator, getters), strict=True))


def node(
    func: Callable[..., Any],
    inputs: InputsSpec,
    outputs: OutputsSpec,
    *,
    name: str | None = None,
    tags: TagsSpec = None,
    namespace: str | None = None,
    confirms: str | Iterable[str] | None = None,
) -> Node:
    """Create a :class:`Node`; the signature matches Kedro's so pipeline code ports unchanged."""
    return Node(func, inputs, outputs, name=name, tags=tags, namespace=namespace, confirms=confirms)
