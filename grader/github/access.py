"""What a grading job holds for one repository: a token, its clone URL, a check-run poster."""

from __future__ import annotations

from dataclasses import dataclass

from grader.github.app_auth import installation_client, installation_token
from grader.publish.checkrun_post import CheckRunPoster
from grader.settings import GitHubApp


@dataclass(frozen=True)
class RepositoryAccess:
    token: str
    clone_url: str
    checks: CheckRunPoster


def open_access(
    config: GitHubApp, full_name: str, installation_id: int, check_name: str
) -> RepositoryAccess:
    token = installation_token(config, installation_id)
    client = installation_client(config, token)
    return RepositoryAccess(
        token=token,
        clone_url=f"{config.clone_url_base.rstrip('/')}/{full_name}.git",
        checks=CheckRunPoster(client, full_name, check_name),
    )
