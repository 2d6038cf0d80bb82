using System.Net;
using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Hosting;
using DmVoice.Grains.Hosting;
using DmVoice.Grains.LiveKit;
using DmVoice.LiveKit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DmVoice.Gateway.Tests.Deploy;

/// <summary>
/// The Dockerfiles, compose.yaml, the Kubernetes manifests and the systemd environment files cannot
/// run here, so they are checked against the code: they parse, everything they set is something the
/// processes read, the processes would start with it, and the ports and paths probed are the ones
/// served.
/// </summary>
public sealed class DeployFilesTests
{
    private static IReadOnlyList<ProcessDefinition> AllProcesses() =>
    [
        DeployFiles.Dockerfile(Role.Silo),
        DeployFiles.Dockerfile(Role.Gateway),
        .. DeployFiles.ComposeProcesses(),
        .. DeployFiles.KubernetesProcesses(),
        .. DeployFiles.SystemdProcesses(),
    ];

    /// <summary>Full definitions of a running process (an image alone lacks Redis, keys, …).</summary>
    private static IReadOnlyList<ProcessDefinition> Deployed() =>
        [.. DeployFiles.ComposeProcesses(), .. DeployFiles.KubernetesProcesses(), .. DeployFiles.SystemdProcesses()];

    [Fact]
    public void Every_YAML_file_in_deploy_parses_and_every_Kubernetes_document_says_what_it_is()
    {
        var files = DeployFiles.YamlFiles();
        Assert.Contains(files, f => f.EndsWith("compose.yaml", StringComparison.Ordinal));
        Assert.True(files.Count(f => f.Contains($"{Path.DirectorySeparatorChar}k8s{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) >= 5);
        foreach (var file in files)
        {
            var documents = Yaml.LoadAll(File.ReadAllText(file));
            Assert.True(documents.Count > 0, $"{file} holds no YAML document");
        }

        foreach (var (file, document) in DeployFiles.Kubernetes())
        {
            Assert.False(string.IsNullOrEmpty(document["apiVersion"].Text), $"{file}: a document without apiVersion");
            Assert.False(string.IsNullOrEmpty(document["kind"].Text), $"{file}: a document without kind");
            if (document["kind"].Text != "Kustomization")
            {
                Assert.False(string.IsNullOrEmpty(document["metadata"]["name"].Text), $"{file}: a {document["kind"].Text} without metadata.name");
            }
        }

        // kustomization.yaml lists every manifest but the example Secret, which operators make themselves.
        var kustomization = DeployFiles.KubernetesKind("Kustomization").Single();
        var listed = kustomization["resources"].Items.Select(i => i.Text).ToHashSet();
        var manifests = Directory.EnumerateFiles(Path.Combine(DeployFiles.Folder, "k8s"), "*.yaml").Select(Path.GetFileName)
            .Where(f => f is not "kustomization.yaml" and not "secret.example.yaml");
        Assert.Equal(manifests.Order(), listed.Order());

        // The LiveKit server's own configuration, embedded in compose.yaml, is YAML too.
        var liveKit = DeployFiles.Compose()["services"]["livekit"]["environment"]["LIVEKIT_CONFIG"].Text;
        Assert.Single(Yaml.LoadAll(liveKit!));
    }

    [Fact]
    public void Every_environment_variable_the_deploy_files_set_binds_to_a_setting_the_processes_read()
    {
        var variables = AllProcesses().SelectMany(p => p.Environment.Select(kv => (p.Where, kv.Key, kv.Value)))
            .Concat(DeployFiles.CommentedExamples("silo.env.example").Select(kv => ("deploy/systemd/silo.env.example (commented)", kv.Key, kv.Value)))
            .Concat(DeployFiles.CommentedExamples("gateway.env.example").Select(kv => ("deploy/systemd/gateway.env.example (commented)", kv.Key, kv.Value)))
            .Concat(DeployFiles.KubernetesKind("ConfigMap").Concat(DeployFiles.KubernetesKind("Secret"))
                .Where(d => DeployFiles.KubernetesEnvironmentSources().Contains(d["metadata"]["name"].Text!))
                .SelectMany(d => d["data"].Entries.Concat(d["stringData"].Entries)
                    .Select(e => ($"deploy/k8s: {d["kind"].Text} {d["metadata"]["name"].Text}", e.Key, e.Value.Text ?? string.Empty))))
            .ToList();
        Assert.True(variables.Count > 50, $"only {variables.Count} variables found; is the reader still reading the files?");

        var problems = variables
            .Select(v => (v.Item1, v.Key, Problem: SettingsCatalog.Problem(v.Key, v.Item3)))
            .Where(v => v.Problem is not null)
            .Select(v => $"{v.Item1}: {v.Key} {v.Problem}")
            .Distinct()
            .ToList();
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Every_silo_and_gateway_the_deploy_files_define_runs_the_dotnet_runtime_settings_the_test_harness_runs()
    {
        // The benchmark's and the process tests' processes are only evidence for a deployment if both run alike.
        var processes = AllProcesses();
        Assert.True(processes.Count >= 6, $"only {processes.Count} processes found");
        var problems = (
            from process in processes
            from setting in DmVoice.TestSupport.Processes.DeployRuntime.Environment
            where process.Environment.GetValueOrDefault(setting.Key) != setting.Value
            select $"{process.Where}: {setting.Key} is '{process.Environment.GetValueOrDefault(setting.Key) ?? "(unset)"}', the harness runs '{setting.Value}'").ToList();
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void The_settings_reader_refuses_a_misspelt_or_renamed_setting()
    {
        // The check above is only as good as this: a typo, a removed property or a wrong type is caught.
        Assert.Null(SettingsCatalog.Problem("Cluster__AdvertisedIPAddress", "10.0.0.1"));
        Assert.Null(SettingsCatalog.Problem("LiveKit__SweepInterval", "00:00:30"));
        Assert.NotNull(SettingsCatalog.Problem("Cluster__AdvertisedIpAdress", "10.0.0.1"));
        Assert.NotNull(SettingsCatalog.Problem("Cluster__SiloPort", "eleven"));
        Assert.NotNull(SettingsCatalog.Problem("Clustre__Mode", "Redis"));
        Assert.NotNull(SettingsCatalog.Problem("ConnectionStrings__Postgres", "x"));
        Assert.NotNull(SettingsCatalog.Problem("CLUSTER_MODE", "Redis"));
    }

    [Fact]
    public void The_example_keys_refused_are_the_ones_this_repository_publishes()
    {
        var root = DeployFiles.RepositoryRoot;
        var published = new[]
        {
            File.ReadAllText(Path.Combine(root, "src", "Gateway", "appsettings.Development.json")),
            File.ReadAllText(Path.Combine(root, "deploy", "compose.yaml")),
            File.ReadAllText(Path.Combine(root, "deploy", "k8s", "secret.example.yaml")),
        };
        foreach (var key in AuthOptions.PublishedExampleKeys)
        {
            Assert.Contains(published, text => text.Contains(key, StringComparison.Ordinal));
        }

        var developmentKey = System.Text.Json.JsonDocument.Parse(published[0]).RootElement.GetProperty("Auth").GetProperty("SigningKey").GetString()!;
        Assert.Contains(developmentKey, AuthOptions.PublishedExampleKeys);
    }

    [Fact]
    public void Every_silo_and_gateway_the_deploy_files_define_passes_the_checks_the_process_makes_at_start()
    {
        var problems = new List<string>();
        foreach (var process in Deployed())
        {
            var configuration = SettingsCatalog.Configuration(process.Environment);
            var cluster = DmVoiceClusterOptions.From(configuration);
            var errors = new List<string>(cluster.GetValidationErrors());
            if (!cluster.UsesRedis)
            {
                errors.Add("Cluster:Mode is not Redis: a deployment of separate silos and gateways needs Redis mode");
            }

            if (string.IsNullOrWhiteSpace(configuration.GetConnectionString("Redis")))
            {
                errors.Add("ConnectionStrings:Redis is not set");
            }

            if (LiveKitRegistration.IsConfigured(configuration))
            {
                errors.AddRange(Bind<LiveKitOptions>(configuration, LiveKitOptions.SectionName).GetValidationErrors());
                errors.AddRange(Failures(new LiveKitSyncOptionsValidator().Validate(null, Bind<LiveKitSyncOptions>(configuration, LiveKitOptions.SectionName))));
            }

            if (process.Role == Role.Silo)
            {
                errors.AddRange(Failures(new CallOptionsValidator().Validate(null, Bind<CallOptions>(configuration, CallOptions.SectionName))));
                errors.AddRange(Failures(new ChannelOptionsValidator().Validate(null, Bind<ChannelOptions>(configuration, ChannelOptions.SectionName))));
                errors.AddRange(Bind<SiloManagementOptions>(configuration, SiloManagementOptions.SectionName).GetValidationErrors());
            }
            else
            {
                var environment = process.Environment.GetValueOrDefault("ASPNETCORE_ENVIRONMENT") ?? process.Environment.GetValueOrDefault("DOTNET_ENVIRONMENT") ?? "Production";
                var settings = new Dictionary<string, string>(process.Environment);
                if (process.Where.Contains("k8s", StringComparison.Ordinal)
                    && settings.TryGetValue("Auth__SigningKey", out var exampleKey) && AuthOptions.PublishedExampleKeys.Contains(exampleKey))
                {
                    // secret.example.yaml only shows the Secret's shape; applied as it is, its key must be refused.
                    var refused = Assert.Throws<InvalidOperationException>(() => GatewayApp.Build(
                        [$"--Auth:SigningKey={exampleKey}", $"--environment={environment}"]));
                    Assert.Contains("Auth:SigningKey", refused.Message, StringComparison.Ordinal);
                    settings["Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
                }

                try
                {
                    // The gateway's own start: it refuses unsafe auth settings while it is being built,
                    // and checks its other options before it starts.
                    var args = settings.Select(kv => $"--{kv.Key.Replace("__", ":", StringComparison.Ordinal)}={kv.Value}")
                        .Append($"--environment={environment}");
                    using var app = GatewayApp.Build([.. args]);
                    app.Services.GetRequiredService<IStartupValidator>().Validate();
                }
                catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException)
                {
                    errors.Add(ex.Message);
                }
            }

            problems.AddRange(errors.Select(e => $"{process.Where}: {e}"));
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public async Task Probes_and_declared_ports_match_what_the_silo_and_the_gateway_listen_on_and_serve()
    {
        var problems = new List<string>();
        var gatewayPaths = new HashSet<string>();
        foreach (var process in AllProcesses())
        {
            var configuration = SettingsCatalog.Configuration(process.Environment);
            var cluster = DmVoiceClusterOptions.From(configuration);
            Uri listen;
            Uri metrics;
            HashSet<int> served;
            if (process.Role == Role.Silo)
            {
                listen = new Uri(Bind<SiloManagementOptions>(configuration, SiloManagementOptions.SectionName).EffectiveUrls(cluster).Single());
                metrics = listen;
                served = [cluster.SiloPort, cluster.GatewayPort, listen.Port];
            }
            else
            {
                // A gateway serves its API and probes on Urls, and /metrics only on its management port.
                listen = new Uri(configuration["Urls"] ?? "http://unset");
                metrics = new Uri(GatewayManagement.From(configuration["Gateway:ManagementUrls"], cluster.UsesRedis, [listen.ToString()]).Urls.Single()
                    .Replace("://*", "://0.0.0.0", StringComparison.Ordinal));
                served = [listen.Port, metrics.Port];
            }

            foreach (var address in new[] { listen, metrics }.Distinct())
            {
                if (address.Host is not ("0.0.0.0" or "*" or "+" or "[::]"))
                {
                    problems.Add($"{process}: listens on {address.Host}, unreachable from other hosts");
                }
            }

            problems.AddRange(process.DeclaredPorts.Where(p => !served.Contains(p)).Select(p => $"{process}: declares port {p}, which it does not listen on ({string.Join(", ", served)})"));
            if (process.Where.Contains("k8s", StringComparison.Ordinal) || process.Where.EndsWith("Dockerfile", StringComparison.Ordinal))
            {
                problems.AddRange(served.Where(p => !process.DeclaredPorts.Contains(p)).Select(p => $"{process}: does not declare port {p}, which it listens on"));
            }

            foreach (var check in process.Checks)
            {
                var port = check.Kind == "metrics" ? metrics.Port : listen.Port;
                if (check.Port != port)
                {
                    problems.Add($"{process}: its {check.Kind} check uses port {check.Port}, but it is served on {port}");
                }

                var expected = check.Kind switch
                {
                    "readiness" or "healthcheck" => SiloManagementOptions.ReadyPath,
                    "liveness" or "startup" => SiloManagementOptions.LivePath,
                    _ => SiloManagementOptions.MetricsPath,
                };
                if (check.Path != expected)
                {
                    problems.Add($"{process}: its {check.Kind} check asks {check.Path}, expected {expected}");
                }

                if (process.Role == Role.Gateway)
                {
                    gatewayPaths.Add(check.Path);
                }
            }

            if (process.Where.Contains("k8s", StringComparison.Ordinal) || process.Where.EndsWith("Dockerfile", StringComparison.Ordinal) || process.Where.Contains("compose", StringComparison.Ordinal))
            {
                if (!process.Checks.Any(c => c.Kind is "readiness" or "healthcheck"))
                {
                    problems.Add($"{process}: nothing checks that it is ready");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));

        // The paths the silos are probed on are the ones the silo maps (SiloProcessTests asks a real silo
        // process for each); the gateway's are asked of a real gateway here.
        Assert.Equal([SiloManagementOptions.LivePath, SiloManagementOptions.ReadyPath, SiloManagementOptions.MetricsPath], gatewayPaths.Order());
        await using var gateway = await GatewayServer.StartAsync();
        foreach (var path in gatewayPaths)
        {
            using var http = new HttpClient { BaseAddress = path == GatewayManagement.MetricsPath ? gateway.ManagementAddress : gateway.BaseAddress };
            // Readiness may say 503 for a moment after start (until the gateway's first lease renewal is
            // stored), as a probe would see it; every path must answer 200 once the gateway is up.
            await Eventually.GetAsync(
                async () => (await http.GetAsync(path)).StatusCode,
                status => status == HttpStatusCode.OK,
                $"{path} to answer 200",
                TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task Compose_services_agree_on_the_cluster_Redis_LiveKit_and_auth_and_LiveKit_sends_its_webhooks_to_the_gateways()
    {
        var compose = DeployFiles.Compose();
        var services = compose["services"];
        var processes = DeployFiles.ComposeProcesses();
        Assert.Equal(2, processes.Count(p => p.Role == Role.Silo));
        Assert.Equal(2, processes.Count(p => p.Role == Role.Gateway));
        AssertShared(processes, "Cluster__ClusterId", "Cluster__ServiceId", "ConnectionStrings__Redis", "LiveKit__Url", "LiveKit__ApiKey", "LiveKit__ApiSecret");
        AssertShared(processes.Where(p => p.Role == Role.Gateway), "Auth__SigningKey", "Auth__Issuer", "Auth__Audience", "Auth__Authority", "Urls");

        // Redis is the "redis" service, on Redis' port.
        var redis = processes[0].Environment["ConnectionStrings__Redis"].Split(',')[0].Split(':');
        Assert.True(services[redis[0]].Exists, $"ConnectionStrings__Redis names '{redis[0]}', which is no service");
        Assert.Equal("6379", redis[1]);
        foreach (var (name, service) in services.Entries)
        {
            foreach (var (dependency, _) in service["depends_on"].Entries)
            {
                Assert.True(services[dependency].Exists, $"{name} depends on '{dependency}', which is no service");
            }
        }

        // The LiveKit profile: signs webhooks with the key the gateways verify, and sends them to every
        // gateway's /livekit/webhook on the port the gateways listen on.
        var liveKit = services["livekit"];
        Assert.Contains("livekit", liveKit["profiles"].Items.Select(p => p.Text));
        var config = Yaml.LoadAll(liveKit["environment"]["LIVEKIT_CONFIG"].Text!).Single();
        var gateways = processes.Where(p => p.Role == Role.Gateway).ToList();
        var apiKey = gateways[0].Environment["LiveKit__ApiKey"];
        Assert.Equal(apiKey, config["webhook"]["api_key"].Text);
        Assert.Equal(gateways[0].Environment["LiveKit__ApiSecret"], config["keys"][apiKey].Text);
        var gatewayPort = new Uri(gateways[0].Environment["Urls"]).Port;
        var webhooks = config["webhook"]["urls"].Items.Select(u => new Uri(u.Text!)).ToList();
        Assert.Equal(
            gateways.Select(g => g.Where.Split("services.")[1]).Order(),
            webhooks.Select(u => u.Host).Order());
        Assert.All(webhooks, u => Assert.Equal(gatewayPort, u.Port));
        Assert.All(webhooks, u => Assert.Equal("/livekit/webhook", u.AbsolutePath));
        Assert.Equal(7880, config["port"].Number);
        Assert.Contains(liveKit["ports"].Items, p => p.Text!.EndsWith(":7880", StringComparison.Ordinal));

        // That path is the gateway's webhook endpoint (without LiveKit configured it answers 503, not 404).
        await using var gateway = await GatewayServer.StartAsync();
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        using var content = new StringContent("{}", System.Text.Encoding.UTF8, "application/webhook+json");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.PostAsync(webhooks[0].AbsolutePath, content)).StatusCode);
    }

    [Fact]
    public void Kubernetes_objects_refer_to_each_other_correctly_and_give_the_silos_what_Orleans_Kubernetes_hosting_needs()
    {
        var processes = DeployFiles.KubernetesProcesses();
        var silo = Assert.Single(processes, p => p.Role == Role.Silo);
        Assert.Single(processes, p => p.Role == Role.Gateway);
        AssertShared(processes, "Cluster__ClusterId", "Cluster__ServiceId", "ConnectionStrings__Redis", "LiveKit__Url", "LiveKit__ApiKey", "LiveKit__ApiSecret");

        // Redis: the connection string names the Redis Service and its port.
        var redis = silo.Environment["ConnectionStrings__Redis"].Split(',')[0].Split(':');
        var redisService = DeployFiles.KubernetesKind("Service").Single(s => s["metadata"]["name"].Text == redis[0]);
        Assert.Contains(redisService["spec"]["ports"].Items, p => p["port"].Text == redis[1]);

        // Services, PodDisruptionBudgets and Deployments select pods that exist.
        var podLabels = DeployFiles.KubernetesKind("Deployment").Concat(DeployFiles.KubernetesKind("StatefulSet"))
            .Select(w => (Name: w["metadata"]["name"].Text, Labels: w["spec"]["template"]["metadata"]["labels"].Entries.ToDictionary(e => e.Key, e => e.Value.Text)))
            .ToList();
        foreach (var workload in DeployFiles.KubernetesKind("Deployment").Concat(DeployFiles.KubernetesKind("StatefulSet")))
        {
            var labels = podLabels.Single(p => p.Name == workload["metadata"]["name"].Text).Labels;
            Assert.All(workload["spec"]["selector"]["matchLabels"].Entries, e => Assert.Equal(e.Value.Text, labels.GetValueOrDefault(e.Key)));
            var account = workload["spec"]["template"]["spec"]["serviceAccountName"].Text;
            if (account is not null)
            {
                Assert.Contains(DeployFiles.KubernetesKind("ServiceAccount"), a => a["metadata"]["name"].Text == account);
            }
        }

        foreach (var selecting in DeployFiles.KubernetesKind("Service").Select(s => s["spec"]["selector"])
            .Concat(DeployFiles.KubernetesKind("PodDisruptionBudget").Select(b => b["spec"]["selector"]["matchLabels"])))
        {
            var wanted = selecting.Entries.ToDictionary(e => e.Key, e => e.Value.Text);
            Assert.Single(podLabels, p => wanted.All(w => p.Labels.GetValueOrDefault(w.Key) == w.Value));
        }

        Assert.Equal(2, DeployFiles.KubernetesKind("PodDisruptionBudget").Count());

        // The gateway Service forwards to the gateway's HTTP port.
        var gatewayDeployment = DeployFiles.KubernetesKind("Deployment").Single(d => d["metadata"]["name"].Text == "dmvoice-gateway");
        var gatewayPorts = gatewayDeployment["spec"]["template"]["spec"]["containers"].Items.Single()["ports"].Items.ToList();
        var gatewayService = DeployFiles.KubernetesKind("Service").Single(s => s["metadata"]["name"].Text == "dmvoice-gateway");
        var target = gatewayService["spec"]["ports"].Items.Single()["targetPort"].Text;
        Assert.Contains(gatewayPorts, p => p["name"].Text == target || p["containerPort"].Text == target);

        // Orleans' Kubernetes hosting: pod name, namespace and address from the downward API; a role that
        // may get, list, watch and patch pods, bound to the silos' service account; pods labelled with
        // the cluster's ids; time to hand grains over before the kill.
        Assert.Equal("true", silo.Environment["Cluster__Kubernetes"]);
        foreach (var variable in new[] { "POD_NAME", "POD_NAMESPACE", "POD_IP" })
        {
            Assert.True(silo.Environment.ContainsKey(variable), $"the silo container does not set {variable}");
        }

        var siloDeployment = DeployFiles.KubernetesKind("Deployment").Single(d => d["metadata"]["name"].Text == "dmvoice-silo");
        var siloPod = siloDeployment["spec"]["template"];
        var siloAccount = siloPod["spec"]["serviceAccountName"].Text;
        var binding = DeployFiles.KubernetesKind("RoleBinding").Single(b => b["subjects"].Items.Any(s => s["name"].Text == siloAccount));
        Assert.Equal(
            DeployFiles.KubernetesKind("Kustomization").Single()["namespace"].Text,
            binding["subjects"].Items.Single(s => s["name"].Text == siloAccount)["namespace"].Text);
        var role = DeployFiles.KubernetesKind("Role").Single(r => r["metadata"]["name"].Text == binding["roleRef"]["name"].Text);
        var podRule = role["rules"].Items.Single(r => r["resources"].Items.Any(i => i.Text == "pods"));
        Assert.Equal(new[] { "get", "list", "patch", "watch" }, podRule["verbs"].Items.Select(v => v.Text).Order());
        Assert.Equal(silo.Environment["Cluster__ServiceId"], siloPod["metadata"]["labels"]["orleans/serviceId"].Text);
        Assert.Equal(silo.Environment["Cluster__ClusterId"], siloPod["metadata"]["labels"]["orleans/clusterId"].Text);
        // The silo's shutdown timeout is 30 s (src/Silo/SiloSetup.cs); the pod must outlive it.
        Assert.True(siloPod["spec"]["terminationGracePeriodSeconds"].Number > 30);

        // Gateways need no Kubernetes API access.
        var gatewayAccount = DeployFiles.KubernetesKind("ServiceAccount").Single(a => a["metadata"]["name"].Text == gatewayDeployment["spec"]["template"]["spec"]["serviceAccountName"].Text);
        Assert.Equal("false", gatewayAccount["automountServiceAccountToken"].Text);
        Assert.DoesNotContain(DeployFiles.KubernetesKind("RoleBinding"), b => b["subjects"].Items.Any(s => s["name"].Text == gatewayAccount["metadata"]["name"].Text));
    }

    private static void AssertShared(IEnumerable<ProcessDefinition> processes, params string[] variables)
    {
        var list = processes.ToList();
        foreach (var variable in variables)
        {
            var values = list.Select(p => p.Environment.GetValueOrDefault(variable)).Distinct().ToList();
            Assert.True(values.Count == 1, $"{variable} differs between {string.Join(", ", list)}: {string.Join(" / ", values)}");
        }
    }

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new() => configuration.GetSection(section).Get<T>() ?? new T();

    private static IEnumerable<string> Failures(ValidateOptionsResult result) => result.Failed ? result.Failures ?? [] : [];
}
