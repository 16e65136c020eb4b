"""Per-form intake configuration: who may post leads for which ``form_id``.

The forms file (``HANDOFF_FORMS_FILE``, YAML or JSON) names environment variables
rather than holding secrets, so it can be committed next to the website's code::

    forms:
      demo-request:
        api_key_envs: [DEMO_FORM_KEY]          # X-Handoff-Key values
        hmac_secret_envs: [DEMO_FORM_HMAC]     # X-Handoff-Signature secrets
        allowed_origins: ["https://www.example.com", "self"]
      "*":                                     # any form_id not listed above
        api_key_envs: [WEBSITE_BACKEND_KEY]

``self`` allows browser posts from pages this service serves itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.errors import ConfigError

WILDCARD = "*"
SELF_ORIGIN = "self"


class FormsFileError(ConfigError):
    """The forms file is unreadable or names a secret that is not set."""


class _FormEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key_envs: list[str] = Field(default_factory=list)
    hmac_secret_envs: list[str] = Field(default_factory=list)
    allowed_origins: list[str] = Field(default_factory=list)


class _FormsDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    forms: dict[str, _FormEntry] = Field(default_factory=dict)


@dataclass(frozen=True)
class FormAccess:
    """Credentials and browser origins accepted for one form."""

    form_id: str
    api_keys: tuple[bytes, ...] = ()
    hmac_secrets: tuple[bytes, ...] = ()
    allowed_origins: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FormRegistry:
    """Every configured form; unknown form ids fall back to the ``*`` entry, if any."""

    forms: Mapping[str, FormAccess] = field(default_factory=dict)

    def lookup(self, form_id: str) -> FormAccess | None:
        """Return the access rules for a form id, or None when it is not configured."""
        return self.forms.get(form_id) or self.forms.get(WILDCARD)

    def any_origin_allows(self, origin: str, own_origin: str) -> bool:
        """Whether some form accepts browser posts from ``origin`` (used for CORS preflight)."""
        return any(origin_allowed(access, origin, own_origin) for access in self.forms.values())


def origin_allowed(access: FormAccess, origin: str, own_origin: str) -> bool:
    """Whether a browser page at ``origin`` may post this form."""
    if origin in access.allowed_origins:
        return True
    return SELF_ORIGIN in access.allowed_origins and origin == own_origin


def _secrets(form_id: str, names: list[str], env: Mapping[str, str]) -> tuple[bytes, ...]:
    values = []
    for name in names:
        value = env.get(name, "")
        if not value:
            raise FormsFileError(
                f"forms file: form {form_id!r} names environment variable {name}, "
                "which is not set or empty; export it or remove it from the file"
            )
        values.append(value.encode())
    return tuple(values)


def parse_forms(document: Any, env: Mapping[str, str] | None = None) -> FormRegistry:
    """Build the registry from a parsed forms document, reading secrets from ``env``."""
    env = os.environ if env is None else env
    try:
        parsed = _FormsDocument.model_validate(document or {})
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise FormsFileError(f"forms file: {where}") from None
    forms = {
        form_id: FormAccess(
            form_id=form_id,
            api_keys=_secrets(form_id, entry.api_key_envs, env),
            hmac_secrets=_secrets(form_id, entry.hmac_secret_envs, env),
            allowed_origins=frozenset(o.rstrip("/") for o in entry.allowed_origins),
        )
        for form_id, entry in parsed.forms.items()
    }
    return FormRegistry(forms)


def load_forms(path: Path | None, env: Mapping[str, str] | None = None) -> FormRegistry:
    """Read the forms file (YAML or JSON); no file means no forms are accepted."""
    if path is None:
        return FormRegistry()
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise FormsFileError(f"forms file {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise FormsFileError(
            f"forms file {path}: not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}"
        ) from None
    return parse_forms(document, env)
