"""The arena's data: the model registry, conversations with their answers and votes, judging."""

import hashlib
import secrets
import string
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

LABELS = string.ascii_uppercase


def position_label(position: int) -> str:
    """A, B, ... for participant positions 0, 1, ..."""
    return LABELS[position]


class LLM(models.Model):
    """One contestant in the registry, edited in the admin."""

    class Backend(models.TextChoices):
        TRANSFORMERS = "transformers", "Local (transformers)"
        OPENAI = "openai", "Remote (OpenAI-compatible)"
        SCRIPTED = "scripted", "Scripted (tests and benchmarks)"

    class ApiMode(models.TextChoices):
        CHAT = "chat", "Chat (/v1/chat/completions, messages)"
        COMPLETION = "completion", "Completion (/v1/completions, rendered prompt)"

    class Quantization(models.TextChoices):
        NONE = "none", "None"
        EIGHT_BIT = "8bit", "8-bit (bitsandbytes)"
        FOUR_BIT = "4bit", "4-bit (bitsandbytes)"

    class Device(models.TextChoices):
        AUTO = "auto", "auto"
        CPU = "cpu", "cpu"
        CUDA = "cuda", "cuda"

    class DType(models.TextChoices):
        AUTO = "auto", "auto"
        BF16 = "bf16", "bfloat16"
        FP16 = "fp16", "float16"
        FP32 = "fp32", "float32"

    class QuantType(models.TextChoices):
        NF4 = "nf4", "NF4"
        FP4 = "fp4", "FP4"

    slug = models.SlugField(unique=True, help_text="Stable id, used in URLs, the /v1 API and exports.")
    name = models.CharField("display name", max_length=120)
    aliases = models.CharField(
        max_length=500,
        blank=True,
        help_text="Comma-separated names and vendors; an anonymous answer naming one is flagged.",
    )
    backend = models.CharField(max_length=20, choices=Backend.choices, default=Backend.TRANSFORMERS)

    # Connection
    source = models.CharField(
        max_length=500,
        blank=True,
        help_text="Local folder, hub id, path to a .gguf file, or pkg:<package>/<file.gguf>.",
    )
    gguf_file = models.CharField("GGUF file", max_length=255, blank=True)
    api_mode = models.CharField("API mode", max_length=20, choices=ApiMode.choices, default=ApiMode.CHAT)
    base_url = models.URLField("base URL", max_length=500, blank=True)
    remote_model = models.CharField(max_length=200, blank=True, help_text="The model name the endpoint expects.")
    api_key_env = models.CharField(
        "API key variable",
        max_length=100,
        blank=True,
        help_text="Name of the environment variable holding the key. The key itself is never stored.",
    )
    timeout_s = models.FloatField("timeout (s)", default=60.0, validators=[MinValueValidator(1)])
    max_retries = models.PositiveSmallIntegerField(default=3, help_text="Retries on 429, 5xx and connection errors.")
    script = models.TextField(blank=True, help_text="Scripted backend only: JSON of what to emit.")

    # Prompt
    prompt_format = models.CharField(
        max_length=50,
        default="hf-chat-template",
        help_text="A registered prompt format, hf-chat-template (the tokenizer's own) or openai-messages.",
    )
    system_prompt = models.TextField(blank=True)
    context_length = models.PositiveIntegerField(default=2048, validators=[MinValueValidator(16)])

    # Generation defaults
    temperature = models.FloatField(default=0.7, validators=[MinValueValidator(0)])
    top_p = models.FloatField(default=1.0, validators=[MinValueValidator(0.0001), MaxValueValidator(1)])
    top_k = models.PositiveIntegerField(default=0, help_text="0 turns top-k off.")
    max_new_tokens = models.PositiveIntegerField(default=256, validators=[MinValueValidator(1)])
    repetition_penalty = models.FloatField(default=1.0, validators=[MinValueValidator(0.0001)])
    frequency_penalty = models.FloatField(default=0.0, validators=[MinValueValidator(-2), MaxValueValidator(2)])
    presence_penalty = models.FloatField(default=0.0, validators=[MinValueValidator(-2), MaxValueValidator(2)])
    stop = models.JSONField(default=list, blank=True, help_text='Extra stop strings, e.g. ["###"].')

    # Quantization and adapter
    quantization = models.CharField(max_length=10, choices=Quantization.choices, default=Quantization.NONE)
    bnb_4bit_quant_type = models.CharField("4-bit type", max_length=10, choices=QuantType.choices, default="nf4")
    bnb_compute_dtype = models.CharField("compute dtype", max_length=10, choices=DType.choices, default="auto")
    adapter_path = models.CharField("LoRA adapter", max_length=500, blank=True)
    device = models.CharField(max_length=10, choices=Device.choices, default=Device.AUTO)
    dtype = models.CharField(
        max_length=10, choices=DType.choices, default=DType.AUTO,
        help_text="auto: bf16 where the hardware computes in it natively (recent GPUs, CPUs with AVX512-BF16 or "
        "AMX), else fp16 on a GPU and fp32 on a CPU.",
    )

    # Licensing and availability
    license = models.CharField(max_length=100, blank=True)
    commercial_use = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    in_anonymous_pool = models.BooleanField(default=True)

    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "model"
        verbose_name_plural = "models"

    def __str__(self) -> str:
        return self.name

    def alias_list(self) -> list[str]:
        names = [self.name, self.slug, *self.aliases.split(",")]
        return [n.strip() for n in names if n.strip()]

    def generation_defaults(self) -> dict:
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "max_new_tokens": self.max_new_tokens,
            "repetition_penalty": self.repetition_penalty,
            "frequency_penalty": self.frequency_penalty,
            "presence_penalty": self.presence_penalty,
            "stop": tuple(self.stop or ()),
        }

    def clean(self) -> None:
        from arena.registry_checks import validate_llm

        errors = validate_llm(self)
        if errors:
            raise ValidationError(errors)


