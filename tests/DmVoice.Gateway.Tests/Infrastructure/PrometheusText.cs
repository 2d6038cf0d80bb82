using System.Globalization;
using System.Text.RegularExpressions;

namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>Reads the Prometheus text a <c>/metrics</c> endpoint serves, as a scraper would.</summary>
public static partial class PrometheusText
{
    /// <summary>One scrape of <paramref name="baseAddress"/>'s /metrics.</summary>
    public static async Task<string> ScrapeAsync(Uri baseAddress, string path = "/metrics")
    {
        using var http = new HttpClient { BaseAddress = baseAddress };
        using var response = await http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of the samples of <paramref name="name"/> that carry every one of <paramref name="labels"/>; null when there is none.</summary>
    public static double? Sum(string text, string name, params (string Label, string Value)[] labels)
    {
        double? sum = null;
        foreach (Match sample in SamplePattern().Matches(text))
        {
            if (sample.Groups["name"].Value != name)
            {
                continue;
            }

            var present = LabelPattern().Matches(sample.Groups["labels"].Value).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value);
            if (labels.All(l => present.TryGetValue(l.Label, out var value) && value == l.Value))
            {
                sum = (sum ?? 0) + double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    /// <summary>Every metric name with at least one sample.</summary>
    public static IReadOnlySet<string> Names(string text) =>
        SamplePattern().Matches(text).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>Scrapes until <paramref name="done"/> holds for the sum (the exporter caches a scrape briefly).</summary>
    public static Task<double?> WaitForAsync(Uri baseAddress, string name, (string, string)[] labels, Func<double?, bool> done, string what, TimeSpan? timeout = null) =>
        Eventually.GetAsync(async () => Sum(await ScrapeAsync(baseAddress), name, labels), done, what, timeout);

    [GeneratedRegex(@"(?m)^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[^ \n]+)")]
    private static partial Regex SamplePattern();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
    private static partial Regex LabelPattern();
}
