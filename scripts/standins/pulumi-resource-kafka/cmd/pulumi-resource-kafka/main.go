package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"kaa.local/pulumi-kafka-provider/prov"
)

var version = "0.0.0"

//go:embed schema-embed.json
var schema []byte

func main() { tfbridge.Main("kafka", version, prov.Provider(), schema) }
