"""Register the bundled demo models; running it again changes nothing."""

from django.core.management.base import BaseCommand

from arena.demo import DEMO_DEFAULTS, DEMO_MODELS, demo_source
from arena.models import LLM


class Command(BaseCommand):
    help = "Register the demo model (SmolLM2-135M-Instruct) under its own chat template and other prompt formats."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--warm", action="store_true", help="Also convert the GGUF to the safetensors cache now.")

    def handle(self, *args: object, warm: bool = False, **options: object) -> None:
        source = demo_source()
        for spec in DEMO_MODELS:
            fields = {**DEMO_DEFAULTS, **spec, "source": source}
            slug = fields.pop("slug")
            # Only create: an admin's later edits to a demo row are kept.
            llm, created = LLM.objects.get_or_create(slug=slug, defaults=fields)
            if not created and llm.source != source:
                llm.source = source
                llm.save(update_fields=["source"])
            self.stdout.write(f"{'registered' if created else 'already registered'}: {slug}")
        if warm:
            from arena.backends.sources import local_weights, resolve_source

            path = local_weights("demo", resolve_source("demo", source))
            self.stdout.write(f"demo weights cached at {path}")
