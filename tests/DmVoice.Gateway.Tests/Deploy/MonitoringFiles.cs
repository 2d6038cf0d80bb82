using System.Text.Json;
using System.Text.RegularExpressions;

namespace DmVoice.Gateway.Tests.Deploy;

/// <summary>One alerting rule of deploy/prometheus/alerts.yml.</summary>
public sealed record AlertRule(string Name, string Expression, string? For, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations)
{
    public override string ToString() => Name;
}

/// <summary>One query of a panel of deploy/grafana/dashboards/dmvoice.json.</summary>
public sealed record DashboardQuery(string Panel, string Expression)
{
    public override string ToString() => $"{Panel}: {Expression}";
}

/// <summary>Reads deploy/prometheus and deploy/grafana: the alerts, their promtool tests and the dashboard.</summary>
public static partial class MonitoringFiles
{
    public static string PrometheusFolder => Path.Combine(DeployFiles.Folder, "prometheus");

    public static string AlertsFile => Path.Combine(PrometheusFolder, "alerts.yml");

    public static string AlertTestsFile => Path.Combine(PrometheusFolder, "alerts.test.yml");

    public static string ScrapeConfigFile => Path.Combine(PrometheusFolder, "prometheus.yml");

    public static string DashboardFile => Path.Combine(DeployFiles.Folder, "grafana", "dashboards", "dmvoice.json");

    public static IReadOnlyList<AlertRule> Alerts() => Alerts(File.ReadAllText(AlertsFile));

    public static IReadOnlyList<AlertRule> Alerts(string text) =>
        Yaml.LoadAll(text).Single()["groups"].Items
            .SelectMany(g => g["rules"].Items)
            .Where(r => r["alert"].Exists)
            .Select(r => new AlertRule(
                r["alert"].Text!,
                r["expr"].Text!,
                r["for"].Text,
                r["labels"].Entries.ToDictionary(e => e.Key, e => e.Value.Text ?? string.Empty),
                r["annotations"].Entries.ToDictionary(e => e.Key, e => e.Value.Text ?? string.Empty)))
            .ToList();

    /// <summary>The alert test cases of alerts.test.yml: the alert, and whether it expects the alert to fire.</summary>
    public static IReadOnlyList<(string Group, string Alert, bool ExpectsAlerts)> AlertTests() =>
        Yaml.LoadAll(File.ReadAllText(AlertTestsFile)).Single()["tests"].Items
            .SelectMany(t => t["alert_rule_test"].Items.Select(c => (t["name"].Text ?? "?", c["alertname"].Text!, c["exp_alerts"].Items.Any())))
            .ToList();

    public static IReadOnlyList<DashboardQuery> DashboardQueries()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(DashboardFile));
        var queries = new List<DashboardQuery>();
        foreach (var panel in json.RootElement.GetProperty("panels").EnumerateArray())
        {
            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }

            foreach (var target in targets.EnumerateArray())
            {
                queries.Add(new DashboardQuery(panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!));
            }
        }

        return queries;
    }

    /// <summary>
    /// The metric names a PromQL expression reads: identifiers left once strings, label matchers, range
    /// and grouping clauses, function names and keywords are taken out.
    /// </summary>
    public static IReadOnlySet<string> MetricNames(string expression)
    {
        var text = StringPattern().Replace(expression, " ");
        text = MatcherPattern().Replace(text, " ");
        text = RangePattern().Replace(text, " ");
        text = GroupingPattern().Replace(text, " ");
        return IdentifierPattern().Matches(text)
            .Where(m => !Keywords.Contains(m.Value))
            .Select(m => m.Value)
            .ToHashSet(StringComparer.Ordinal);
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "inf", "nan", "Inf", "NaN",
    };

    [GeneratedRegex(@"""(\\.|[^""\\])*""|'(\\.|[^'\\])*'")]
    private static partial Regex StringPattern();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex MatcherPattern();

    [GeneratedRegex(@"\[[^\]]*\]|\boffset\s+\w+")]
    private static partial Regex RangePattern();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex GroupingPattern();

    // A name not followed by "(" (a function or an aggregation) and not part of a number.
    [GeneratedRegex(@"(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\()(?![\w:])")]
    private static partial Regex IdentifierPattern();
}
