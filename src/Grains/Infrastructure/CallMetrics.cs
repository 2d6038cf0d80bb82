using System.Diagnostics.Metrics;

namespace DmVoice.Grains.Infrastructure;

/// <summary>Call counters, exported by whatever OpenTelemetry pipeline the host configures.</summary>
public sealed class CallMetrics : IDisposable
{
    public const string MeterName = "DmVoice.Calls";

    private readonly Meter _meter;
    private readonly Counter<long> _callsStarted;
    private readonly Counter<long> _callsEnded;
    private readonly UpDownCounter<long> _callsLive;
    private readonly Counter<long> _joins;
    private readonly Counter<long> _ringsStopped;
    private readonly Histogram<double> _callDuration;

    public CallMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _callsStarted = _meter.CreateCounter<long>("dmvoice.calls.started", description: "Calls started");
        _callsEnded = _meter.CreateCounter<long>("dmvoice.calls.ended", description: "Calls ended, by reason");
        _callsLive = _meter.CreateUpDownCounter<long>(
            "dmvoice.calls.live",
            description: "Calls started less calls ended, counted by the silo where each happened: exact in sum over the cluster while no silo restarts; a restart forgets its starts, so the sum then drifts low until those calls end");
        _joins = _meter.CreateCounter<long>("dmvoice.calls.joins", description: "Participants joined");
        _ringsStopped = _meter.CreateCounter<long>("dmvoice.rings.stopped", description: "Rings ended, by outcome");
        _callDuration = _meter.CreateHistogram<double>("dmvoice.calls.duration", unit: "s", description: "Call duration");

        Prime();
    }

    /// <summary>
    /// Records 0 for every ring outcome and the live calls, so rates and shares need no first event to begin
    /// from. Called again once the host has started: a measurement made before the exporter listens is lost.
    /// </summary>
    public void Prime()
    {
        foreach (var outcome in new[]
        {
            RingOutcomes.Accepted, RingOutcomes.Declined, RingOutcomes.Dismissed, RingOutcomes.Missed, RingOutcomes.Cancelled,
            RingOutcomes.Busy, RingOutcomes.Removed, RingOutcomes.Blocked, RingOutcomes.RateLimited,
        })
        {
            _ringsStopped.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }

        _callsLive.Add(0);
    }

    public void CallStarted()
    {
        _callsStarted.Add(1);
        _callsLive.Add(1);
    }

    public void Joined() => _joins.Add(1);

    public void CallEnded(string reason, TimeSpan duration)
    {
        _callsEnded.Add(1, new KeyValuePair<string, object?>("reason", reason));
        _callsLive.Add(-1);
        _callDuration.Record(duration.TotalSeconds);
    }

    public void RingStopped(string outcome) => _ringsStopped.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Dispose() => _meter.Dispose();
}
