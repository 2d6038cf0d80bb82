using DmVoice.Gateway.Observability;
using DmVoice.Grains.Events;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// This gateway's observer. Direct delivery: grains push each stored change's events here once, naming
/// the recipients connected to this gateway; deliveries are put back into each sender's order
/// (<see cref="DeliveryOrdering"/>) and posted to the recipients' outboxes; no send is awaited here.
/// In every delivery mode it also answers a user grain's device audit with the connections it holds.
/// </summary>
public sealed class GatewayEventReceiver : IGatewayObserver, IDisposable
{
    private readonly ConnectionRegistry _registry;
    private readonly GatewayInstance _instance;
    private readonly GatewayMetrics _metrics;
    private readonly DeliveryOrdering _ordering;

    public GatewayEventReceiver(ConnectionRegistry registry, GatewayInstance instance, GatewayMetrics metrics, TimeProvider time)
    {
        _registry = registry;
        _instance = instance;
        _metrics = metrics;
        _ordering = new DeliveryOrdering(Release, time);
        metrics.ObserveOrdering(_ordering);
    }

    public Task Deliver(EventDelivery delivery)
    {
        _metrics.DeliveryReceived();
        _ordering.Receive(delivery);
        return Task.CompletedTask;
    }

    private void Release(EventDelivery delivery)
    {
        _registry.Deliver(delivery.Event, delivery.UserIds);
        foreach (var next in delivery.Following ?? [])
        {
            _registry.Deliver(next.Event, next.UserIds);
        }
    }

    public Task<string[]> HeldConnections(string userId) =>
        Task.FromResult(Array.ConvertAll(_registry.ConnectionIds(userId), _instance.ConnectionKey));

    public void Dispose() => _ordering.Dispose();
}
