using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// How long a silo spends on each DmVoice grain call, measured where the call runs. Orleans' own
/// request latency (orleans-app-requests-latency) is measured by the caller, so on a silo it leaves
/// out every call that comes from a gateway; this histogram covers them, per grain method.
/// </summary>
public sealed class GrainCallMetrics : IIncomingGrainCallFilter, IDisposable
{
    public const string MeterName = "DmVoice.Grains";

    private static readonly System.Reflection.Assembly Contract = typeof(IHealthGrain).Assembly;

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;

    public GrainCallMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _duration = _meter.CreateHistogram(
            "dmvoice.grain.call.duration",
            unit: "s",
            description: "Time a silo spends on a DmVoice grain call, by grain interface, method and outcome (ok, refused, error)",
            tags: null,
            // Grain calls take microseconds to a few seconds; exporters' default buckets start at 5 (meant for ms).
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        // Only DmVoice's own interfaces: Orleans' system grains (stream pub-sub, reminders) are its business.
        var method = context.InterfaceMethod;
        if (method?.DeclaringType?.Assembly != Contract || !_duration.Enabled)
        {
            await context.Invoke();
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var outcome = "ok";
        try
        {
            await context.Invoke();
        }
        catch (DmVoiceException)
        {
            // A rule said no (not a member, not ringing): an answer, not a fault.
            outcome = "refused";
            throw;
        }
        catch
        {
            outcome = "error";
            throw;
        }
        finally
        {
            _duration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("grain", method.DeclaringType.Name),
                new KeyValuePair<string, object?>("method", method.Name),
                new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public void Dispose() => _meter.Dispose();
}
