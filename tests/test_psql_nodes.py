"""Node addresses in plans and messages, spelled by role so two clusters compare equal."""

from __future__ import annotations

from grader.submission.psql_output import normalise_node_addresses

STUDENT_PLAN = """Custom Scan (Citus Adaptive)
  Task Count: 1
  Tasks Shown: All
  ->  Task
        Node: host=citus_worker3 port=5432 dbname=mediAI
        ->  Seq Scan on patients_102040 p"""

ENGINE_PLAN = STUDENT_PLAN.replace("host=citus_worker3 port=5432", "host=127.0.0.1 port=9703")


def test_known_addresses_become_roles() -> None:
    engine = {("127.0.0.1", 9701): "worker1", ("127.0.0.1", 9703): "worker3"}
    lab = {("citus_worker3", 5432): "worker3"}
    assert normalise_node_addresses(ENGINE_PLAN, engine) == normalise_node_addresses(
        STUDENT_PLAN, lab
    )
    assert "Node: host=worker3 dbname=mediAI" in normalise_node_addresses(ENGINE_PLAN, engine)


def test_host_colon_port_and_host_case() -> None:
    text = "ERROR:  cannot remove or disable the node LOCALHOST:57637 because it holds shards"
    assert normalise_node_addresses(text, {("localhost", 57637): "worker1"}) == (
        "ERROR:  cannot remove or disable the node worker1 because it holds shards"
    )


def test_unknown_addresses_are_left_alone_when_roles_are_given() -> None:
    text = "Node: host=10.0.0.9 port=5432 dbname=mediAI"
    assert normalise_node_addresses(text, {("10.0.0.9", 5433): "worker1"}) == text


def test_placeholders_follow_order_of_first_appearance() -> None:
    student = "host=citus_worker2 port=5432 ... host=citus_worker1 port=5432 ... citus_worker2:5432"
    engine = "host=127.0.0.1 port=9702 ... host=127.0.0.1 port=9701 ... 127.0.0.1:9702"
    assert (
        normalise_node_addresses(student)
        == normalise_node_addresses(engine)
        == ("host=node1 ... host=node2 ... node1")
    )


def test_placeholders_leave_times_and_labels_alone() -> None:
    text = "Time: 12:30:45 Task Count: 32 Note:1 see http://example:80"
    assert normalise_node_addresses(text) == text