class Conversation(models.Model):
    """One battle or side-by-side session."""

    class Mode(models.TextChoices):
        ANONYMOUS = "anonymous", "Anonymous battle"
        NAMED = "named", "Side by side"
        COLLABORATE = "collaborate", "Collaboration"
        BATCH = "batch", "Batch run"

    class Window(models.TextChoices):
        FULL = "full", "Full conversation"
        LAST_N = "last_n", "Last N exchanges"
        TOKEN_BUDGET = "token_budget", "Token budget"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    window = models.CharField(max_length=20, choices=Window.choices, default=Window.TOKEN_BUDGET)
    window_n = models.PositiveIntegerField(default=5, help_text="Exchanges kept by the last-N window.")
    params = models.JSONField(default=dict, blank=True, help_text="Generation overrides chosen for the session.")
    visitor = models.CharField(max_length=64, blank=True, db_index=True, help_text="Hashed session key.")
    question = models.ForeignKey("Question", null=True, blank=True, on_delete=models.SET_NULL)
    batch_run = models.ForeignKey(
        "BatchRun", null=True, blank=True, on_delete=models.CASCADE, related_name="conversations"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.id}"


class Participant(models.Model):
    """A model's seat in a conversation, in display order (A, B, ...)."""

    class Role(models.TextChoices):
        CONTESTANT = "contestant", "Contestant"
        AGGREGATOR = "aggregator", "Aggregator"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    llm = models.ForeignKey(LLM, on_delete=models.PROTECT, related_name="participations")
    position = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CONTESTANT)

    class Meta:
        ordering = ["conversation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "position"], name="participant_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.llm}"

    @property
    def label(self) -> str:
        if self.role == self.Role.AGGREGATOR:
            return "combined"
        return position_label(self.position)


