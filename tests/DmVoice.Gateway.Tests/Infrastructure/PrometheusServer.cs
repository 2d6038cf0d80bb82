using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using DmVoice.Gateway.Tests.Deploy;
using YamlDotNet.RepresentationModel;

namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>
/// Debian's <c>prometheus</c> on a free port of 127.0.0.1 with a storage folder of its own, run with the
/// shipped deploy/prometheus/prometheus.yml and alerts.yml. Only what a test on one machine must change
/// is changed: each job's targets, and the intervals (1 s instead of 15 s). Disposing kills it and
/// deletes its folder.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string folder, Uri address)
    {
        _process = process;
        _folder = folder;
        Address = address;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Address { get; }

    /// <summary>Skips (or, under CI=true, fails) the test when Debian's prometheus is not installed.</summary>
    public static string RequireBinary() => TestEnvironment.RequireProgram("prometheus");

    /// <param name="targets">The addresses ("host:port") to scrape, by job name of the shipped configuration.</param>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, string[]> targets)
    {
        var binary = RequireBinary();
        var folder = Directory.CreateTempSubdirectory("dmvoice-prometheus-").FullName;
        var port = TestEnvironment.FreeTcpPort();
        File.WriteAllText(Path.Combine(folder, "prometheus.yml"), ShippedConfiguration(targets));

        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--config.file=" + Path.Combine(folder, "prometheus.yml"),
            "--storage.tsdb.path=" + Path.Combine(folder, "data"),
            $"--web.listen-address=127.0.0.1:{port}",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { log.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new PrometheusServer(process, folder, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await Eventually.GetAsync(
                async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"prometheus exited with {process.ExitCode}:\n{string.Join('\n', log)}");
                    }

                    try
                    {
                        return (await server._http.GetAsync("-/ready")).IsSuccessStatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                },
                ready => ready,
                "prometheus to be ready",
                TimeSpan.FromSeconds(30));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>deploy/prometheus/prometheus.yml with the given targets, 1 s intervals and alerts.yml by its full path.</summary>
    public static string ShippedConfiguration(IReadOnlyDictionary<string, string[]> targets)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(DeployFiles.Folder, "prometheus", "prometheus.yml"))));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var global = (YamlMappingNode)root["global"];
        global.Children[new YamlScalarNode("scrape_interval")] = new YamlScalarNode("1s");
        global.Children[new YamlScalarNode("scrape_timeout")] = new YamlScalarNode("1s");
        global.Children[new YamlScalarNode("evaluation_interval")] = new YamlScalarNode("1s");
        var rules = (YamlSequenceNode)root["rule_files"];
        var shippedRules = rules.Children.Select(r => ((YamlScalarNode)r).Value!).ToList();
        rules.Children.Clear();
        foreach (var file in shippedRules)
        {
            rules.Add(new YamlScalarNode(Path.Combine(DeployFiles.Folder, "prometheus", file)));
        }

        foreach (var job in ((YamlSequenceNode)root["scrape_configs"]).Children.Cast<YamlMappingNode>())
        {
            var name = ((YamlScalarNode)job["job_name"]).Value!;
            var list = new YamlSequenceNode(targets[name].Select(t => new YamlScalarNode(t)));
            job.Children[new YamlScalarNode("static_configs")] = new YamlSequenceNode(new YamlMappingNode(new YamlScalarNode("targets"), list));
        }

        var text = new StringWriter();
        stream.Save(text, assignAnchors: false);
        return text.ToString();
    }

    /// <summary>Evaluates <paramref name="expression"/> now; throws when Prometheus refuses it.</summary>
    public async Task<JsonElement> QueryAsync(string expression)
    {
        var response = await _http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(expression));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (body.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus refused '{expression}': {body}");
        }

        return body.GetProperty("data").GetProperty("result");
    }

    /// <summary>Every alert that is pending or firing now: name, state and labels.</summary>
    public async Task<IReadOnlyList<(string Name, string State, JsonElement Labels)>> AlertsAsync()
    {
        var body = await _http.GetFromJsonAsync<JsonElement>("api/v1/alerts");
        return body.GetProperty("data").GetProperty("alerts").EnumerateArray()
            .Select(a => (a.GetProperty("labels").GetProperty("alertname").GetString()!, a.GetProperty("state").GetString()!, a.GetProperty("labels")))
            .ToList();
    }

    /// <summary>Each scrape target's job, address and health ("up", "down", "unknown").</summary>
    public async Task<IReadOnlyList<(string Job, string Instance, string Health)>> TargetsAsync()
    {
        var body = await _http.GetFromJsonAsync<JsonElement>("api/v1/targets");
        return body.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
            .Select(t => (t.GetProperty("labels").GetProperty("job").GetString()!, t.GetProperty("labels").GetProperty("instance").GetString()!, t.GetProperty("health").GetString()!))
            .ToList();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open: the folder is in the system's temporary directory.
        }
    }
}
