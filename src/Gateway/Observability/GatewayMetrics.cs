using System.Diagnostics.Metrics;

namespace DmVoice.Gateway.Observability;

/// <summary>Gateway counters: connections, stream subscriptions and events pushed to devices.</summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "DmVoice.Gateway";

    private readonly Meter _meter;
    private readonly UpDownCounter<long> _connections;
    private readonly UpDownCounter<long> _subscriptions;
    private readonly Counter<long> _eventsDelivered;
    private readonly Counter<long> _webhooks;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _connections = _meter.CreateUpDownCounter<long>("dmvoice.gateway.connections", description: "Open SignalR connections");
        _subscriptions = _meter.CreateUpDownCounter<long>("dmvoice.gateway.stream_subscriptions", description: "User event streams this gateway listens to");
        _eventsDelivered = _meter.CreateCounter<long>("dmvoice.gateway.events_delivered", description: "Events pushed to a user's connections, by event");
        _webhooks = _meter.CreateCounter<long>("dmvoice.gateway.livekit_webhooks", description: "LiveKit webhooks, by event and result");
    }

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void StreamSubscribed(int delta) => _subscriptions.Add(delta);

    public void EventDelivered(string eventName) => _eventsDelivered.Add(1, new KeyValuePair<string, object?>("event", eventName));

    public void WebhookReceived(string eventName, string result) =>
        _webhooks.Add(1, new KeyValuePair<string, object?>("event", eventName), new KeyValuePair<string, object?>("result", result));

    public void Dispose() => _meter.Dispose();
}
