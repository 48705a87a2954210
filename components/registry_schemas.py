"""One registry's subjects, registered in the topology's order and owned by one resource.

Registries hand out IDs as a global counter, so parallel registration would make IDs depend on timing. One
`SchemaRegistrationPass` resource per registry registers every subject's new versions in order in one provider
call (the second registry's pass after the first's, expecting its IDs: `expected_ids`), deletes the subjects and
versions the spec dropped, reads them all back on refresh and deletes them on destroy. The engine costs about the
same per resource whatever it does, so one resource per registry instead of one per subject (docs/pulumi.md).
Stacks made when each subject was also a `SchemaSubject` resource upgrade with `pulumi up`: the pass keeps its
name, records that it owns the subjects (`owns_subjects`), and the old resources leave the state without
touching the registry (components/providers/schema_subject.py).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from components.providers.schema_pass import SchemaPassProvider
from kaa.topology.model import SubjectSpec


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
            {**common, "subjects": specs, "owns_subjects": True,
             "expected_ids": args.peer.registration.ids if args.peer else None},
            pulumi.ResourceOptions(parent=self, additional_secret_outputs=secret,
                                   depends_on=[*args.after, *([args.peer.registration] if args.peer else [])]),
        )
        self.ids = {spec["subject"]: self.registration.ids.apply(_ids_of(spec["subject"])) for spec in specs}
        self.register_outputs({"ids": self.ids})
