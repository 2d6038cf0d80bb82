using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Numerics;
using Microsoft.Extensions.DependencyInjection;

namespace DmVoice.Benchmarks.Load;

/// <summary>
/// Listens in-process to the meters of the system under test (DmVoice's own, Orleans' and ASP.NET
/// Core's request timing), so that a phase can say where its time went: server-side request time,
/// grain calls, storage writes, Orleans messages and events pushed, per REST operation. Only meters
/// created by the system's own hosts (their <see cref="IMeterFactory"/>) or without a scope are heard,
/// and measurements count only inside a window (<see cref="Begin"/> … <see cref="End"/>), so setup and
/// memory snapshots are not disturbed.
/// </summary>
public sealed class ServerCounters : IDisposable
{
    public const string GatewayMeter = "DmVoice.Gateway";
    public const string CallsMeter = "DmVoice.Calls";
    public const string OrleansMeter = "Microsoft.Orleans";
    public const string HostingMeter = "Microsoft.AspNetCore.Hosting";

    /// <summary>Presence and lease traffic of a gateway (tag <c>kind</c>: lease_renewal, connection_opened, ...).</summary>
    public const string PresenceMessages = "dmvoice.gateway.presence.messages";

    /// <summary>ASP.NET Core's server-side request duration (seconds), from request start to response end.</summary>
    public const string RequestDuration = "http.server.request.duration";

    /// <summary>Request durations of the voice-presence routes (join, state, leave) together.</summary>
    public const string VoicePresenceRequests = RequestDuration + "{http.route=*voice-presence*}";

    public static readonly string[] MeterNames = [GatewayMeter, CallsMeter, OrleansMeter, HostingMeter];

    /// <summary>Tags kept in a series' key. Others (silo addresses, ports, protocol versions) would only split series.</summary>
    private static readonly HashSet<string> KeptTags = new(StringComparer.Ordinal)
    {
        "http.route", "http.request.method", "event", "kind", "reason", "outcome", "result", "state_name", "Direction", "MessageDirection", "Context", "Status", "type", "grain_type",
    };

    /// <summary>Histograms whose every value is kept, for percentiles; the others keep count and sum.</summary>
    private static readonly HashSet<string> SampledInstruments = new(StringComparer.Ordinal)
    {
        RequestDuration, "orleans-storage-write-latency", "orleans-storage-read-latency",
    };

    /// <summary>Four of these fire on every grain call; nothing reported uses them, so they are not listened to.</summary>
    private const string SkippedPrefix = "orleans-directory-lookups";

    private readonly MeterListener _listener = new();
    private readonly HashSet<object> _scopes;
    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _instruments = new(StringComparer.Ordinal);
    private Dictionary<string, double>? _observing;
    private Dictionary<string, double> _observedAtBegin = new(StringComparer.Ordinal);
    private long _begunAt;
    private readonly bool _sample;
    private volatile bool _recording;

