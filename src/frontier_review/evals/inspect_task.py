"""Adapter to Inspect AI: turns a sealed suite into an Inspect ``Task``. Imported only in runner processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset
from inspect_ai.dataset import Sample as InspectSample
from inspect_ai.model import Model
from inspect_ai.scorer import (
    Score,
    Scorer,
    Target,
    accuracy,
    choice,
    includes,
    match,
    model_graded_fact,
    scorer,
    stderr,
)
from inspect_ai.solver import Generate, Solver, TaskState, generate, multiple_choice, solver, system_message

from frontier_review.evals.package import Sample


@solver
def choice_or_generate() -> Solver:
    """Multiple choice where a sample has choices, plain generation otherwise."""
    mc = multiple_choice()
    gen = generate()

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        return await (mc if len(state.choices) else gen)(state, generate)

    return solve


@scorer(metrics=[accuracy(), stderr()])
def choice_or_match() -> Scorer:
    """``choice`` for multiple-choice samples, ``match`` for exact answers."""
    by_choice = choice()
    by_match = match()

    async def score(state: TaskState, target: Target) -> Score:
        result = await (by_choice if len(state.choices) else by_match)(state, target)
        assert result is not None
        return result

    return score


def build_task(manifest: dict[str, Any], samples: list[Sample], grader: Model | None = None) -> Task:
    """The Inspect task for a suite, with the manifest's solver, scorer and per-sample limits.

    A model-graded suite needs ``grader``: the model behind the suite's named grader target,
    which compares each answer with the answer key (Inspect's ``model_graded_fact``).
    """
    dataset = MemoryDataset(
        [
            InspectSample(id=s.id, input=s.input, target=s.target, choices=list(s.choices) or None, metadata=s.metadata or {})
            for s in samples
        ]
    )
    steps: list[Solver] = []
    if manifest.get("system_prompt"):
        steps.append(system_message(str(manifest["system_prompt"])))
    kind = manifest.get("solver")
    steps.append(
        multiple_choice()
        if kind == "multiple_choice"
        else choice_or_generate()
        if kind == "multiple_choice_or_generate"
        else generate()
    )
    scorers: dict[str, Callable[[], Scorer]] = {
        "match": match,
        "includes": includes,
        "choice": choice,
        "choice_or_match": choice_or_match,
    }
    kind = str(manifest.get("scorer"))
    if kind == "model_graded":
        if grader is None:
            raise ValueError("a model-graded suite needs its grader target")
        chosen = model_graded_fact(model=grader)
    elif kind in scorers:
        chosen = scorers[kind]()
    else:
        raise ValueError(f"unknown scorer {kind!r}")
    return Task(
        dataset=dataset,
        solver=steps,
        scorer=chosen,
        time_limit=int(manifest.get("time_limit_seconds", 120)),
        token_limit=int(manifest.get("token_limit", 4096)),
    )
