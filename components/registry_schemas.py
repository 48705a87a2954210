"""One registry's subjects, registered one after another in the topology's order.

Registries hand out IDs as a global counter, so parallel registration would make IDs depend on timing. Each
subject therefore waits for the previous one, and each subject of the second registry waits for the same
subject of the first and must come out with the same IDs (`expected_ids`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from components.providers.schema_subject import SchemaSubjectProvider
from kaa.topology.model import SubjectSpec


class SchemaSubject(Resource, module="kafka-aa", name="SchemaSubject"):
    ids: pulumi.Output[list[int]]
    versions: pulumi.Output[list[int]]

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None):
        super().__init__(SchemaSubjectProvider(), name, {"ids": None, "versions": None, **props}, opts)


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
        previous: list[pulumi.Resource] = list(args.after)
        for spec in args.subjects:
            depends: list[pulumi.Resource] = list(previous)
            props: dict[str, Any] = {
                "label": args.label,
                "url": args.url,
                "subject": spec.subject,
                "schemas": [{"schema": v.text, "schemaType": v.schema_type} for v in spec.versions],
                "compatibility": spec.compatibility,
                "check_urls": list(args.check_urls) or [args.url],
                "check_labels": list(args.check_labels) or [args.label],
                "permanent_delete": args.permanent_delete,
                "import_ids": args.import_ids,
                "auth": args.auth,
                "ca": args.ca,
                "check_auths": list(args.check_auths) or [args.auth] * len(args.check_urls or [args.url]),
                "check_cas": list(args.check_cas) or [args.ca] * len(args.check_urls or [args.url]),
                "expected_ids": None,
                "peer_label": args.peer_label,
            }
            if args.peer is not None:
                peer_subject = args.peer.subjects[spec.subject]
                props["expected_ids"] = peer_subject.ids
                depends.append(peer_subject)
            resource = SchemaSubject(
                f"{name}-{spec.subject}",
                props,
                pulumi.ResourceOptions(parent=self, depends_on=depends,
                                       additional_secret_outputs=["auth", "check_auths"]),
            )
            self.subjects[spec.subject] = resource
            previous = [resource]
        self.ids = {subject: res.ids for subject, res in self.subjects.items()}
        self.register_outputs({"ids": self.ids})