    /// <param name="sample">Keep every value of the sampled histograms (for percentiles); off where memory is being measured.</param>
    public ServerCounters(IEnumerable<IServiceProvider> hosts, bool sample = true)
    {
        _sample = sample;
        _scopes = hosts.Select(h => h.GetService<IMeterFactory>()).OfType<object>().ToHashSet(ReferenceEqualityComparer.Instance);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (Array.IndexOf(MeterNames, instrument.Meter.Name) >= 0 &&
                (instrument.Meter.Scope is null || _scopes.Contains(instrument.Meter.Scope)) &&
                !instrument.Name.StartsWith(SkippedPrefix, StringComparison.Ordinal))
            {
                _instruments[instrument.Name] = KindOf(instrument);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.SetMeasurementEventCallback<int>(OnMeasurement);
        _listener.SetMeasurementEventCallback<short>(OnMeasurement);
        _listener.SetMeasurementEventCallback<byte>(OnMeasurement);
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.SetMeasurementEventCallback<float>(OnMeasurement);
        _listener.SetMeasurementEventCallback<decimal>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Whether an instrument of that name has been published by the system so far.</summary>
    public bool HasInstrument(string name) => _instruments.ContainsKey(name);

    /// <summary>Starts a window: forgets earlier measurements and reads the observable counters' starting values.</summary>
    public void Begin()
    {
        _recording = false;
        _series.Clear();
        _observedAtBegin = Observe();
        _begunAt = Stopwatch.GetTimestamp();
        _recording = true;
    }

    /// <summary>Ends the window and returns what was measured in it.</summary>
    public CounterWindow End()
    {
        _recording = false;
        var seconds = Stopwatch.GetElapsedTime(_begunAt).TotalSeconds;
        var observedAtEnd = Observe();
        var result = new SortedDictionary<string, CounterValue>(StringComparer.Ordinal);
        foreach (var (key, series) in _series)
        {
            result[key] = series.Summarize(_instruments.GetValueOrDefault(InstrumentOf(key), "?"));
        }

        foreach (var (key, end) in observedAtEnd)
        {
            var kind = _instruments.GetValueOrDefault(InstrumentOf(key), "?");
            var value = kind == "observable-counter" ? end - _observedAtBegin.GetValueOrDefault(key) : end;
            result[key] = new CounterValue(kind, value, value, null, null, null);
        }

        _series.Clear();
        return new CounterWindow(
            Math.Round(seconds, 3),
            new Dictionary<string, CounterValue>(result, StringComparer.Ordinal),
            _instruments.ContainsKey(PresenceMessages),
            [.. _instruments.Keys.Order(StringComparer.Ordinal)]);
    }

    /// <summary>What a synchronous instrument has added so far in the current window (all tag sets).</summary>
    public double SoFar(string instrument) =>
        _series.Where(kv => InstrumentOf(kv.Key) == instrument).Sum(kv => kv.Value.Summarize("counter").Sum);

    /// <summary>Current values of every observable instrument (summed over tag sets that map to the same key).</summary>
    public Dictionary<string, double> Observe()
    {
        var observed = new Dictionary<string, double>(StringComparer.Ordinal);
        lock (_listener)
        {
            _observing = observed;
            try
            {
                _listener.RecordObservableInstruments();
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or NullReferenceException)
            {
                // An instrument whose owner is shutting down; its value is simply missing.
            }
            finally
            {
                _observing = null;
            }
        }

        return observed;
    }

    private void OnMeasurement<T>(Instrument instrument, T measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        where T : struct, INumberBase<T>
    {
        var value = double.CreateTruncating(measurement);
        if (instrument.IsObservable)
        {
            var observing = _observing;
            if (observing is not null)
            {
                var key = Key(instrument.Name, tags);
                observing[key] = observing.GetValueOrDefault(key) + value;
            }

            return;
        }

        if (!_recording)
        {
            return;
        }

        var sampled = _sample && SampledInstruments.Contains(instrument.Name);
        _series.GetOrAdd(Key(instrument.Name, tags), static (_, s) => new Series(s), sampled).Add(value);
        if (sampled && instrument.Name == RequestDuration && IsVoicePresenceRoute(tags))
        {
            // All voice-presence operations together, for percentiles over the three routes.
            _series.GetOrAdd(VoicePresenceRequests, static _ => new Series(true)).Add(value);
        }
    }

    private static bool IsVoicePresenceRoute(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "http.route" && tag.Value is string route && route.Contains("voice-presence", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string Key(string name, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        List<string>? kept = null;
        foreach (var tag in tags)
        {
            if (KeptTags.Contains(tag.Key))
            {
                (kept ??= []).Add($"{tag.Key}={tag.Value}");
            }
        }

        if (kept is null)
        {
            return name;
        }

        kept.Sort(StringComparer.Ordinal);
        return $"{name}{{{string.Join(',', kept)}}}";
    }

    public static string InstrumentOf(string key)
    {
        var brace = key.IndexOf('{', StringComparison.Ordinal);
        return brace < 0 ? key : key[..brace];
    }

    private static string KindOf(Instrument instrument)
    {
        var type = instrument.GetType();
        var name = type.IsGenericType ? type.GetGenericTypeDefinition().Name : type.Name;
        return name switch
        {
            "Counter`1" => "counter",
            "UpDownCounter`1" => "updown",
            "Histogram`1" => "histogram",
            "Gauge`1" => "gauge",
            "ObservableCounter`1" => "observable-counter",
            "ObservableUpDownCounter`1" => "observable-updown",
            "ObservableGauge`1" => "observable-gauge",
            _ => name,
        };
    }

    public void Dispose() => _listener.Dispose();

    private sealed class Series(bool sampled)
    {
        private readonly List<double>? _samples = sampled ? [] : null;
        private long _count;
        private double _sum;

        public void Add(double value)
        {
            lock (this)
            {
                _count++;
                _sum += value;
                _samples?.Add(value);
            }
        }

        public CounterValue Summarize(string kind)
        {
            lock (this)
            {
                double? p50 = null, p99 = null;
                if (_samples is { Count: > 0 })
                {
                    var sorted = _samples.ToArray();
                    Array.Sort(sorted);
                    p50 = sorted[Math.Clamp((int)Math.Ceiling(0.50 * sorted.Length) - 1, 0, sorted.Length - 1)];
                    p99 = sorted[Math.Clamp((int)Math.Ceiling(0.99 * sorted.Length) - 1, 0, sorted.Length - 1)];
                }

                return new CounterValue(kind, _count, _sum, _count > 0 ? _sum / _count : null, p50, p99);
            }
        }
    }
}

/// <summary>
/// One series (instrument plus kept tags). Counters: <see cref="Count"/> = number of additions,
/// <see cref="Sum"/> = total added. Histograms: count, sum, mean and (when sampled) p50/p99 of the
/// recorded values. Observable counters: both = the increase over the window. Gauges: the value at its end.
/// </summary>
public sealed record CounterValue(string Kind, double Count, double Sum, double? Mean, double? P50, double? P99);

/// <summary>What the server meters recorded in one window; <see cref="Instruments"/> lists every instrument the system has published (measured or not).</summary>
/// <param name="FromMetricsEndpoints">Read from out-of-process servers' /metrics (<see cref="ScrapedCounters"/>): only some instruments, no percentiles.</param>
public sealed record CounterWindow(double Seconds, Dictionary<string, CounterValue> Series, bool PresenceCounterPresent, List<string> Instruments, bool FromMetricsEndpoints = false)
{
    /// <summary>The total of an instrument over all its tag sets (counters: sum added; histograms: records).</summary>
    public double Total(string instrument, Func<string, bool>? keyFilter = null) =>
        Series.Where(kv => ServerCounters.InstrumentOf(kv.Key) == instrument && (keyFilter?.Invoke(kv.Key) ?? true))
            .Sum(kv => kv.Value.Kind is "histogram" ? kv.Value.Count : kv.Value.Sum);

    /// <summary>Histogram records and the sum of their values over all tag sets.</summary>
    public (double Count, double Sum) Histogram(string instrument, Func<string, bool>? keyFilter = null)
    {
        var matching = Series.Where(kv => ServerCounters.InstrumentOf(kv.Key) == instrument && (keyFilter?.Invoke(kv.Key) ?? true)).Select(kv => kv.Value).ToList();
        return (matching.Sum(v => v.Count), matching.Sum(v => v.Sum));
    }

    /// <summary>Whether the system has this instrument at all (a total of 0 then means "none happened", not "not measured").</summary>
    public bool Has(string instrument) => Instruments.Contains(instrument) || Series.Keys.Any(k => ServerCounters.InstrumentOf(k) == instrument);
}
