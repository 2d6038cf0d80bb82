using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace DmVoice.Gateway.Tests.Deploy;

public enum Role
{
    Silo,
    Gateway,
}

/// <summary>An HTTP check some platform makes on a process: a probe, a HEALTHCHECK, a scrape.</summary>
/// <param name="Kind">readiness, liveness, startup, healthcheck (Docker, compose) or metrics (Prometheus annotations).</param>
public sealed record HttpCheck(string Kind, int Port, string Path);

/// <summary>
/// One silo or gateway as a deploy file defines it: the environment it gets (its image's ENV lines
/// under the file's own settings), the checks made on it and the ports it declares.
/// </summary>
public sealed record ProcessDefinition(
    string Where,
    Role Role,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<HttpCheck> Checks,
    IReadOnlyList<int> DeclaredPorts)
{
    public override string ToString() => Where;
}

/// <summary>A YAML value: a mapping, a sequence or a scalar, or nothing when a key is missing.</summary>
public sealed class Yaml(YamlNode? node)
{
    public Yaml this[string key] =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? new Yaml(value) : new Yaml(null);

    public bool Exists => node is not null;

    public string? Text => (node as YamlScalarNode)?.Value;

    public IEnumerable<Yaml> Items => node is YamlSequenceNode list ? list.Children.Select(n => new Yaml(n)) : [];

    public IEnumerable<(string Key, Yaml Value)> Entries =>
        node is YamlMappingNode map ? map.Children.Select(kv => (((YamlScalarNode)kv.Key).Value!, new Yaml(kv.Value))) : [];

    public int Number => int.Parse(Text ?? throw new InvalidOperationException("no value"), CultureInfo.InvariantCulture);

    public static IReadOnlyList<Yaml> LoadAll(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => new Yaml(d.RootNode)).ToList();
    }
}

/// <summary>Reads deploy/: the Dockerfiles, compose.yaml, the Kubernetes manifests and the systemd environment files.</summary>
public static partial class DeployFiles
{
    public const string SiloImage = "dmvoice-silo";
    public const string GatewayImage = "dmvoice-gateway";

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Folder => Path.Combine(RepositoryRoot, "deploy");

    public static string Relative(string path) => Path.GetRelativePath(RepositoryRoot, path);

