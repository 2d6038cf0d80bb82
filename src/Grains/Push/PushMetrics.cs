using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace DmVoice.Grains.Push;

/// <summary>What became of push notifications, by type and result, and how many wait in this silo's outboxes.</summary>
public sealed class PushMetrics : IDisposable
{
    public const string MeterName = "DmVoice.Push";

    private readonly Meter _meter;
    private readonly Counter<long> _notifications;
    private readonly ConcurrentDictionary<string, (int Waiting, int Retrying)> _pending = new(StringComparer.Ordinal);

    public PushMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _notifications = _meter.CreateCounter<long>(
            "dmvoice.push.notifications",
            description: "Push notification attempts and their fates, by type and result (delivered, retried, rejected, expired, gave_up, dropped, skipped)");
        _meter.CreateObservableGauge(
            "dmvoice.push.pending",
            MeasurePending,
            description: "Notifications in the outboxes active on this silo, by state (waiting: not tried yet; retrying: tried and failed at least once)");

        Prime();
    }

    /// <summary>
    /// Records 0 for every type and result alerts watch, so the first failure shows as an increase. Called
    /// again once the host has started: a measurement made before the exporter listens is lost.
    /// </summary>
    public void Prime()
    {
        foreach (var type in new[] { PushTypes.RingStarted, PushTypes.RingStopped })
        {
            foreach (var result in new[] { "delivered", "retried", "rejected", "gave_up", "expired" })
            {
                _notifications.Add(0, new KeyValuePair<string, object?>("type", type), new KeyValuePair<string, object?>("result", result));
            }
        }
    }

    /// <summary>An outbox's notifications now (0 and 0 when it empties or deactivates).</summary>
    public void Pending(string recipientId, int waiting, int retrying)
    {
        if (waiting == 0 && retrying == 0)
        {
            _pending.TryRemove(recipientId, out _);
        }
        else
        {
            _pending[recipientId] = (waiting, retrying);
        }
    }

    private IEnumerable<Measurement<long>> MeasurePending()
    {
        long waiting = 0, retrying = 0;
        foreach (var outbox in _pending.Values)
        {
            waiting += outbox.Waiting;
            retrying += outbox.Retrying;
        }

        return
        [
            new Measurement<long>(waiting, new KeyValuePair<string, object?>("state", "waiting")),
            new Measurement<long>(retrying, new KeyValuePair<string, object?>("state", "retrying")),
        ];
    }

    public void Record(string type, string result) => _notifications.Add(
        1, new KeyValuePair<string, object?>("type", type), new KeyValuePair<string, object?>("result", result));

    public void Dispose() => _meter.Dispose();
}
