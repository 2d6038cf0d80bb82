using System.Diagnostics;
using System.Text.RegularExpressions;
using DmVoice.Grains.Hosting;

namespace DmVoice.Gateway.Tests.Deploy;

/// <summary>
/// What an operator on call is given: Prometheus' scrape config and alerts (deploy/prometheus), the
/// Grafana dashboard (deploy/grafana), and Compose and Kubernetes running them. PrometheusAlertTests
/// (tests/DmVoice.Gateway.Tests/Cluster) runs the real Prometheus against real processes.
/// </summary>
public sealed partial class MonitoringFilesTests
{
    [Fact]
    public async Task Promtool_accepts_the_scrape_config_and_the_alerts_and_every_alert_passes_its_unit_tests()
    {
        var promtool = TestEnvironment.RequireProgram("promtool");

        var config = await RunAsync(promtool, MonitoringFiles.PrometheusFolder, "check", "config", MonitoringFiles.ScrapeConfigFile);
        Assert.True(config.ExitCode == 0, config.Output);
        Assert.Contains($"{MonitoringFiles.Alerts().Count} rules found", config.Output, StringComparison.Ordinal);

        var tests = await RunAsync(promtool, MonitoringFiles.PrometheusFolder, "test", "rules", Path.GetFileName(MonitoringFiles.AlertTestsFile));
        Assert.True(tests.ExitCode == 0, tests.Output);
        Assert.Contains("SUCCESS", tests.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_says_how_urgent_it_is_what_is_wrong_and_where_its_runbook_is_and_is_tested_firing_and_quiet()
    {
        var alerts = MonitoringFiles.Alerts();
        Assert.True(alerts.Count >= 10, $"only {alerts.Count} alerts");
        Assert.Equal(alerts.Count, alerts.Select(a => a.Name).Distinct().Count());
        var readme = File.ReadAllText(Path.Combine(DeployFiles.Folder, "README.md"));
        var headings = HeadingPattern().Matches(readme).Select(m => m.Groups["title"].Value.Trim()).ToHashSet(StringComparer.Ordinal);
        var tests = MonitoringFiles.AlertTests();
        var problems = new List<string>();
        foreach (var alert in alerts)
        {
            if (alert.Labels.GetValueOrDefault("severity") is not ("page" or "ticket"))
            {
                problems.Add($"{alert}: severity is neither page nor ticket");
            }

            if (string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault("summary")))
            {
                problems.Add($"{alert}: no summary");
            }

            // GitHub's anchor for a heading "### DmVoiceGhostParticipants" is its lower-cased text.
            if (alert.Annotations.GetValueOrDefault("runbook") != "deploy/README.md#" + alert.Name.ToLowerInvariant())
            {
                problems.Add($"{alert}: runbook is '{alert.Annotations.GetValueOrDefault("runbook")}', not deploy/README.md#{alert.Name.ToLowerInvariant()}");
            }

            if (!headings.Contains(alert.Name))
            {
                problems.Add($"{alert}: deploy/README.md has no section '### {alert.Name}'");
            }

            if (!tests.Any(t => t.Alert == alert.Name && t.ExpectsAlerts))
            {
                problems.Add($"{alert}: alerts.test.yml never expects it to fire");
            }

            if (!tests.Any(t => t.Alert == alert.Name && !t.ExpectsAlerts))
            {
                problems.Add($"{alert}: alerts.test.yml never expects it to stay quiet");
            }
        }

        // And no runbook for an alert that no longer exists.
        problems.AddRange(headings.Where(h => h.StartsWith("DmVoice", StringComparison.Ordinal) && alerts.All(a => a.Name != h))
            .Select(h => $"deploy/README.md has a runbook for '{h}', which is no alert"));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Every_dashboard_panel_asks_Prometheus_about_metrics_by_name()
    {
        var queries = MonitoringFiles.DashboardQueries();
        Assert.True(queries.Count >= 12, $"only {queries.Count} queries");
        Assert.All(queries, q => Assert.NotEmpty(MonitoringFiles.MetricNames(q.Expression)));

        // The reader of expressions finds names, and only names.
        Assert.Equal(
            ["dmvoice_gateway_event_delivery_duration_seconds_bucket"],
            MonitoringFiles.MetricNames("histogram_quantile(0.99, sum by (instance, le) (rate(dmvoice_gateway_event_delivery_duration_seconds_bucket{job=\"x\",le!=\"+Inf\"}[5m] offset 1d)))").Order());
        Assert.Equal(
            ["dmvoice_rings_stopped_total", "up"],
            MonitoringFiles.MetricNames("sum(rate(dmvoice_rings_stopped_total[30m])) > 2 * up and on (job) up").Order());
    }

    [Fact]
    public void The_scrape_config_scrapes_every_Compose_silo_and_gateway_on_its_management_port()
    {
        var config = Yaml.LoadAll(File.ReadAllText(MonitoringFiles.ScrapeConfigFile)).Single();
        Assert.Equal(["alerts.yml"], config["rule_files"].Items.Select(r => r.Text));
        var jobs = config["scrape_configs"].Items.ToDictionary(j => j["job_name"].Text!, j => j);
        Assert.Equal(["dmvoice-gateway", "dmvoice-silo"], jobs.Keys.Order());

        // Every alert names these jobs (or none).
        foreach (var alert in MonitoringFiles.Alerts())
        {
            foreach (Match job in JobPattern().Matches(alert.Expression))
            {
                Assert.Contains(job.Groups["job"].Value, jobs.Keys);
            }
        }

        foreach (var role in new[] { Role.Silo, Role.Gateway })
        {
            var job = jobs[role == Role.Silo ? "dmvoice-silo" : "dmvoice-gateway"];
            Assert.Equal(SiloManagementOptions.MetricsPath, job["metrics_path"].Text);
            var expected = DeployFiles.ComposeProcesses().Where(p => p.Role == role).Select(p =>
            {
                var service = p.Where.Split("services.")[1];
                var url = role == Role.Silo ? p.Environment["Silo__ManagementUrls"] : p.Environment["Gateway__ManagementUrls"];
                return $"{service}:{new Uri(url).Port}";
            });
            Assert.Equal(expected.Order(), job["static_configs"].Items.SelectMany(s => s["targets"].Items).Select(t => t.Text).Order());
        }
    }

    [Fact]
    public void Compose_runs_Prometheus_with_the_shipped_config_and_alerts_and_Grafana_with_the_dashboard()
    {
        var services = DeployFiles.Compose()["services"];
        var prometheus = services["prometheus"];
        Assert.False(prometheus["profiles"].Exists, "Prometheus must come up with a plain 'docker compose up'");
        Assert.Contains("./prometheus:/etc/prometheus:ro", prometheus["volumes"].Items.Select(v => v.Text));
        Assert.Contains("--config.file=/etc/prometheus/prometheus.yml", prometheus["command"].Items.Select(c => c.Text));
        Assert.Contains(prometheus["ports"].Items, p => p.Text == "127.0.0.1:9090:9090");

        var grafana = services["grafana"];
        var mounts = grafana["volumes"].Items.Select(v => v.Text!).ToList();
        Assert.Contains("./grafana/dashboards:/var/lib/grafana/dashboards:ro", mounts);
        Assert.Contains("./grafana/provisioning:/etc/grafana/provisioning:ro", mounts);
        var provider = Yaml.LoadAll(File.ReadAllText(Path.Combine(DeployFiles.Folder, "grafana", "provisioning", "dashboards", "dmvoice.yaml"))).Single();
        Assert.Equal("/var/lib/grafana/dashboards", provider["providers"].Items.Single()["options"]["path"].Text);
        var source = Yaml.LoadAll(File.ReadAllText(Path.Combine(DeployFiles.Folder, "grafana", "provisioning", "datasources", "prometheus.yaml"))).Single();
        Assert.Equal("http://prometheus:9090", source["datasources"].Items.Single()["url"].Text);
    }

    [Fact]
    public void Kubernetes_runs_Prometheus_with_the_shipped_alerts_and_scrapes_the_annotated_silo_and_gateway_pods_under_the_same_job_names()
    {
        var map = DeployFiles.KubernetesKind("ConfigMap").Single(m => m["metadata"]["name"].Text == "dmvoice-prometheus");
        Assert.Equal(File.ReadAllText(MonitoringFiles.AlertsFile), map["data"]["alerts.yml"].Text);

        var config = Yaml.LoadAll(map["data"]["prometheus.yml"].Text!).Single();
        var deployment = DeployFiles.KubernetesKind("Deployment").Single(d => d["metadata"]["name"].Text == "dmvoice-prometheus");
        var pod = deployment["spec"]["template"]["spec"];
        var container = pod["containers"].Items.Single();
        var mount = container["volumeMounts"].Items.Single(m => pod["volumes"].Items.Any(v => v["name"].Text == m["name"].Text && v["configMap"]["name"].Text == "dmvoice-prometheus"));
        Assert.Equal([mount["mountPath"].Text + "/alerts.yml"], config["rule_files"].Items.Select(r => r.Text));
        Assert.Contains($"--config.file={mount["mountPath"].Text}/prometheus.yml", container["args"].Items.Select(a => a.Text));

        // Pods annotated for scraping, named by component into the jobs the alerts use.
        var relabels = config["scrape_configs"].Items.Single()["relabel_configs"].Items.ToList();
        Assert.Contains(relabels, r => r["action"].Text == "keep" && r["source_labels"].Items.Single().Text == "__meta_kubernetes_pod_annotation_prometheus_io_scrape" && r["regex"].Text == "true");
        var naming = relabels.Single(r => r["target_label"].Text == "job");
        Assert.Equal("__meta_kubernetes_pod_label_app_kubernetes_io_component", naming["source_labels"].Items.Single().Text);
        Assert.Equal("dmvoice-$1", naming["replacement"].Text);
        foreach (var component in new[] { "silo", "gateway" })
        {
            var workload = DeployFiles.KubernetesKind("Deployment").Single(d => d["metadata"]["name"].Text == "dmvoice-" + component);
            Assert.Equal(component, workload["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"].Text);
            Assert.Equal("true", workload["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"].Text);
        }

        // It may only look at pods.
        var role = DeployFiles.KubernetesKind("Role").Single(r => r["metadata"]["name"].Text == "dmvoice-prometheus");
        Assert.Equal(["pods"], role["rules"].Items.SelectMany(r => r["resources"].Items).Select(r => r.Text));
        Assert.Equal(["get", "list", "watch"], role["rules"].Items.SelectMany(r => r["verbs"].Items).Select(v => v.Text).Order());
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output + await error);
    }

    [GeneratedRegex(@"(?m)^###\s+(?<title>.+)$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"job=""(?<job>[^""]+)""")]
    private static partial Regex JobPattern();
}
