from __future__ import annotations

from proj_tui.pipeline import Pipeline, node, pipeline

from .nodes import evaluate_model, split_data, train_model


def _template() -> Pipeline:
    return Pipeline(
        [
            node(split_data, ["features_table", "params:model_options"], ["train", "test"],
                 name="split_data", tags=["training"]),
            node(train_model, ["train", "params:model_options", "params:runtime"], "model",
                 name="train_model", tags=["training"]),
            node(evaluate_model, ["model", "test"], "metrics",
                 name="evaluate_model", tags=["evaluation"]),
        ]
    )


def create_pipeline() -> Pipeline:
    """The same template twice, as two candidate models in their own namespaces."""
    return sum(
        (
            pipeline(_template(), namespace=ns, inputs={"features_table"},
                     parameters={"params:runtime": "params:runtime"})
            for ns in ("model_a", "model_b")
        ),
        Pipeline([]),
    )
