using System.Collections.Concurrent;
using DmVoice.Grains.Events;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// A gateway as the cluster sees one: a lease, an observer that deliveries are pushed to (direct
/// delivery), and the devices of any number of users. Deliveries are put back in sender order
/// exactly as the real gateway does, then handed to the devices of the users they name. Like the real
/// gateway it answers a user grain's device audit with the connections it holds.
/// </summary>
public sealed class TestGateway : IGatewayObserver, IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<EventRecorder>> _devices = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<EventDelivery> _deliveries = new();
    private readonly ConcurrentDictionary<string, string> _connections = new(StringComparer.Ordinal);
    private readonly DeliveryOrdering _ordering;

    private TestGateway(IClusterClient client)
    {
        Client = client;
        _ordering = new DeliveryOrdering(Release, TimeProvider.System);
    }

    public string Id { get; } = "test-gw-" + Guid.NewGuid().ToString("N")[..12];

    public IClusterClient Client { get; }

    public IGatewayObserver Observer { get; private set; } = null!;

    /// <summary>Every delivery pushed to this gateway, in the order released.</summary>
    public IReadOnlyList<EventDelivery> Deliveries => _deliveries.ToArray();

    /// <param name="lease">
    /// How long the lease lasts. It is never renewed: a short lease plays a gateway that stopped
    /// renewing (crashed), whose devices the cluster then drops.
    /// </param>
    public static async Task<TestGateway> StartAsync(IClusterClient client, TimeSpan? lease = null)
    {
        var gateway = new TestGateway(client);
        gateway.Observer = client.CreateObjectReference<IGatewayObserver>(gateway);
        await client.GetGrain<IGatewayLeaseGrain>(gateway.Id).Renew(lease ?? TimeSpan.FromMinutes(10), continuing: false);
        return gateway;
    }

    public GatewayRoute Route => new(Id, Observer);

    internal void Attach(EventRecorder device) => _devices.GetOrAdd(device.UserId, _ => []).Add(device);

    /// <summary>A connection is held here from before its user grain hears of it until after it heard it closed.</summary>
    internal void Hold(string connectionKey, string userId) => _connections[connectionKey] = userId;

    internal void Release(string connectionKey) => _connections.TryRemove(connectionKey, out _);

    Task<string[]> IGatewayObserver.HeldConnections(string userId) =>
        Task.FromResult(_connections.Where(c => c.Value == userId).Select(c => c.Key).ToArray());

    Task IGatewayObserver.Deliver(EventDelivery delivery)
    {
        _ordering.Receive(delivery);
        return Task.CompletedTask;
    }

    private void Release(EventDelivery delivery)
    {
        _deliveries.Enqueue(delivery);
        foreach (var (voiceEvent, userIds) in delivery.Events)
        {
            foreach (var userId in userIds)
            {
                if (_devices.TryGetValue(userId, out var devices))
                {
                    foreach (var device in devices)
                    {
                        device.Record(voiceEvent);
                    }
                }
            }
        }
    }

    public void Dispose()
    {
        _ordering.Dispose();
        Client.DeleteObjectReference<IGatewayObserver>(Observer);
    }
}
