"""One registry's subjects, registered in the topology's order by one registration pass.

Registries hand out IDs as a global counter, so parallel registration would make IDs depend on timing. A
`SchemaRegistrationPass` resource per registry therefore registers every subject's new versions in order in one
provider call (the second registry's pass after the first's, expecting its IDs: `expected_ids`). Each subject
stays its own `SchemaSubject` resource (diff, refresh, deletion, the policy pack) that waits only for the pass,
not for the subject before it, so subjects are checked, recorded and deleted side by side; given the pass's IDs
(`registered_ids`) it only reads the subject back when the registry holds exactly what the pass registered.
Stacks made with the earlier chained layout keep every resource: the subjects' names are unchanged, their diff
ignores the new input, and the new pass finds their versions registered.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from components.providers.schema_pass import SchemaPassProvider
from components.providers.schema_subject import SchemaSubjectProvider
from kaa.topology.model import SubjectSpec


class SchemaSubject(Resource, module="kafka-aa", name="SchemaSubject"):
    ids: pulumi.Output[list[int]]
    versions: pulumi.Output[list[int]]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__(SchemaSubjectProvider(), name, {"ids": None, "versions": None, **props}, opts)


def _ids_of(subject: str) -> Callable[[dict[str, list[int]] | None], list[int] | None]:
    return lambda ids: (ids or {}).get(subject)


class SchemaRegistrationPass(Resource, module="kafka-aa", name="SchemaRegistrationPass"):
    ids: pulumi.Output[dict[str, list[int]]]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__(SchemaPassProvider(), name, {"ids": None, **props}, opts)


@dataclass
class RegistrySchemasArgs:
    label: str
    url: str
    subjects: Sequence[SubjectSpec]
    check_urls: Sequence[str] = ()
    check_labels: Sequence[str] = ()
    auth: pulumi.Input[Mapping[str, str]] | None = None
    ca: str | None = None  # the CA file the registry's HTTPS certificate is verified against
    check_auths: Sequence[pulumi.Input[Mapping[str, str]] | None] = ()  # per check_urls entry
    check_cas: Sequence[str | None] = ()
    peer: RegistrySchemas | None = None
    peer_label: str = ""
    after: Sequence[pulumi.Resource] = field(default_factory=list)
    permanent_delete: bool = False  # the stack's `schema_registry.delete: permanent`
    import_ids: bool = False  # the stack's `schema_registry.ids: import`


class RegistrySchemas(pulumi.ComponentResource):
    def __init__(self, name: str, args: RegistrySchemasArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kafka-aa:index:RegistrySchemas", name, None, opts)
        self.subjects: dict[str, SchemaSubject] = {}
        self.registration: SchemaRegistrationPass
        common: dict[str, Any] = {
            "label": args.label,
            "url": args.url,
            "check_urls": list(args.check_urls) or [args.url],
            "check_labels": list(args.check_labels) or [args.label],
            "permanent_delete": args.permanent_delete,
            "import_ids": args.import_ids,
            "auth": args.auth,
            "ca": args.ca,
            "check_auths": list(args.check_auths) or [args.auth] * len(args.check_urls or [args.url]),
            "check_cas": list(args.check_cas) or [args.ca] * len(args.check_urls or [args.url]),
            "peer_label": args.peer_label,
        }
        secret = ["auth", "check_auths"]
        specs: list[dict[str, Any]] = [
            {"subject": spec.subject, "compatibility": spec.compatibility,
             "schemas": [{"schema": v.text, "schemaType": v.schema_type} for v in spec.versions]}
            for spec in args.subjects
        ]
        self.registration = SchemaRegistrationPass(
            f"{name}-pass",
            {**common, "subjects": specs, "expected_ids": args.peer.registration.ids if args.peer else None},
            pulumi.ResourceOptions(parent=self, additional_secret_outputs=secret,
                                   depends_on=[*args.after, *([args.peer.registration] if args.peer else [])]),
        )
        for spec in specs:
            depends: list[pulumi.Resource] = [*args.after, self.registration]
            props: dict[str, Any] = {**common, **spec, "expected_ids": None,
                                     "registered_ids": self.registration.ids.apply(_ids_of(spec["subject"]))}
            if args.peer is not None:
                peer_subject = args.peer.subjects[spec["subject"]]
                props["expected_ids"] = peer_subject.ids
                depends.append(peer_subject)
            self.subjects[spec["subject"]] = SchemaSubject(
                f"{name}-{spec['subject']}",
                props,
                pulumi.ResourceOptions(parent=self, depends_on=depends, additional_secret_outputs=secret),
            )
        self.ids = {subject: res.ids for subject, res in self.subjects.items()}
        self.register_outputs({"ids": self.ids})
