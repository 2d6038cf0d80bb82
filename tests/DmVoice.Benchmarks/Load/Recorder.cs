using System.Collections.Concurrent;
using System.Diagnostics;

namespace DmVoice.Benchmarks.Load;

/// <summary>Latency samples (all kept, sorted at the end), operation and error counts of one phase.</summary>
public sealed class Recorder
{
    private readonly ConcurrentDictionary<string, Samples> _latencies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _errors = new(StringComparer.Ordinal);
    private long _ops;
    private long _events;
    private long _cycles;

    public bool Recording { get; set; }

    /// <summary>This process's CPU time over the window, as a share of all cores (client and servers together; not redis-server).</summary>
    public double CpuPercent { get; set; }

    /// <summary>This process's CPU time over the window, in seconds.</summary>
    public double CpuSeconds { get; set; }

    /// <summary>CPU of the system's own server processes (out-of-process systems only), % of all cores.</summary>
    public double? ServerProcessesCpuPercent { get; set; }

    /// <summary>CPU seconds of the system's own server processes over the window (out-of-process systems only).</summary>
    public double? ServerProcessesCpuSeconds { get; set; }

    /// <summary>CPU seconds of the system's redis-server over the window, when it has one.</summary>
    public double? RedisCpuSeconds { get; set; }

    public long Ops => Interlocked.Read(ref _ops);

    public long Events => Interlocked.Read(ref _events);

    public long Cycles => Interlocked.Read(ref _cycles);

    public int ErrorCount => _errors.Values.Sum();

    public IReadOnlyDictionary<string, int> Errors => _errors;

    public void Latency(string series, long startTimestamp, long endTimestamp)
    {
        if (!Recording)
        {
            return;
        }

        var ms = Stopwatch.GetElapsedTime(startTimestamp, endTimestamp).TotalMilliseconds;
        _latencies.GetOrAdd(series, static _ => new Samples()).Add(ms);
    }

    public void Op()
    {
        if (Recording)
        {
            Interlocked.Increment(ref _ops);
        }
    }

    public void Event()
    {
        if (Recording)
        {
            Interlocked.Increment(ref _events);
        }
    }

    public void Cycle()
    {
        if (Recording)
        {
            Interlocked.Increment(ref _cycles);
        }
    }

    /// <summary>Errors count even outside the window: a broken setup must show.</summary>
    public void Error(string kind) => _errors.AddOrUpdate(kind, 1, static (_, n) => n + 1);

    public Percentiles? Get(string series) => _latencies.TryGetValue(series, out var s) ? s.Summarize() : null;

    public IEnumerable<string> Series => _latencies.Keys.Order(StringComparer.Ordinal);

    private sealed class Samples
    {
        private readonly List<double> _values = [];

        public void Add(double value)
        {
            lock (_values)
            {
                _values.Add(value);
            }
        }

        public Percentiles Summarize()
        {
            double[] sorted;
            lock (_values)
            {
                sorted = [.. _values];
            }

            Array.Sort(sorted);
            return new Percentiles(
                sorted.Length,
                At(sorted, 0.50),
                At(sorted, 0.95),
                At(sorted, 0.99),
                sorted.Length == 0 ? 0 : sorted[^1],
                sorted.Length == 0 ? 0 : sorted.Average());
        }

        private static double At(double[] sorted, double q) =>
            sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}

public sealed record Percentiles(int Count, double P50, double P95, double P99, double Max, double Mean);
