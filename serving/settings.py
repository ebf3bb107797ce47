"""Service settings: environment variables (BUYINTENT_*) over configs/serving.yaml over defaults."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

from models.predictor import default_model_dir

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "configs" / "serving.yaml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BUYINTENT_", yaml_file=SETTINGS_FILE, extra="ignore",
                                      protected_namespaces=())

    model: Path = Field(default_factory=default_model_dir, description="Model folder to serve.")
    max_batch_size: int = Field(256, ge=1, description="Most comments in one request.")
    max_chars: int = Field(2000, ge=1, description="Longest comment text accepted.")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource):
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls), file_secret_settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
