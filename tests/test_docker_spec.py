"""Docker cluster specs and the secrets guard, as pure code: no engine needed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from docker.models.containers import _create_container_args
from pydantic import SecretStr

from grader.cluster.docker.guard import UnsafeContainerSpec, assert_no_secrets, service_secrets
from grader.cluster.docker.spec import (
    CLUSTER_LABEL,
    CONTAINER_SETTINGS,
    GRADING_CONF,
    OWNER_LABEL,
    ROLE_LABEL,
    STARTED_LABEL,
    ClusterIdentity,
    edge_network_kwargs,
    network_kwargs,
    node_kwargs,
    node_roles,
    parse_conf,
    server_command,
)
from grader.settings import DockerCluster, GitHubApp, Settings

IDENTITY = ClusterIdentity(cluster_id="c0ffee", owner="host-a:42", started_at=1000, password="pw")
GRADING = {"fsync": "off", "max_prepared_transactions": "200", "listen_addresses": "127.0.0.1"}


def spec(role: str = "coordinator", host: str = "citus_master", **docker: Any) -> dict[str, Any]:
    return node_kwargs(IDENTITY, role, host, DockerCluster(**docker), GRADING)


def test_network_is_internal_unique_and_labelled() -> None:
    net = network_kwargs(IDENTITY)
    assert net["internal"] is True
    assert net["driver"] == "bridge"
    # internal alone leaves the gateway, where a node reaches the host's services
    assert net["options"]["com.docker.network.bridge.inhibit_ipv4"] == "true"
    assert "c0ffee" in net["name"]
    assert net["labels"][CLUSTER_LABEL] == "c0ffee"
    assert net["labels"][OWNER_LABEL] == "host-a:42"
    other = ClusterIdentity.new("host-a:42", 1000.0)
    assert network_kwargs(other)["name"] != net["name"]
    assert other.password != ClusterIdentity.new("host-a:42", 1000.0).password


def test_edge_network_only_reaches_loopback_and_does_not_masquerade() -> None:
    edge = edge_network_kwargs(IDENTITY)
    assert edge["options"]["com.docker.network.bridge.enable_ip_masquerade"] == "false"
    assert edge["options"]["com.docker.network.bridge.host_binding_ipv4"] == "127.0.0.1"
    assert edge["name"] != network_kwargs(IDENTITY)["name"]


def test_roles_and_host_names_match_the_students_cluster() -> None:
    assert node_roles(3) == [
        ("coordinator", "citus_master"),
        ("worker1", "citus_worker1"),
        ("worker2", "citus_worker2"),
        ("worker3", "citus_worker3"),
    ]


def test_node_is_isolated_limited_and_labelled() -> None:
    node = spec("worker2", "citus_worker2", memory="768m", cpus=0.5, pids_limit=99)
    assert "ports" not in node
    assert node["network"] == IDENTITY.network_name
    assert node["networking_config"] == {IDENTITY.network_name: {"Aliases": ["citus_worker2"]}}
    assert node["hostname"] == "citus_worker2"
    assert node["image"] == "citusdata/citus:12.1"
    assert (node["mem_limit"], node["memswap_limit"]) == ("768m", "768m")
    assert node["nano_cpus"] == 500_000_000
    assert node["pids_limit"] == 99
    assert node["security_opt"] == ["no-new-privileges:true"]
    assert node["cap_drop"] == ["ALL"]
    assert "cap_add" not in node
    assert node["user"] == "postgres"
    assert node["use_config_proxy"] is False
    assert node["labels"] == {
        CLUSTER_LABEL: "c0ffee",
        OWNER_LABEL: "host-a:42",
        ROLE_LABEL: "worker2",
        STARTED_LABEL: "1000",
    }
    assert node["environment"]["POSTGRES_HOST_AUTH_METHOD"] == "scram-sha-256"
    assert node["environment"]["POSTGRES_PASSWORD"] == "pw"
    assert node["environment"]["PGDATA"].startswith("/var/lib/postgresql/data/")
    assert "/var/lib/postgresql/data" in node["tmpfs"]
    assert "pg_isready" in node["healthcheck"]["test"]


def test_publish_loopback_binds_127_0_0_1_on_a_random_port_via_the_edge_network() -> None:
    node = spec(publish_loopback=True)
    assert node["ports"] == {"5432/tcp": ("127.0.0.1", None)}
    assert node["network"] == IDENTITY.edge_network_name
    assert "networking_config" not in node


def test_specs_are_accepted_by_the_docker_sdk_as_written() -> None:
    """The SDK's own conversion of `containers.create` kwargs raises on any unknown key."""
    for publish in (False, True):
        create = _create_container_args({**spec(publish_loopback=publish), "version": "1.44"})
        host = create["host_config"]
        assert host["CapDrop"] == ["ALL"]
        assert host["SecurityOpt"] == ["no-new-privileges:true"]
        assert host["PidsLimit"] == DockerCluster().pids_limit
        assert host["ReadonlyRootfs"] is True
    published = _create_container_args({**spec(publish_loopback=True), "version": "1.44"})
    assert published["host_config"]["PortBindings"] == {
        "5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]
    }


