"""How a run's data travels on Dask: nodes as futures, who reads them, what is scattered.

``_Dataflow`` turns the plan into one ``_Spec`` a node and submits them all at once, each task
taking its upstream nodes' futures as arguments; it keeps the dependency bookkeeping that lets
a future go once its last reader finished, hands hooks futures of in-memory data, and fetches
the outputs the run returns. What happens as tasks start, finish or fail is ``_Execution``'s.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

from proj_tui.io import AbstractDataset
from proj_tui.runner.base import RunnerError, _Run
from proj_tui.runner.dask_task import (
    _FROM_DATASET,
    _FROM_PARENT,
    _FROM_SCATTER,
    _Context,
    _node_task,
    _Spec,
)

if TYPE_CHECKING:
    from distributed import Client, Future


class _Dataflow:
    """One run's futures and the wiring between them: submit, release, hand out, gather."""

    def __init__(self, run: _Run, client: Client, context: _Context, token: str) -> None:
        self.run = run
        self.client = client
        self.context = context
        self.token = token
        total = run.total
        self.futures: list[Future[Any] | None] = [None] * total
        self.producer: dict[str, int] = {}
        for i, (_, outputs) in enumerate(run.wiring):
            for ds in outputs:
                self.producer[ds] = i
        self.parents: list[list[int]] = [
            sorted({self.producer[ds] for ds in inputs if ds in self.producer})
            for inputs, _ in run.wiring
        ]
        self.children_left = [0] * total
        for parents in self.parents:
            for p in parents:
                self.children_left[p] += 1
        self.scattered: dict[str, Future[Any]] = {}
        self.keep: set[int] = set()  # nodes whose in-memory outputs are returned at the end
        self.persisted: set[str] = set()
        self.terminal: set[str] = set()

    def specs(self) -> list[_Spec]:
        """Pickle each node (naming one that cannot be) and wire its inputs; scatter free data."""
        import cloudpickle

        run = self.run
        catalog = run.catalog
        free_memory: dict[str, Any] = {}
        datasets: dict[str, AbstractDataset] = {}
        for inputs, outputs in run.wiring:
            for ds in (*inputs, *outputs):
                if ds in datasets or ds in free_memory:
                    continue
                dataset = catalog[ds]
                if dataset.is_persisted:
                    datasets[ds] = dataset
                elif ds not in self.producer:
                    free_memory[ds] = catalog.load(ds)
        for ds, dataset in datasets.items():
            try:
                cloudpickle.dumps(dataset)
            except Exception as exc:
                raise RunnerError(
                    f"Dataset '{ds}' ({type(dataset).__name__}) cannot be sent to a Dask worker: "
                    f"{type(exc).__name__}: {exc}. Datasets are loaded and saved on the workers, "
                    "so they must be picklable; use another runner for this pipeline."
                ) from exc
        if free_memory:
            self.scattered = self.client.scatter(free_memory, hash=False)
        self.persisted = set(datasets)
        consumed = {ds for inputs, _ in run.wiring for ds in inputs}
        terminal = {ds for _, outputs in run.wiring for ds in outputs} - consumed
        self.terminal = terminal
        specs = []
        for i, node in enumerate(run.nodes):
            try:
                payload = cloudpickle.dumps(node)
            except Exception as exc:
                raise RunnerError(
                    f"Node '{node.name}' cannot be sent to a Dask worker: its function cannot "
                    f"be pickled ({type(exc).__name__}: {exc})."
                ) from exc
            inputs, outputs = run.wiring[i]
            wiring: list[tuple[str, int, Any]] = []
            for ds in inputs:
                if ds in datasets:
                    wiring.append((ds, _FROM_DATASET, datasets[ds]))
                elif ds in self.producer:
                    wiring.append((ds, _FROM_PARENT, self.producer[ds]))
                else:
                    wiring.append((ds, _FROM_SCATTER, ds))
            outs = tuple((ds, datasets.get(ds)) for ds in outputs)
            if any(ds in terminal and dataset is None for ds, dataset in outs):
                self.keep.add(i)
            specs.append(_Spec(i, node.name, payload, tuple(wiring), outs))
        return specs

    def submit(self, specs: list[_Spec]) -> None:
        """Submit every node in topological order; futures of parents are its arguments."""
        client = self.client
        context = self.context
        for spec in specs:
            i = spec.index
            args: list[Any] = []
            position: dict[Any, int] = {}
            for p in self.parents[i]:  # every parent, also those writing persisted data: order
                position[("node", p)] = len(args)
                args.append(self.futures[p])
            wiring = []
            for ds, kind, ref in spec.inputs:
                if kind == _FROM_PARENT:
                    ref = position[("node", ref)]
                elif kind == _FROM_SCATTER:
                    if ("data", ds) not in position:
                        position[("data", ds)] = len(args)
                        args.append(self.scattered[ds])
                    ref = position[("data", ds)]
                wiring.append((ds, kind, ref))
            spec = _Spec(i, spec.name, spec.node, tuple(wiring), spec.outputs)
            self.futures[i] = client.submit(
                _node_task,
                spec,
                context,
                *args,
                key=f"{spec.name}-{self.token}",
                pure=False,
            )

    def release(self, i: int) -> None:
        """Node ``i`` finished: drop the futures whose data no one will read any more."""
        self._release_parents(i)
        if not self.children_left[i] and i not in self.keep:
            self.futures[i] = None  # a leaf: nothing downstream needs its data

    def _release_parents(self, i: int) -> None:
        """Drop our reference to an upstream future once its last reader finished."""
        for p in self.parents[i]:
            self.children_left[p] -= 1
            if not self.children_left[p] and p not in self.keep:
                self.futures[p] = None

    def refs(self, names: list[str]) -> dict[str, Future[Any]]:
        """Futures of in-memory data for hooks; persisted data never came to this process."""
        refs: dict[str, Future[Any]] = {}
        for ds in names:
            if ds in self.scattered:
                refs[ds] = self.scattered[ds]
                continue
            p = self.producer.get(ds)
            future = self.futures[p] if p is not None else None
            if future is not None and ds not in self.persisted:
                refs[ds] = self.client.submit(operator.getitem, future, ds)
        return refs

    def gather_returned(self) -> None:
        """Fetch the in-memory outputs no node read: the run returns them, as other runners do."""
        if not self.keep:
            return
        kept = sorted(self.keep)
        results = self.client.gather([self.futures[i] for i in kept])
        catalog = self.run.catalog
        for outputs in results:
            for ds, data in outputs.items():
                if ds in self.terminal:
                    catalog.save(ds, data)
