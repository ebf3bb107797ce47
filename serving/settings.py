"""Service settings: environment variables (BUYINTENT_*) over configs/serving.yaml over defaults."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

from models.predictor import default_model_dir

REPO = Path(__file__).resolve().parent.parent
SETTINGS_FILE = REPO / "configs" / "serving.yaml"
# The documented local development key (`make serve`); the service warns whenever it is in use.
DEV_API_KEY = "buyintent-dev-key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BUYINTENT_", yaml_file=SETTINGS_FILE, extra="ignore",
                                      protected_namespaces=())

    model: Path = Field(default_factory=default_model_dir, description="Model folder to serve.")
    api_keys: str = Field("", description="Comma-separated caller:key pairs (BUYINTENT_API_KEYS).")
    max_batch_size: int = Field(256, ge=1, description="Most comments in one request.")
    max_chars: int = Field(2000, ge=1, description="Longest comment text accepted.")
    batching: bool = Field(True, description="Score concurrent requests together.")
    batch_max_size: int = Field(16, ge=1, description="Most comments per model call when batching.")
    batch_max_wait_ms: float = Field(2.0, ge=0, description="Longest wait for a batch to fill.")
    max_queue: int = Field(4096, ge=1, description="Comments waiting for the model before 429.")
    workers: int = Field(1, ge=1, description="Worker processes of `buyintent serve`.")
    model_process: bool = Field(True, description="Load the model in a child process of each worker (its own GIL).")
    model_threads: int = Field(1, ge=1, description="Compute threads of the model process (ONNX Runtime "
                               "intra-op); with batching, the pipeline and the worker already use the cores.")
    model_switch_interval_ms: float = Field(0.2, gt=0, description="GIL switch interval of the model process.")
    placement_policy: Path = Field(REPO / "configs" / "placement.yaml")

    @field_validator("placement_policy")
    @classmethod
    def relative_to_repo(cls, path: Path) -> Path:
        # configs/serving.yaml names files relative to the repository, whatever the cwd.
        return path if path.is_absolute() or path.exists() else REPO / path

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource):
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls), file_secret_settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