def test_server_command_keeps_grading_settings_but_listens_on_the_cluster_network() -> None:
    command = server_command(GRADING)
    assert command[0] == "postgres"
    flags = dict(command[i + 1].split("=", 1) for i in range(1, len(command), 2))
    assert flags["fsync"] == "off"
    assert flags["max_prepared_transactions"] == "200"
    assert flags["listen_addresses"] == "*"
    assert flags["unix_socket_directories"] == "/var/run/postgresql"


def test_parse_conf_reads_quoted_values_and_drops_comments() -> None:
    text = "# c\nfsync = off  # why\nlog_line_prefix = '%m [%p] it''s '\nport 5433\n  \n"
    assert parse_conf(text) == {"fsync": "off", "log_line_prefix": "%m [%p] it's ", "port": "5433"}


def test_the_shared_grading_conf_gives_what_2pc_and_job_copies_need() -> None:
    if not GRADING_CONF.is_file():
        pytest.skip(f"{GRADING_CONF} is absent")
    conf = parse_conf(GRADING_CONF.read_text(encoding="utf-8"))
    assert int(conf["max_prepared_transactions"]) > 0
    assert int(conf["max_worker_processes"]) > 8
    flags = server_command(conf)
    assert "listen_addresses=*" in flags


def secretive_settings(tmp_path: Path) -> Settings:
    return Settings(
        github=GitHubApp(
            webhook_secret=SecretStr("whsec-1234567890"),
            private_key_path=tmp_path / "app.pem",
        ),
        database_url="postgresql://grader:db-pass-987654@db/grader",
    )


def test_a_node_spec_passes_the_guard(tmp_path: Path) -> None:
    assert_no_secrets(spec(), secretive_settings(tmp_path))
    assert_no_secrets(spec(publish_loopback=True), secretive_settings(tmp_path))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"environment": {"HOOK": "whsec-1234567890"}}, "secret of the service"),
        ({"environment": {"X": "token ghs_abcdefghijklmnopqrstuvwxyz0123"}}, "token"),
        ({"environment": {"GITHUB_TOKEN": "x"}}, "looks like a credential"),
        ({"environment": ["DATABASE=db-pass-987654"]}, "secret of the service"),
        ({"command": ["postgres", "-c", "x=whsec-1234567890"]}, "secret of the service"),
        ({"volumes": {"/var/run/docker.sock": {"bind": "/s"}}}, "Docker socket"),
        ({"volumes": ["/srv/repo/.git:/lab:ro"]}, ".git folder"),
        ({"mounts": [{"Source": "/home/x", "Target": "/x"}]}, "mounts nothing"),
        ({"privileged": True}, "privileged"),
        ({"cap_add": ["SYS_ADMIN"]}, "cap_add"),
        ({"cap_drop": []}, "drop ALL"),
        ({"security_opt": []}, "no-new-privileges"),
        ({"network_mode": "host"}, "shares a namespace"),
        ({"ports": {"5432/tcp": 5432}}, "beyond 127.0.0.1"),
    ],
)
def test_the_guard_refuses_secrets_mounts_and_privileges(
    tmp_path: Path, change: dict[str, Any], reason: str
) -> None:
    with pytest.raises(UnsafeContainerSpec, match=reason):
        assert_no_secrets({**spec(), **change}, secretive_settings(tmp_path))


def test_service_secrets_include_every_secret_field_and_url_password(tmp_path: Path) -> None:
    settings = secretive_settings(tmp_path)
    found = service_secrets(settings)
    assert "whsec-1234567890" in found
    assert "db-pass-987654" in found
    assert str(tmp_path / "app.pem") in found
    assert settings.dashboard.session_secret.get_secret_value() in found


def test_the_optional_dockerfile_bakes_in_the_same_container_settings() -> None:
    dockerfile = GRADING_CONF.parent / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    assert "FROM ${BASE_IMAGE}" in text and "ARG BASE_IMAGE=citusdata/citus:12.1" in text
    baked = parse_conf("\n".join(re.findall(r'"([^"]+ = [^"]+)"', text)))
    assert {k: baked[k] for k in CONTAINER_SETTINGS} == CONTAINER_SETTINGS
    assert baked["include"] == "/usr/share/postgresql/grading.conf"
