"""The stack files' shape comes from stacks/topology.schema.json (checked with jsonschema, file by file); spec.py
words each schema error as one line naming file, key path and fix, and checks on the merged `extends` chain only
what a single file cannot show."""
from __future__ import annotations

from pathlib import Path

import pytest

from kaa.errors import SpecError
from kaa.topology.spec import load_topology

CLUSTERS = """clusters:
  K1: {bootstrap_servers: ["k1:9092"], schema_registry: "http://k1:8081", connect: "http://k1:8083"}
  K2: {bootstrap_servers: "k2:9092", schema_registry: "http://k2:8081", connect: "http://k2:8083"}
"""
TOPICS = "topics:\n  orders: {partitions: 3, replication_factor: 1}\n"


def problems(tmp_path: Path, stack: str, **files: str) -> list[str]:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "stack.yaml").write_text(stack, encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_topology(tmp_path / "stack.yaml")
    return [line.split(": ", 1)[1] for line in raised.value.problems]  # without the (absolute) file name


@pytest.mark.parametrize(("text", "expected"), [
    ("topics: [orders]\n", "topics: must map at least one topic name to its settings (got ['orders']); add topics: "
     "{orders: {partitions: 6}}"),
    ("environment: qa\n", "environment: is not allowed (got 'qa'); use one of local, dev, test, staging, prod"),
    ("labels: [a]\n", "labels: must be a mapping of label names to values (got ['a']); use {team: platform}"),
    ("labels: {team: {a: 1}}\n", "labels.team: must be a string, number or boolean (got {'a': 1}); write a value, "
     "e.g. platform"),
    ("extends: [base.yaml]\n", "extends: must be a file name (got ['base.yaml']); write extends: base.yaml"),
    ("defaults: 3\n", "defaults: must be a mapping (got 3); use keys from: partitions, replication_factor, config"),
    ("defaults: {partitions: two}\n", "defaults.partitions: must be a whole number (got 'two'); use a whole number "
     ">= 1"),
    ("defaults: {config: [retention.ms]}\n", "defaults.config: must be a mapping of topic config names to values "
     "(got ['retention.ms']); use {retention.ms: \"604800000\"}"),
    ("defaults: {config: {message.format.version: '3.0'}}\n", "defaults.config[message.format.version]: unknown "
     "topic config 'message.format.version': removed in Kafka 4.0; delete the key"),
    ("defaults: {config: {zzz: '1'}}\n", "defaults.config.zzz: unknown topic config 'zzz'; see Kafka's topic configs "
     "for the allowed names"),
    ("schema_registry: {compat: NONE}\n", "schema_registry.compat: unknown key; did you mean 'compatibility'?"),
    ("schema_registry: {mode: x}\n", "schema_registry.mode: unknown key; allowed keys: compatibility, delete, ids"),
    ("schema_registry: {ids: random}\n", "schema_registry.ids: is not allowed (got 'random'); use one of sequential, "
     "import"),
    ("mirror: {sync_group_offsets: 'yes'}\n", "mirror.sync_group_offsets: must be true or false (got 'yes'); write "
     "true or false"),
    ("mirror: {separator: ''}\n", "mirror.separator: must be a non-empty string (got ''); quote the value"),
    ("mirror: {name_prefix: 'mm2 eu'}\n", "mirror.name_prefix: is not usable in connector names (got 'mm2 eu'); use "
     "letters, digits, _ or -"),
    ("mirror: {extra_topics_exclude: audit}\n", "mirror.extra_topics_exclude: must be a list of regular expressions "
     "(got 'audit'); use [\"audit-.*\"]"),
    ("mirror: {principal: 'User:*'}\n", "mirror.principal: is not a principal (got 'User:*'); write it as "
     "\"User:<name>\" (no wildcard)"),
])
def test_a_shape_mistake_is_one_line_with_its_fix(tmp_path: Path, text: str, expected: str) -> None:
    stack = CLUSTERS + (TOPICS if not text.startswith("topics:") else "") + text
    assert problems(tmp_path, stack) == [expected]


def test_shape_mistakes_of_clusters_and_topics(tmp_path: Path) -> None:
    stack = """clusters:
  K1: {bootstrap_servers: ["k1"], schema_registry: "k1:8081", connect: "http://k1:8083", port: 1}
  K2 eu: {bootstrap_servers: "k2:9092", schema_registry: "http://k2:8081", connect: "http://k2:8083",
          security: {protocol: SASL_SSL, sasl_mechanism: GSSAPI}}
topics:
  orders:
    partitions: 3
    replication_factor: 1
    mirror: "no"
    producers: User:a
    consumers: [{principal: "User:b", group: g}, {principal: "User:b", group: g}, {group: h}]
    schema: {value: [], compatibility: [NONE]}
  payments: {partitions: 3, replication_factor: 1, consumers: {principal: "User:b"}}
"""
    assert problems(tmp_path, stack) == [
        "clusters.K1.bootstrap_servers: must be a list of host:port (got ['k1']); use [\"broker-1:9092\"]",
        "clusters.K1.schema_registry: must be an http(s) URL (got 'k1:8081'); write http://host:port",
        "clusters.K1.port: unknown key; allowed keys: bootstrap_servers, schema_registry, connect, security",
        "clusters.K2 eu: alias has characters MM2 cannot use (got 'K2 eu'); use letters, digits, _ or -",
        "clusters.K2 eu.security.sasl_mechanism: is not allowed (got 'GSSAPI'); use one of PLAIN, SCRAM-SHA-256, "
        "SCRAM-SHA-512",
        "topics.orders.mirror: must be true or false (got 'no'); write true or false",
        "topics.orders.producers: must be a list of principals (got 'User:a'); use [\"User:orders-svc\"]",
        "topics.orders.consumers.1: duplicate consumer (got 'User:b/g'); list each principal/group pair once",
        "topics.orders.consumers.2.principal: is missing; add principal: \"User:<name>\"",
        "topics.orders.schema.value: must be a schema file or a list of them (oldest first) (got []); use "
        "schemas/<name>.avsc|.json|.proto",
        "topics.orders.schema.compatibility: is not allowed (got ['NONE']); use one of BACKWARD, BACKWARD_TRANSITIVE, "
        "FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE",
        "topics.payments.consumers: must be a list of {principal, group} (got {'principal': 'User:b'}); use "
        "[{principal: \"User:billing\", group: billing}]",
    ]


def test_each_file_is_checked_alone_and_named_in_its_lines(tmp_path: Path) -> None:
    """A child file may be partial (here: a cluster's registry and Connect only); a mistake is reported in the file
    that holds it even when another file sets the same section."""
    base = CLUSTERS + TOPICS + "mirror: {tasks_max: 0}\n"
    stack = "extends: base.yaml\nmirror: {tasks_max: 2, task_max: 2}\n"
    lines = problems(tmp_path, stack, **{"base.yaml": base})
    assert lines == ["mirror.task_max: unknown key; did you mean 'tasks_max'?",
                     "mirror.tasks_max: must be at least 1 (got 0); use a whole number >= 1"]
    with pytest.raises(SpecError) as raised:
        load_topology(tmp_path / "stack.yaml")
    assert [p.split(": ", 1)[0].rsplit("/", 1)[-1] for p in raised.value.problems] == ["stack.yaml", "base.yaml"]


def test_the_merged_stack_must_be_complete(tmp_path: Path) -> None:
    base = TOPICS + "clusters:\n  K1: {bootstrap_servers: [\"k1:9092\"]}\n  K2: {bootstrap_servers: [\"k2:9092\"]}\n"
    partial = ("extends: base.yaml\nclusters:\n  K1: {schema_registry: \"http://k1:8081\", connect: \"http://k1:8083\"}"
               "\n  K2: {schema_registry: \"http://k2:8081\"}\n")
    assert problems(tmp_path, partial, **{"base.yaml": base}) == [
        "clusters.K2.connect: is missing; add connect: <value>"]
    (tmp_path / "stack.yaml").write_text(partial.replace('"http://k2:8081"}', '"http://k2:8081", connect: '
                                                                                '"http://k2:8083"}'), encoding="utf-8")
    topology = load_topology(tmp_path / "stack.yaml")
    assert [(c.alias, c.bootstrap_servers, c.connect) for c in topology.clusters] == [
        ("K1", ("k1:9092",), "http://k1:8083"), ("K2", ("k2:9092",), "http://k2:8083")]


def test_an_empty_key_counts_as_absent(tmp_path: Path) -> None:
    stack = CLUSTERS + "defaults: {partitions: 3, replication_factor: 1}\ntopics:\n  orders: {partitions: }\n" \
        "mirror:\n  tasks_max:\n"
    topology = load_topology(_write(tmp_path, stack))
    assert (topology.topics[0].partitions, topology.mirror.tasks_max) == (3, 1)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stack.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_keys_the_schema_may_gain_still_get_a_line_with_a_fix() -> None:
    """The wording falls back to the key's name, a generic duplicate, or the schema's own message."""
    from jsonschema import Draft202012Validator

    from kaa.topology.spec import _explain

    def lines(schema: dict[str, object], document: object) -> list[tuple[object, ...]]:
        return [line for e in Draft202012Validator(schema).iter_errors(document) for line in _explain(e, ".")
                ][:1]

    assert [line[:3] for line in lines({"type": "object", "required": ["zone"]}, {})] == [
        (("zone",), "is missing", "add zone: <value>")]
    assert lines({"properties": {"tags": {"uniqueItems": True}}}, {"tags": ["a", "a"]}) == [
        (("tags", "1"), "duplicate item", "list each item once", "a")]
    assert lines({"properties": {"zone": {"maxLength": 2}}}, {"zone": "eu-1"}) == [
        (("zone",), "'eu-1' is too long", "see stacks/topology.schema.json", "eu-1")]


def schema_problems(tmp_path: Path, name: str, text: str) -> list[str]:
    (tmp_path / "schemas").mkdir(exist_ok=True)
    (tmp_path / "schemas" / name).write_text(text, encoding="utf-8")
    topics = f"topics:\n  orders: {{partitions: 3, replication_factor: 1, schema: {{value: schemas/{name}}}}}\n"
    return problems(tmp_path, CLUSTERS + topics)


def test_schema_files_that_do_not_parse(tmp_path: Path) -> None:
    where = "topics.orders.schema.value: schema file 'schemas/{}' is not a valid {} schema ({}); fix the file"
    assert schema_problems(tmp_path, "v.proto", 'syntax = "proto3";\nmessage X { int32 a = 1; }\n$\n') == [
        where.format("v.proto", "Protobuf", "line 3, column 1: token recognition error at: '$'")]
    nested = '{"type": "record", "name": "R", "fields": [{"name": "a", "type": {"type": "strng"}}]}'
    assert schema_problems(tmp_path, "n.avsc", nested) == [where.format("n.avsc", "Avro", "unknown type 'strng'")]
    assert schema_problems(tmp_path, "f.avsc", '{"type": "fixed", "name": "F"}') == [
        where.format("f.avsc", "Avro", "missing key 'size'")]


def test_what_no_file_sets_is_reported_in_the_stack_file(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(CLUSTERS, encoding="utf-8")
    stack = tmp_path / "stack.yaml"
    stack.write_text("extends: base.yaml\nmirror: {tasks_max: 1}\n", encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_topology(stack)
    assert [p.split(": ", 1)[0].rsplit("/", 1)[-1] for p in raised.value.problems] == ["stack.yaml"]


def test_lines_follow_the_file_even_within_a_list_and_under_a_value_of_the_wrong_shape(tmp_path: Path) -> None:
    stack = CLUSTERS + """topics:
  orders: 3
  payments: {partitions: 3, replication_factor: 1, producers: ["User:MM2", "orders-svc"]}
  K1.x.internal: {partitions: 3, replication_factor: 1}
"""
    assert problems(tmp_path, stack) == [
        "topics.orders: must be a mapping (got 3); use keys from: partitions, replication_factor, config, schema, "
        "producers, consumers, mirror, description",
        "topics.orders.partitions: is missing; add partitions: <n> (or defaults.partitions)",
        "topics.orders.replication_factor: is missing; add replication_factor: <n> (or defaults.replication_factor)",
        "topics.payments.producers.0: differs from principal 'User:mm2' only in letter case or punctuation, so both "
        "would get the same Pulumi resource names (got 'User:MM2'); write it as 'User:mm2'",
        "topics.payments.producers.1: is not a principal (got 'orders-svc'); write it as \"User:<name>\" (no wildcard)",
        "topics[K1.x.internal]: starts with the cluster alias 'K1' and the separator '.', so MM2 treats it as a remote "
        "topic of K1 (never replicated, mixed with mirrored data) (got 'K1.x.internal'); rename it (e.g. without the "
        "prefix); remote topics are created by MM2, not declared",
        "topics[K1.x.internal]: ends with .internal/-internal (MM2 and Connect internal topics), so it cannot be a "
        "local topic (got 'K1.x.internal'); choose another name",
    ]


@pytest.mark.parametrize(("length", "too_long"), [(246, False), (247, True), (249, True)])
def test_the_remote_name_may_have_249_characters(tmp_path: Path, length: int, too_long: bool) -> None:
    name = "t" * length
    stack = CLUSTERS + f"defaults: {{partitions: 1, replication_factor: 1}}\ntopics:\n  {name}: {{}}\n"
    if not too_long:
        assert load_topology(_write(tmp_path, stack)).topics[0].name == name
        return
    assert problems(tmp_path, stack) == [
        f"topics.{name}: is too long: its remote name K1.<name> would have {length + 3} characters, Kafka allows 249; "
        f"shorten it to at most 246 characters"]


def test_a_249_character_name_with_an_illegal_character_is_shown(tmp_path: Path) -> None:
    name = "t" * 248 + "/"
    stack = CLUSTERS + f"defaults: {{partitions: 1, replication_factor: 1}}\ntopics:\n  {name}: {{}}\n"
    assert f"(got '{name}')" in problems(tmp_path, stack)[0]


def test_the_alias_prefix_rule_follows_the_separator_and_no_clusters_is_one_problem(tmp_path: Path) -> None:
    stack = CLUSTERS + "mirror: {separator: _}\ndefaults: {partitions: 1, replication_factor: 1}\n" \
        "topics:\n  K1_orders: {}\n  K1.audit: {}\n"
    assert [p.split(" (got")[0] for p in problems(tmp_path, stack)] == [
        "topics.K1_orders: starts with the cluster alias 'K1' and the separator '_', so MM2 treats it as a remote "
        "topic of K1 (never replicated, mixed with mirrored data)"]
    name = "t" * 245
    assert problems(tmp_path, f"defaults: {{partitions: 1, replication_factor: 1}}\ntopics:\n  {name}: {{}}\n") == [
        "clusters: must name exactly two clusters, found 0 (got None); declare two aliases, e.g. K1 and K2, each with "
        "bootstrap_servers, schema_registry, connect"]


def test_min_insync_replicas_from_the_defaults_is_named_there(tmp_path: Path) -> None:
    stack = CLUSTERS + "defaults: {partitions: 1, replication_factor: 2, config: {min.insync.replicas: 3}}\n" \
        "topics:\n  orders: {}\n"
    assert problems(tmp_path, stack) == [
        "defaults.config[min.insync.replicas]: is greater than the replication factor 2 of topic 'orders', so no "
        "write with acks=all could succeed (got '3'); use a value <= 2"]


def test_yaml_booleans_and_lists_become_kafkas_strings(tmp_path: Path) -> None:
    stack = CLUSTERS + "topics:\n  orders: {partitions: 1, replication_factor: 1, config: {preallocate: true, " \
        "message.timestamp.after.max.ms: 5, cleanup.policy: [compact, delete]}}\n" \
        "  payments: {partitions: 1, replication_factor: 1, config: {preallocate: false}}\n"
    topics = {t.name: dict(t.config) for t in load_topology(_write(tmp_path, stack)).topics}
    assert topics == {"orders": {"preallocate": "true", "message.timestamp.after.max.ms": "5",
                                 "cleanup.policy": "compact,delete"}, "payments": {"preallocate": "false"}}


def test_a_subjects_compatibility_is_its_topics_else_the_registrys(tmp_path: Path) -> None:
    (tmp_path / "v.avsc").write_text('"string"', encoding="utf-8")
    stack = CLUSTERS + "schema_registry: {compatibility: FULL}\ntopics:\n" \
        "  orders: {partitions: 1, replication_factor: 1, schema: {value: v.avsc, compatibility: NONE}}\n" \
        "  payments: {partitions: 1, replication_factor: 1, schema: {key: v.avsc}}\n"
    subjects = {s.subject: s.compatibility for t in load_topology(_write(tmp_path, stack)).topics for s in t.subjects}
    assert subjects == {"orders-value": "NONE", "payments-key": "FULL"}
