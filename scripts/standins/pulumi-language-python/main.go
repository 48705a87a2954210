// Stand-in for pulumi-language-python built by kafka-active-active's scripts/setup-pulumi.sh when the real
// language host module cannot be fetched. It serves the LanguageRuntime gRPC protocol of the Pulumi CLI and runs
// programs through the pulumi-language-python-exec shim shipped in the Pulumi SDK, inside the virtualenv named
// by the project's runtime options.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Exit code the exec shim uses after it has already shown the user an actionable message.
const bailExitCode = 32

// Prints the installed distributions that carry a pulumi-plugin.json for a resource plugin, as JSON.
const listPluginsPy = `
import json, importlib.metadata as md
seen, out = set(), []
for d in md.distributions():
    for f in (d.files or []):
        if f.name != "pulumi-plugin.json":
            continue
        try:
            p = json.loads(f.read_text())
        except Exception:
            continue
        if not p.get("resource") or not p.get("name"):
            continue
        key = (p["name"], p.get("version") or d.version)
        if key in seen:
            continue
        seen.add(key)
        out.append({"name": p["name"], "version": p.get("version") or d.version,
                    "server": p.get("server", ""), "parameterization": p.get("parameterization")})
print(json.dumps(out))
`

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engine string
	exec   string
}

func toolchainFor(info *pulumirpc.ProgramInfo) (toolchain.Toolchain, error) {
	opts := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	m := info.GetOptions().AsMap()
	if v, ok := m["virtualenv"].(string); ok {
		opts.Virtualenv = v
	}
	switch m["toolchain"] {
	case "pip":
		opts.Toolchain = toolchain.Pip
	case "poetry":
		opts.Toolchain = toolchain.Poetry
	case "uv":
		opts.Toolchain = toolchain.Uv
	}
	return toolchain.ResolveToolchain(opts)
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engine = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: strings.TrimPrefix(version.Version, "v")}, nil
}

type pluginJSON struct {
	Name             string `json:"name"`
	Version          string `json:"version"`
	Server           string `json:"server"`
	Parameterization *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Value   []byte `json:"value"`
	} `json:"parameterization"`
}

func installedPlugins(ctx context.Context, info *pulumirpc.ProgramInfo) ([]pluginJSON, error) {
	tc, err := toolchainFor(info)
	if err != nil {
		return nil, err
	}
	cmd, err := tc.Command(ctx, "-c", listPluginsPy)
	if err != nil {
		return nil, err
	}
	cmd.Dir = info.GetProgramDirectory()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing Pulumi plugins in the Python environment: %w: %s", err, stderr.String())
	}
	var res []pluginJSON
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("parsing the plugin list: %w", err)
	}
	return res, nil
}

func (h *host) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	ps, err := installedPlugins(ctx, req.GetInfo())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPluginsResponse{}
	for _, p := range ps {
		if p.Parameterization == nil {
			resp.Plugins = append(resp.Plugins, &pulumirpc.PluginDependency{
				Name: p.Name, Kind: "resource", Version: p.Version, Server: p.Server,
			})
		}
	}
	return resp, nil
}

func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	ps, err := installedPlugins(ctx, req.GetInfo())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPackagesResponse{}
	for _, p := range ps {
		dep := &pulumirpc.PackageDependency{Name: p.Name, Kind: "resource", Version: p.Version, Server: p.Server}
		if p.Parameterization != nil {
			dep.Parameterization = &pulumirpc.PackageParameterization{
				Name: p.Parameterization.Name, Version: p.Parameterization.Version, Value: p.Parameterization.Value,
			}
		}
		resp.Packages = append(resp.Packages, dep)
	}
	return resp, nil
}

func runError(err error) (string, bool) {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if st, ok := exitErr.Sys().(syscall.WaitStatus); ok {
			if st.ExitStatus() == bailExitCode {
				return "", true
			}
			return fmt.Sprintf("Program exited with non-zero exit code: %d", st.ExitStatus()), false
		}
		return "Program exited unexpectedly: " + exitErr.Error(), false
	}
	return "Problem executing program (could not run language executor): " + err.Error(), false
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	tc, err := toolchainFor(info)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	args := []string{"-u", h.exec}
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine)
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", fmt.Sprintf("%v", req.GetDryRun()))
	add("parallel", fmt.Sprint(req.GetParallel()))
	add("organization", req.GetOrganization())
	add("root_directory", info.GetRootDirectory())
	program := info.GetEntryPoint()
	if program == "" {
		program = "."
	}
	if !filepath.IsAbs(program) && info.GetProgramDirectory() != "" {
		program = filepath.Join(info.GetProgramDirectory(), program)
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	if cfg := req.GetConfig(); len(cfg) > 0 {
		b, err := json.Marshal(cfg)
		if err != nil {
			return nil, err
		}
		cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(b))
	}
	if keys := req.GetConfigSecretKeys(); len(keys) > 0 {
		b, err := json.Marshal(keys)
		if err != nil {
			return nil, err
		}
		cmd.Env = append(cmd.Env, "PULUMI_CONFIG_SECRET_KEYS="+string(b))
	}
	if err := cmd.Run(); err != nil {
		msg, bail := runError(err)
		return &pulumirpc.RunResponse{Error: msg, Bail: bail}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return err
	}
	return tc.InstallDependencies(server.Context(), req.GetInfo().GetProgramDirectory(),
		req.GetUseLanguageVersionTools(), true, stdout, stderr)
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: info.PythonExecutable, Version: info.PythonVersion.String()}, nil
}

func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	deps, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, d := range deps {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: d.Name, Version: d.Version})
	}
	return resp, nil
}

// RunPlugin runs a plugin written in Python (a policy pack, a component provider): the __main__.py of its
// directory with the plugin's arguments, in its virtualenv.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return err
	}
	args := append([]string{"-u", req.GetInfo().GetProgramDirectory()}, req.GetArgs()...)
	cmd, err := tc.Command(server.Context(), args...)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd.Dir = req.GetPwd()
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return server.Send(&pulumirpc.RunPluginResponse{
				Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exitErr.ExitCode())},
			})
		}
		return err
	}
	return closer.Close()
}

func main() {
	var engine string
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			engine = a // the engine address comes last
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	execShim := filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")
	if _, err := os.Stat(execShim); err != nil {
		if p, lerr := exec.LookPath("pulumi-language-python-exec"); lerr == nil {
			execShim = p
		}
	}
	h := &host{engine: engine, exec: execShim}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "could not start the language host RPC server:", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintln(os.Stderr, "language host RPC stopped serving:", err)
		os.Exit(1)
	}
}