class Turn(models.Model):
    """The visitor's message; every participant answers it."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField()
    user_message = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "index"]
        constraints = [models.UniqueConstraint(fields=["conversation", "index"], name="turn_index_unique")]

    def __str__(self) -> str:
        return f"turn {self.index} of {self.conversation_id}"


class Answer(models.Model):
    """One participant's reply to one turn, with exactly what the model was sent."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        STREAMING = "streaming", "Streaming"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        STOPPED = "stopped", "Stopped"

    turn = models.ForeignKey(Turn, on_delete=models.CASCADE, related_name="answers")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    prompt_text = models.TextField(blank=True, help_text="The exact string sent (text backends).")
    prompt_messages = models.JSONField(null=True, blank=True, help_text="The exact messages sent (chat APIs).")
    prompt_format = models.CharField(max_length=50, blank=True)
    kept_turns = models.JSONField(default=list, blank=True, help_text="Indices of the messages the window kept.")
    params = models.JSONField(default=dict, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    ttft_ms = models.FloatField("time to first token (ms)", null=True, blank=True)
    tokens_per_second = models.FloatField(null=True, blank=True)
    finish_reason = models.CharField(max_length=20, blank=True)
    self_identified = models.BooleanField(default=False, help_text="The answer names its own model or vendor.")
    attempts = models.PositiveSmallIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["turn", "participant__position"]
        constraints = [models.UniqueConstraint(fields=["turn", "participant"], name="answer_per_participant")]

    def __str__(self) -> str:
        return f"answer {self.participant.label} to {self.turn}"


class Vote(models.Model):
    """At most one vote per turn, enforced by the database."""

    class Winner(models.TextChoices):
        A = "A", "A is better"
        B = "B", "B is better"
        TIE = "tie", "Tie"
        BOTH_BAD = "bothbad", "Both are bad"
        BEST = "best", "Best of n (see ranking)"
        COMBINED = "combined", "The combined answer is better"
        SINGLE = "single", "The best single answer is better"

    turn = models.OneToOneField(Turn, on_delete=models.CASCADE, related_name="vote")
    winner = models.CharField(max_length=20, choices=Winner.choices)
    ranking = models.JSONField(default=list, blank=True, help_text="Labels best first, for n-way rounds.")
    voter = models.CharField(max_length=64, blank=True, help_text="Hashed session key.")
    names_hidden = models.BooleanField(default=True)
    flagged = models.BooleanField(default=False, help_text="An answer named its own model: kept out by default.")
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.winner} on {self.turn}"


class PairCount(models.Model):
    """Battle outcome counts per day and ordered pair, kept in step with votes for fast refits."""

    class Source(models.TextChoices):
        HUMAN_ANONYMOUS = "human", "Human votes (anonymous battles)"
        HUMAN_NAMED = "human_named", "Human votes (named rounds)"
        HUMAN_FLAGGED = "human_flagged", "Human votes (flagged answers)"
        JUDGE = "judge", "Judge verdicts"
        IMPORTED = "imported", "Imported battles"

    class Outcome(models.TextChoices):
        MODEL_A = "model_a", "model_a"
        MODEL_B = "model_b", "model_b"
        TIE = "tie", "tie"
        TIE_BOTHBAD = "tie (bothbad)", "tie (bothbad)"

    source = models.CharField(max_length=20, choices=Source.choices)
    day = models.DateField()
    model_a = models.CharField(max_length=200)
    model_b = models.CharField(max_length=200)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "day", "model_a", "model_b", "outcome"], name="paircount_unique"),
        ]
        indexes = [models.Index(fields=["source", "day"], name="paircount_source_day")]


class ImportedBattle(models.Model):
    """A battle read from a file; the key makes importing the same file twice add nothing."""

    key = models.CharField(max_length=64, unique=True)
    model_a = models.CharField(max_length=200)
    model_b = models.CharField(max_length=200)
    winner = models.CharField(max_length=20)
    tstamp = models.FloatField(null=True, blank=True, db_index=True)
    anony = models.BooleanField(null=True)
    source_file = models.CharField(max_length=500, blank=True)
    conversation = models.JSONField(null=True, blank=True)


class LeaderboardSnapshot(models.Model):
    """A computed leaderboard, stored so pages never refit on request."""

    source = models.CharField(max_length=20, choices=PairCount.Source.choices)
    filters = models.JSONField(default=dict, blank=True)
    rows = models.JSONField(default=list)
    extra = models.JSONField(default=dict, blank=True, help_text="Matrices and history for the charts.")
    votes = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["source", "-created"], name="snapshot_source_created")]


