using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Gateway.Tests.Infrastructure;

/// <summary>
/// Reads instruments of one gateway (and its co-hosted silo) as the exporter would, without the other
/// servers of the test process: the exporter behind /metrics subscribes to meters by name, so in a test
/// process it sums every server's. Counters and histograms count what was recorded since the reader
/// started; gauges are read when asked. Process-wide meters (created without a factory) are read whole.
/// </summary>
public sealed class MetricReader : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, KeyValuePair<string, object?>[] Tags, double Value)> _recorded = [];
    private readonly List<(string Instrument, KeyValuePair<string, object?>[] Tags, double Value)> _observed = [];
    private bool _observing;

    public MetricReader(GatewayServer server, params string[] instruments)
    {
        var factory = server.Services.GetRequiredService<IMeterFactory>();
        var names = instruments.ToHashSet(StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (names.Contains(instrument.Name) && (instrument.Meter.Scope == factory || instrument.Meter.Scope is null))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Add(i, tags, value));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Add(i, tags, value));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Add(i, tags, value));
        _listener.Start();
    }

    /// <summary>The sum of what a counter recorded since the reader started, over the measurements with all the tags.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] tags)
    {
        lock (_recorded)
        {
            return _recorded.Where(r => r.Instrument == instrument && Matches(r.Tags, tags)).Sum(r => r.Value);
        }
    }

    /// <summary>How many values a histogram recorded since the reader started, and how many of them were at most <paramref name="atMost"/>.</summary>
    public (int Count, int AtMost) Histogram(string instrument, double atMost, params (string Key, string Value)[] tags)
    {
        lock (_recorded)
        {
            var values = _recorded.Where(r => r.Instrument == instrument && Matches(r.Tags, tags)).Select(r => r.Value).ToList();
            return (values.Count, values.Count(v => v <= atMost));
        }
    }

    /// <summary>A gauge's (or observable counter's) current value, summed over the measurements with all the tags.</summary>
    public double Observe(string instrument, params (string Key, string Value)[] tags)
    {
        lock (_observed)
        {
            _observed.Clear();
            _observing = true;
            try
            {
                _listener.RecordObservableInstruments();
            }
            finally
            {
                _observing = false;
            }

            return _observed.Where(r => r.Instrument == instrument && Matches(r.Tags, tags)).Sum(r => r.Value);
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags, double value)
    {
        var entry = (instrument.Name, tags.ToArray(), value);
        if (instrument.IsObservable)
        {
            if (_observing)
            {
                _observed.Add(entry);
            }

            return;
        }

        lock (_recorded)
        {
            _recorded.Add(entry);
        }
    }

    private static bool Matches(KeyValuePair<string, object?>[] recorded, (string Key, string Value)[] wanted) =>
        wanted.All(w => recorded.Any(r => r.Key == w.Key && r.Value?.ToString() == w.Value));
}