    public static IReadOnlyList<string> YamlFiles() =>
        Directory.EnumerateFiles(Folder, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    public static Yaml Compose() => Yaml.LoadAll(File.ReadAllText(Path.Combine(Folder, "compose.yaml"))).Single();

    /// <summary>Every document of every manifest in deploy/k8s, with the file it came from.</summary>
    public static IReadOnlyList<(string File, Yaml Document)> Kubernetes() =>
        Directory.EnumerateFiles(Path.Combine(Folder, "k8s"), "*.yaml")
            .Order(StringComparer.Ordinal)
            .SelectMany(f => Yaml.LoadAll(File.ReadAllText(f)).Select(d => (Relative(f), d)))
            .Where(x => x.Item2.Exists)
            .ToList();

    public static IEnumerable<Yaml> KubernetesKind(string kind) =>
        Kubernetes().Select(x => x.Document).Where(d => d["kind"].Text == kind);

    /// <summary>An image's ENV defaults, EXPOSEd ports and HEALTHCHECK, read from its Dockerfile.</summary>
    public static ProcessDefinition Dockerfile(Role role)
    {
        var path = Path.Combine(Folder, "docker", role == Role.Silo ? "silo.Dockerfile" : "gateway.Dockerfile");
        var environment = new Dictionary<string, string>();
        var ports = new List<int>();
        var checks = new List<HttpCheck>();
        var text = File.ReadAllText(path).Replace("\\\n", " ", StringComparison.Ordinal);
        // Only the final stage describes the image that runs.
        var runtime = text[text.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        foreach (var line in runtime.Split('\n').Select(l => l.Trim()))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (words.FirstOrDefault())
            {
                case "ENV":
                    foreach (var pair in words.Skip(1))
                    {
                        var equals = pair.IndexOf('=', StringComparison.Ordinal);
                        environment[pair[..equals]] = pair[(equals + 1)..];
                    }

                    break;
                case "EXPOSE":
                    ports.AddRange(words.Skip(1).Select(p => int.Parse(p.Split('/')[0], CultureInfo.InvariantCulture)));
                    break;
                case "HEALTHCHECK":
                    checks.Add(Check("healthcheck", UrlPattern().Match(line).Value));
                    break;
            }
        }

        return new ProcessDefinition(Relative(path), role, environment, checks, ports);
    }

    /// <summary>
    /// The silos and gateways of compose.yaml, with <c>${VAR:-default}</c> replaced by its default as
    /// compose does when VAR is not set.
    /// </summary>
    public static IReadOnlyList<ProcessDefinition> ComposeProcesses()
    {
        var definitions = new List<ProcessDefinition>();
        foreach (var (name, service) in Compose()["services"].Entries)
        {
            if (RoleOfImage(service["image"].Text) is not { } role)
            {
                continue;
            }

            var image = Dockerfile(role);
            var environment = new Dictionary<string, string>(image.Environment);
            foreach (var (key, value) in service["environment"].Entries)
            {
                environment[key] = Interpolate(value.Text ?? string.Empty);
            }

            var checks = new List<HttpCheck>();
            if (service["healthcheck"]["test"].Items.Select(i => i.Text).FirstOrDefault(t => t?.StartsWith("http", StringComparison.Ordinal) == true) is { } url)
            {
                checks.Add(Check("healthcheck", url));
            }

            // "host-address:host-port:container-port" - the container side is what the process must serve.
            var ports = service["ports"].Items.Select(p => int.Parse(p.Text!.Split(':')[^1], CultureInfo.InvariantCulture)).ToList();
            definitions.Add(new ProcessDefinition($"deploy/compose.yaml: services.{name}", role, environment, checks, ports));
        }

        return definitions;
    }

    /// <summary>
    /// The silo and gateway containers of deploy/k8s: their image's ENV, then envFrom (the ConfigMap,
    /// and the Secret as secret.example.yaml shapes it), then env, with downward-API fields filled in
    /// as Kubernetes would.
    /// </summary>
    public static IReadOnlyList<ProcessDefinition> KubernetesProcesses()
    {
        var sources = new Dictionary<string, Dictionary<string, string>>();
        foreach (var map in KubernetesKind("ConfigMap"))
        {
            sources["configMap/" + map["metadata"]["name"].Text] = map["data"].Entries.ToDictionary(e => e.Key, e => e.Value.Text ?? string.Empty);
        }

        foreach (var secret in KubernetesKind("Secret"))
        {
            sources["secret/" + secret["metadata"]["name"].Text] = secret["stringData"].Entries.ToDictionary(e => e.Key, e => e.Value.Text ?? string.Empty);
        }

        var definitions = new List<ProcessDefinition>();
        foreach (var deployment in KubernetesKind("Deployment"))
        {
            foreach (var container in deployment["spec"]["template"]["spec"]["containers"].Items)
            {
                if (RoleOfImage(container["image"].Text) is not { } role)
                {
                    continue;
                }

                var where = $"deploy/k8s: Deployment {deployment["metadata"]["name"].Text}, container {container["name"].Text}";
                var environment = new Dictionary<string, string>(Dockerfile(role).Environment);
                foreach (var from in container["envFrom"].Items)
                {
                    var source = from["configMapRef"].Exists ? "configMap/" + from["configMapRef"]["name"].Text : "secret/" + from["secretRef"]["name"].Text;
                    foreach (var (key, value) in sources.TryGetValue(source, out var values)
                        ? values
                        : throw new InvalidOperationException($"{where}: envFrom {source} is defined nowhere in deploy/k8s"))
                    {
                        environment[key] = value;
                    }
                }

                foreach (var variable in container["env"].Items)
                {
                    environment[variable["name"].Text!] = variable["value"].Exists
                        ? variable["value"].Text ?? string.Empty
                        : DownwardApiSample(variable["valueFrom"]["fieldRef"]["fieldPath"].Text);
                }

                var namedPorts = container["ports"].Items.ToDictionary(p => p["name"].Text ?? p["containerPort"].Text!, p => p["containerPort"].Number);
                var checks = new List<HttpCheck>();
                foreach (var kind in new[] { "startup", "readiness", "liveness" })
                {
                    var probe = container[kind + "Probe"]["httpGet"];
                    if (probe.Exists)
                    {
                        checks.Add(new HttpCheck(kind, ResolvePort(probe["port"].Text!, namedPorts), probe["path"].Text!));
                    }
                }

                var annotations = deployment["spec"]["template"]["metadata"]["annotations"];
                if (annotations["prometheus.io/scrape"].Text == "true")
                {
                    checks.Add(new HttpCheck("metrics", annotations["prometheus.io/port"].Number, annotations["prometheus.io/path"].Text!));
                }

                definitions.Add(new ProcessDefinition(where, role, environment, checks, [.. namedPorts.Values]));
            }
        }

        return definitions;
    }

    /// <summary>
    /// The ConfigMaps and Secrets some container takes its environment from (envFrom); others, such as
    /// Prometheus' configuration, are mounted as files.
    /// </summary>
    public static IReadOnlySet<string> KubernetesEnvironmentSources() =>
        KubernetesKind("Deployment").Concat(KubernetesKind("StatefulSet"))
            .SelectMany(w => w["spec"]["template"]["spec"]["containers"].Items)
            .SelectMany(c => c["envFrom"].Items)
            .Select(from => from["configMapRef"].Exists ? from["configMapRef"]["name"].Text : from["secretRef"]["name"].Text)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>deploy/systemd/silo.env.example and gateway.env.example, as the units load them.</summary>
    public static IReadOnlyList<ProcessDefinition> SystemdProcesses() =>
    [
        new("deploy/systemd/silo.env.example", Role.Silo, EnvironmentFile("silo.env.example", commented: false), [], []),
        new("deploy/systemd/gateway.env.example", Role.Gateway, EnvironmentFile("gateway.env.example", commented: false), [], []),
    ];

    /// <summary>Settings an environment file shows as commented-out examples (<c># Key=Value</c>).</summary>
    public static IReadOnlyDictionary<string, string> CommentedExamples(string file) => EnvironmentFile(file, commented: true);

    public static Role? RoleOfImage(string? image) =>
        image?.Split(':')[0].Split('/')[^1] switch
        {
            SiloImage => Role.Silo,
            GatewayImage => Role.Gateway,
            _ => null,
        };

    public static HttpCheck Check(string kind, string url)
    {
        var uri = new Uri(url);
        return new HttpCheck(kind, uri.Port, uri.AbsolutePath);
    }

    /// <summary>Compose's <c>${VAR:-default}</c> and <c>${VAR}</c>, for a shell where VAR is not set.</summary>
    public static string Interpolate(string value) =>
        InterpolationPattern().Replace(value, m => m.Groups["default"].Value);

    private static string DownwardApiSample(string? fieldPath) => fieldPath switch
    {
        "metadata.name" => "dmvoice-silo-5d8f7c9b4-x2x7q",
        "metadata.namespace" => "dmvoice",
        "status.podIP" => "10.42.0.17",
        _ => throw new InvalidOperationException($"No sample for the downward API field '{fieldPath}'"),
    };

    private static int ResolvePort(string port, Dictionary<string, int> named) =>
        int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : named.TryGetValue(port, out var found) ? found : throw new InvalidOperationException($"No container port named '{port}'");

    private static Dictionary<string, string> EnvironmentFile(string file, bool commented)
    {
        var values = new Dictionary<string, string>();
        foreach (var raw in File.ReadAllLines(Path.Combine(Folder, "systemd", file)))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') != commented)
            {
                continue;
            }

            var match = AssignmentPattern().Match(commented ? line.TrimStart('#').Trim() : line);
            if (match.Success)
            {
                values[match.Groups["key"].Value] = match.Groups["value"].Value;
            }
        }

        return values;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DmVoice.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"DmVoice.sln was not found above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"https?://[^""\s\]]+")]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z0-9_]+)(:?-(?<default>[^}]*))?\}")]
    private static partial Regex InterpolationPattern();

    [GeneratedRegex(@"^(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>.*)$")]
    private static partial Regex AssignmentPattern();
}