class QuestionSet(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    question_set = models.ForeignKey(QuestionSet, on_delete=models.CASCADE, related_name="questions")
    qid = models.CharField(max_length=100)
    category = models.CharField(max_length=50, blank=True, db_index=True)
    turns = models.JSONField(help_text="The user messages, in order.")
    reference = models.JSONField(null=True, blank=True, help_text="Reference answers, one per turn.")

    class Meta:
        ordering = ["question_set", "id"]
        constraints = [models.UniqueConstraint(fields=["question_set", "qid"], name="question_qid_unique")]

    def __str__(self) -> str:
        return f"{self.question_set}/{self.qid}"


class BatchRun(models.Model):
    """Every selected model answers every question of a set, in Celery."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    question_set = models.ForeignKey(QuestionSet, on_delete=models.PROTECT, related_name="batch_runs")
    models_run = models.ManyToManyField(LLM, related_name="batch_runs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    judge = models.ForeignKey(
        LLM,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="When set, the answers are judged once every one is generated.",
    )
    judge_method = models.CharField(max_length=20, default="pair")
    judge_pairing = models.CharField(max_length=20, default="all")
    judge_baseline = models.ForeignKey(LLM, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"batch run {self.pk} on {self.question_set}"


class JudgeRun(models.Model):
    """A background judging job and its progress."""

    class Method(models.TextChoices):
        PAIR = "pair", "Pairwise (both orders)"
        FIVE = "five", "Five-level pairwise (both orders)"
        SINGLE = "single", "Single-answer grade 1-10"

    class Target(models.TextChoices):
        VOTED_TURNS = "voted", "Arena turns with human votes"
        BATCH = "batch", "Answers of a batch run"
        COLLABORATION = "collaboration", "Collaboration rounds (combined vs each participant)"

    class Pairing(models.TextChoices):
        ALL_PAIRS = "all", "All pairs"
        BASELINE = "baseline", "Each against a baseline"

    Status = BatchRun.Status

    judge = models.ForeignKey(LLM, on_delete=models.PROTECT, related_name="judge_runs")
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.PAIR)
    template = models.CharField(max_length=50, default="pair-v1")
    target = models.CharField(max_length=20, choices=Target.choices, default=Target.VOTED_TURNS)
    batch_run = models.ForeignKey(BatchRun, null=True, blank=True, on_delete=models.CASCADE)
    pairing = models.CharField(max_length=20, choices=Pairing.choices, default=Pairing.ALL_PAIRS)
    baseline = models.ForeignKey(LLM, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=BatchRun.Status.choices, default=BatchRun.Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"judge run {self.pk} ({self.judge}, {self.method})"


class Verdict(models.Model):
    """One judgment, keyed by (run, item, order) so a rerun never duplicates it."""

    class Parse(models.TextChoices):
        PENDING = "pending", "Pending"
        OK = "ok", "Parsed"
        ERROR = "error", "Parse error"
        FAILED = "failed", "Call failed"

    run = models.ForeignKey(JudgeRun, on_delete=models.CASCADE, related_name="verdicts")
    item = models.CharField(max_length=100, help_text="turn:answerA:answerB or answer id for grades.")
    order = models.PositiveSmallIntegerField(default=0, help_text="1 = answers swapped.")
    answer_a = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="+")
    answer_b = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    prompt = models.JSONField(default=list, blank=True)
    raw_text = models.TextField(blank=True)
    verdict = models.CharField(max_length=20, blank=True)
    score = models.FloatField(null=True, blank=True)
    parse_status = models.CharField(max_length=20, choices=Parse.choices, default=Parse.PENDING)
    error = models.TextField(blank=True)
    inconsistent = models.BooleanField(default=False, help_text="The two orders disagreed (set on order 0).")
    final = models.CharField(max_length=20, blank=True, help_text="The verdict after the swap (set on order 0).")
    counted = models.BooleanField(default=False, help_text="Added to the judge leaderboard counts (order 0).")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "item", "order"], name="verdict_key_unique")]
        indexes = [models.Index(fields=["run", "parse_status"], name="verdict_run_status")]


class ApiToken(models.Model):
    """A bearer token for the arena's OpenAI-compatible API; only its hash is stored."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, name: str) -> tuple["ApiToken", str]:
        """Create a token and return it with the plain secret, shown once."""
        secret = "arena-" + secrets.token_urlsafe(32)
        token = cls.objects.create(name=name, prefix=secret[:10], token_hash=cls.hash(secret))
        return token, secret
