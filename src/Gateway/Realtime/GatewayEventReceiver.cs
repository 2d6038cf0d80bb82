using DmVoice.Gateway.Observability;
using DmVoice.Grains.Events;

namespace DmVoice.Gateway.Realtime;

/// <summary>
/// This gateway's observer (direct delivery): grains push each event here once, naming the
/// recipients connected to this gateway. Deliveries are put back into each sender's order
/// (<see cref="DeliveryOrdering"/>) and posted to the recipients' outboxes; no send is awaited here.
/// </summary>
public sealed class GatewayEventReceiver : IGatewayObserver, IDisposable
{
    private readonly GatewayMetrics _metrics;
    private readonly DeliveryOrdering _ordering;

    public GatewayEventReceiver(ConnectionRegistry registry, GatewayMetrics metrics, TimeProvider time)
    {
        _metrics = metrics;
        _ordering = new DeliveryOrdering(delivery => registry.Deliver(delivery.Event, delivery.UserIds), time);
        metrics.ObserveOrdering(_ordering);
    }

    public Task Deliver(EventDelivery delivery)
    {
        _metrics.DeliveryReceived();
        _ordering.Receive(delivery);
        return Task.CompletedTask;
    }

    public void Dispose() => _ordering.Dispose();
}
