package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"kaa.local/pulumi-kafka-provider/prov"
)

var version = "0.0.0"

func main() { tfgen.Main("kafka", version, prov.Provider()) }
