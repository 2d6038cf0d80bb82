using System.Diagnostics;
using System.Globalization;
using DmVoice.Benchmarks.Report;

namespace DmVoice.Benchmarks.Load;

/// <summary>
/// The server counters of a system whose servers are other processes, read from their Prometheus
/// <c>/metrics</c> endpoints at the start and the end of a window instead of heard in-process. Only
/// the instruments the report uses are mapped (grain calls, Orleans requests dispatched, storage
/// writes, stream messages and polls, deliveries to gateways, events pushed, the voice-presence request count and mean), summed
/// over every process and tag set, as <see cref="CounterWindow"/>s like <see cref="ServerCounters"/>
/// gives. Histograms arrive as buckets, so there are no p50/p99 here, only counts and sums; stream
/// queue polls are not countable (the exporter has only their total duration). The
/// exporter caches a scrape for a few hundred milliseconds, so a window's edges may be that much off.
/// </summary>
public sealed class ScrapedCounters(IReadOnlyList<Uri> metricsAddresses)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Prometheus family name prefix → the instrument it is, as the in-process listener names it.</summary>
    private static readonly (string Prefix, string Instrument, string Kind)[] Mapped =
    [
        ("orleans_app_requests_latency", Stages.GrainCallsHistogram, "histogram"),
        ("orleans_messaging_processing_dispatcher_received", Stages.DispatcherReceived, "counter"),
        ("orleans_storage_write_latency", Stages.StorageWrite, "histogram"),
        ("orleans_streams_persistent_stream_messages_sent", Stages.StreamMessagesSent, "counter"),
        ("dmvoice_gateway_events_delivered", Stages.EventsDelivered, "counter"),
        ("dmvoice_gateway_deliveries_received", Stages.DeliveriesReceived, "counter"),
        ("http_server_request_duration", ServerCounters.RequestDuration, "histogram"),
    ];

    private Dictionary<string, double> _atBegin = [];
    private long _begunAt;

    public async Task BeginAsync()
    {
        _atBegin = await ScrapeAsync();
        _begunAt = Stopwatch.GetTimestamp();
    }

    public async Task<CounterWindow> EndAsync()
    {
        var seconds = Stopwatch.GetElapsedTime(_begunAt).TotalSeconds;
        var atEnd = await ScrapeAsync();
        double Delta(string key) => atEnd.GetValueOrDefault(key) - _atBegin.GetValueOrDefault(key);

        var series = new Dictionary<string, CounterValue>(StringComparer.Ordinal);
        foreach (var (_, instrument, kind) in Mapped)
        {
            var key = instrument == ServerCounters.RequestDuration ? ServerCounters.VoicePresenceRequests : instrument;
            if (!atEnd.ContainsKey(key + "#count"))
            {
                continue;
            }

            var count = Delta(key + "#count");
            var sum = Delta(key + "#sum");
            // Request durations are exported in seconds, as the listener hears them; the rest keep their unit.
            series[key] = kind == "histogram"
                ? new CounterValue(kind, count, sum, count > 0 ? sum / count : null, null, null)
                : new CounterValue(kind, count, sum, null, null, null);
        }

        return new CounterWindow(Math.Round(seconds, 3), series, false, [.. series.Keys.Select(ServerCounters.InstrumentOf).Distinct().Order(StringComparer.Ordinal)], FromMetricsEndpoints: true);
    }

    /// <summary>Every mapped value of every process, summed: "instrument#count" and "instrument#sum".</summary>
    private async Task<Dictionary<string, double>> ScrapeAsync()
    {
        var texts = await Task.WhenAll(metricsAddresses.Select(address => Http.GetStringAsync(address)));
        var totals = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in texts.SelectMany(t => t.Split('\n')))
        {
            if (line.Length == 0 || line[0] == '#' || Parse(line) is not var (family, labels, value))
            {
                continue;
            }

            foreach (var (prefix, instrument, kind) in Mapped)
            {
                if (!family.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                string key;
                if (instrument == ServerCounters.RequestDuration)
                {
                    // Only the join, state and leave routes, as in-process.
                    if (!labels.Contains("voice-presence", StringComparison.Ordinal))
                    {
                        break;
                    }

                    key = ServerCounters.VoicePresenceRequests;
                }
                else
                {
                    key = instrument;
                }

                var part = kind == "histogram"
                    ? family.EndsWith("_count", StringComparison.Ordinal) ? "#count" : family.EndsWith("_sum", StringComparison.Ordinal) ? "#sum" : null
                    : "#sum";
                if (part is not null)
                {
                    totals[key + part] = totals.GetValueOrDefault(key + part) + value;
                    if (kind != "histogram")
                    {
                        // A counter's "count" is present whenever it is, so the window knows the instrument exists.
                        totals.TryAdd(key + "#count", 0);
                    }
                }

                break;
            }
        }

        return totals;
    }

    /// <summary>"name{labels} value" or "name value" (an optional timestamp after the value is ignored).</summary>
    private static (string Family, string Labels, double Value)? Parse(string line)
    {
        var brace = line.IndexOf('{', StringComparison.Ordinal);
        var space = line.LastIndexOf('}') is var close and >= 0 && brace >= 0 ? line.IndexOf(' ', close) : line.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            return null;
        }

        var family = brace >= 0 && brace < space ? line[..brace] : line[..space];
        var labels = brace >= 0 && brace < space ? line[brace..space] : string.Empty;
        var valueText = line[(space + 1)..].Split(' ', 2)[0];
        return double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? (family, labels, value) : null;
    }
}
