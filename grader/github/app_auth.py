"""GitHub App authentication: the App's JWT buys a one-hour installation token.

The token is the only credential a grading job holds: it reads the repository
(clone) and writes the check run, and is never written to disk.
"""

from __future__ import annotations

from github import Auth, Github, GithubIntegration, UnknownObjectException

from grader.core.errors import ConfigurationError
from grader.settings import GitHubApp


def app_private_key(config: GitHubApp) -> str:
    if config.private_key is not None and config.private_key.get_secret_value():
        return config.private_key.get_secret_value()
    if config.private_key_path is not None:
        try:
            return config.private_key_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot read the GitHub App private key: {exc}") from exc
    raise ConfigurationError(
        "the GitHub App is not configured: set GRADER_GITHUB__APP_ID and "
        "GRADER_GITHUB__PRIVATE_KEY_PATH (see docs/github-app.md)"
    )


def app_integration(config: GitHubApp) -> GithubIntegration:
    if config.app_id is None:
        raise ConfigurationError("the GitHub App is not configured: set GRADER_GITHUB__APP_ID")
    auth = Auth.AppAuth(config.app_id, app_private_key(config))
    return GithubIntegration(auth=auth, base_url=config.api_url)


def installation_token(config: GitHubApp, installation_id: int) -> str:
    """A fresh installation token (GitHub errors propagate: the caller retries them)."""
    with app_integration(config) as integration:
        return integration.get_access_token(installation_id).token


def repository_installation(config: GitHubApp, full_name: str) -> int:
    """The installation that covers a repository, for a push that did not name one."""
    owner, _, repo = full_name.partition("/")
    with app_integration(config) as integration:
        try:
            return int(integration.get_repo_installation(owner, repo).id)
        except UnknownObjectException as exc:
            raise ConfigurationError(
                f"the GitHub App has no installation on {full_name}: install it on the"
                " repository (or its organisation) to grade it from GitHub"
            ) from exc


def installation_client(config: GitHubApp, token: str) -> Github:
    # lazy: objects are built from what we know instead of a GET each (the repository itself).
    # No retry inside PyGithub: a failed call fails the task, which Celery retries with backoff
    # instead of holding the worker while it sleeps.
    return Github(auth=Auth.Token(token), base_url=config.api_url, lazy=True, retry=None)
