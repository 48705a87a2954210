// Package prov maps the Terraform kafka provider onto the Pulumi tokens the published pulumi-kafka SDKs use.
package prov

import (
	_ "embed"

	"github.com/Mongey/terraform-provider-kafka/kafka"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/x"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/contract"
)

//go:embed bridge-metadata.json
var metadata []byte

func envDefault(v any, envs ...string) *tfbridge.SchemaInfo {
	return &tfbridge.SchemaInfo{Default: &tfbridge.DefaultInfo{EnvVars: envs, Value: v}}
}

// Provider describes the bridged provider.
func Provider() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(kafka.Provider()),
		Name:        "kafka",
		GitHubOrg:   "Mongey",
		Description: "A Pulumi package for creating and managing Kafka.",
		Keywords:    []string{"pulumi", "kafka"},
		License:     "Apache-2.0",
		Repository:  "https://github.com/pulumi/pulumi-kafka",
		Config: map[string]*tfbridge.SchemaInfo{
			"sasl_mechanism":  envDefault("plain", "KAFKA_SASL_MECHANISM"),
			"skip_tls_verify": envDefault(false, "KAFKA_SKIP_VERIFY"),
			"tls_enabled":     envDefault(true, "KAFKA_ENABLE_TLS"),
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"kafka_acl": {
				Tok: "kafka:index/acl:Acl",
				Fields: map[string]*tfbridge.SchemaInfo{
					"resource_name": {Name: "aclResourceName"},
					"resource_type": {Name: "aclResourceType"},
				},
			},
			"kafka_topic": {Tok: "kafka:index/topic:Topic"},
			"kafka_quota": {Tok: "kafka:index/quota:Quota"},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"kafka_topic": {Tok: "kafka:index/getTopic:getTopic"},
		},
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
	}
	err := x.ComputeDefaults(&info, x.TokensSingleModule("kafka_", "index", x.MakeStandardToken("kafka")))
	contract.AssertNoErrorf(err, "computing default tokens")
	blank := &tfbridge.DocInfo{Markdown: []byte{' '}}
	for _, r := range info.Resources {
		if r.Docs == nil {
			r.Docs = blank
		}
	}
	for _, d := range info.DataSources {
		if d.Docs == nil {
			d.Docs = blank
		}
	}
	err = x.AutoAliasing(&info, info.GetMetadata())
	contract.AssertNoErrorf(err, "auto aliasing")
	info.SetAutonaming(255, "-")
	return info
}
