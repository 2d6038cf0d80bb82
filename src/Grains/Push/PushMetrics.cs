using System.Diagnostics.Metrics;

namespace DmVoice.Grains.Push;

/// <summary>What became of push notifications, by type and result.</summary>
public sealed class PushMetrics : IDisposable
{
    public const string MeterName = "DmVoice.Push";

    private readonly Meter _meter;
    private readonly Counter<long> _notifications;

    public PushMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _notifications = _meter.CreateCounter<long>(
            "dmvoice.push.notifications",
            description: "Push notification attempts and their fates, by type and result (delivered, retried, rejected, expired, gave_up, dropped, skipped)");
    }

    public void Record(string type, string result) => _notifications.Add(
        1, new KeyValuePair<string, object?>("type", type), new KeyValuePair<string, object?>("result", result));

    public void Dispose() => _meter.Dispose();
}
